#!/bin/sh
# Downloads a dump from the platform's backup bucket for pg_restore (bootstrap/README.md,
# "Backups to object storage"): `restore.sh [NAME] FILE` fetches dangus/NAME, or the newest
# when NAME is left out, to FILE. The same settings as upload.sh.
set -eu
region="${S3_REGION:-us-east-1}"
base="${S3_ENDPOINT%/}/${S3_BUCKET}"
s3() { curl -sS --fail-with-body --aws-sigv4 "aws:amz:${region}:s3" --user "${AWS_ACCESS_KEY_ID}:${AWS_SECRET_ACCESS_KEY}" "$@"; }
if [ "$#" -ge 2 ]; then name="$1"; out="$2"; else
  out="$1"
  listing="$(s3 "$base/?list-type=2&prefix=dangus%2F")"
  name="$(printf '%s' "$listing" | tr '<' '\n' | sed -n 's/^Key>dangus\///p' | sort | tail -n 1)"
  [ -n "$name" ] || { echo "no dump in s3://$S3_BUCKET/dangus/" >&2; exit 1; }
fi
s3 -o "$out" "$base/dangus/$name"
echo "downloaded s3://$S3_BUCKET/dangus/$name to $out"
