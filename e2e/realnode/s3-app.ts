/**
 * A CGI script of the real-node test app (commitApp's `cgi`): an S3 client in busybox sh,
 * with nothing but the variables the platform injects (AWS_ENDPOINT_URL_S3,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, BUCKET_NAME; path-style). It signs
 * with AWS Signature Version 4 (HMAC-SHA256 built from sha256sum), PUTs over nc and GETs with
 * wget. `?put=WORD` stores WORD as `app/greeting.txt` and prints S3's status line; `?get`
 * prints that object's bytes (or wget's error).
 */
export const S3_CGI = String.raw`#!/bin/sh
# An S3 client in busybox sh: SigV4 (HMAC-SHA256 from sha256sum), path-style, over nc.
# GET ?put=WORD stores WORD as object app/greeting.txt; GET ?get reads it back.
bb=/bin/busybox
sha() { $bb sha256sum | $bb cut -c1-64; }
hmac() {
  k=$1
  while [ ${"$"}{#k} -lt 128 ]; do k="${"$"}{k}00"; done
  ipad=''; opad=''; i=1
  while [ $i -lt 128 ]; do
    b=$(( 0x$(echo "$k" | $bb cut -c$i-$((i+1))) ))
    ipad="$ipad$(printf '\\x%02x' $((b ^ 54)))"
    opad="$opad$(printf '\\x%02x' $((b ^ 92)))"
    i=$((i+2))
  done
  inner=$( { printf "$ipad"; $bb cat; } | sha )
  { printf "$opad"; printf "$(echo "$inner" | $bb sed 's/../\\x&/g')"; } | sha
}
s3() {
  method=$1; path="/$BUCKET_NAME/$2"; body=$3
  hostport=${"$"}{AWS_ENDPOINT_URL_S3#http://}; hostport=${"$"}{hostport%%/*}
  now=$($bb date -u +%Y%m%dT%H%M%SZ); day=${"$"}{now%%T*}
  ph=$(printf '%s' "$body" | sha)
  creq=$(printf '%s\n%s\n\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\nhost;x-amz-content-sha256;x-amz-date\n%s' "$method" "$path" "$hostport" "$ph" "$now" "$ph")
  scope="$day/$AWS_REGION/s3/aws4_request"
  sts=$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "$now" "$scope" "$(printf '%s' "$creq" | sha)")
  key=$(printf '%s' "AWS4$AWS_SECRET_ACCESS_KEY" | $bb xxd -p | $bb tr -d '\n')
  for part in "$day" "$AWS_REGION" s3 aws4_request; do key=$(printf '%s' "$part" | hmac "$key"); done
  sig=$(printf '%s' "$sts" | hmac "$key")
  auth="AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/$scope, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$sig"
  if [ "$method" = GET ]; then
    # wget keeps its side open until the answer is read (nc's early close ends a GET's body).
    $bb wget -q -O - --header "x-amz-date: $now" --header "x-amz-content-sha256: $ph" --header "Authorization: $auth" "http://$hostport$path" 2>&1
  else
    { printf '%s %s HTTP/1.0\r\nHost: %s\r\nx-amz-date: %s\r\nx-amz-content-sha256: %s\r\n' "$method" "$path" "$hostport" "$now" "$ph"
      printf 'Authorization: %s\r\nContent-Length: %s\r\n\r\n%s' "$auth" "${"$"}{#body}" "$body"
    } | $bb nc "${"$"}{hostport%:*}" "${"$"}{hostport##*:}" | $bb head -1
  fi
}
echo "Content-Type: text/plain"
echo ""
case "$QUERY_STRING" in
  put=*) s3 PUT app/greeting.txt "${"$"}{QUERY_STRING#put=}" ;;
  get) s3 GET app/greeting.txt '' ;;
  *) echo "usage: ?put=WORD or ?get" ;;
esac
`;
