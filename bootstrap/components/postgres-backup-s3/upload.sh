#!/bin/sh
# Uploads the newest dump of /backups to the platform's backup bucket and keeps the newest
# $BACKUP_KEEP there (bootstrap/README.md, "Backups to object storage"). Run by the CronJob
# dangus-postgres-backup after its pg_dump (the `upload` container), and as is by
# e2e/bootstrap/postgres-backup-s3.test.ts. curl signs with AWS Signature Version 4.
# Settings (the Secret dangus-backup-s3): S3_ENDPOINT (http(s)://host[:port]), S3_BUCKET,
# S3_REGION (default us-east-1), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: a key of the
# platform's own that reaches only that bucket, never a tenant's. BACKUP_KEEP: default 7.
set -eu
keep="${BACKUP_KEEP:-7}"
region="${S3_REGION:-us-east-1}"
dir="${BACKUP_DIR:-/backups}"
base="${S3_ENDPOINT%/}/${S3_BUCKET}"
s3() { curl -sS --fail-with-body --aws-sigv4 "aws:amz:${region}:s3" --user "${AWS_ACCESS_KEY_ID}:${AWS_SECRET_ACCESS_KEY}" "$@"; }

newest="$(ls -1t "$dir"/dangus-*.dump 2>/dev/null | head -n 1 || true)"
if [ -z "$newest" ]; then
  echo "no dump in $dir" >&2
  exit 1
fi
name="$(basename "$newest")"
s3 -T "$newest" "$base/dangus/$name" > /dev/null
echo "uploaded $name to s3://$S3_BUCKET/dangus/$name"

# The names sort by time (dangus-YYYYmmddTHHMMSSZ.dump): all but the newest $keep go.
# (The listing alone first: a refused one stops the script, which a pipeline would hide.)
listing="$(s3 "$base/?list-type=2&prefix=dangus%2F")"
keys="$(printf '%s' "$listing" | tr '<' '\n' | sed -n 's/^Key>//p' | sort)"
total="$(printf '%s\n' "$keys" | grep -c . || true)"
if [ "$total" -gt "$keep" ]; then
  printf '%s\n' "$keys" | head -n "$((total - keep))" | while read -r key; do
    s3 -X DELETE "$base/$key" > /dev/null
    echo "deleted s3://$S3_BUCKET/$key"
  done
fi
