#!/usr/bin/env bash
# Makes the files an overlay's secretGenerator reads, in OVERLAY/secrets/ (git-ignored, mode 0600):
#   ca.crt                        the cluster CA's certificate (its key stays in the CA directory, never in a Secret)
#   controller.crt/.key           `hive cluster cert --role controller`
#   host.crt/.key                 `hive cluster cert --role host` (one certificate for every host)
#   token                         the API bearer token (64 hex digits)
#   master-key                    the key stored secrets are sealed with (64 hex digits): back it up
#   database-url                  --database-url URL, or with --trial the in-namespace PostgreSQL's
#   postgres-password             --trial only
# Files that exist are kept (delete one to make it again): re-running never rotates the master key by accident.
# Usage: make-secrets.sh OVERLAY_DIR [--ca DIR] [--database-url URL | --trial]
#   --ca DIR   the cluster CA (made there with `hive cluster ca` when DIR has no ca.crt); default OVERLAY_DIR/ca.
#              Keep DIR (its ca.key) offline: it is needed only to make certificates.
# HIVE names the hive binary (default: hive on PATH, else bin/hive of this repository).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
overlay=$1; shift
ca=$overlay/ca database_url= trial=0
while [ $# -gt 0 ]; do
  case "$1" in
    --ca) ca=${2:?--ca needs a directory}; shift 2 ;;
    --database-url) database_url=${2:?--database-url needs postgres://USER:PASSWORD@HOST:PORT/DATABASE}; shift 2 ;;
    --trial) trial=1; shift ;;
    *) echo "make-secrets.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ -f "$overlay/kustomization.yaml" ] || { echo "make-secrets.sh: $overlay has no kustomization.yaml" >&2; exit 2; }
if [ "$trial" = 1 ] && [ -n "$database_url" ]; then echo "make-secrets.sh: --trial and --database-url exclude each other" >&2; exit 2; fi

hive=${HIVE:-}
if [ -z "$hive" ]; then
  if command -v hive >/dev/null; then hive=hive; else hive=$(cd "$(dirname "$0")/../.." && pwd)/bin/hive; fi
fi
"$hive" --help 2>/dev/null | grep -qE '^ +cluster( |$)' || { echo "make-secrets.sh: $hive has no 'cluster' command (build Hive with cluster mode, or set HIVE)" >&2; exit 1; }

umask 077
out=$overlay/secrets
mkdir -p "$out" "$ca"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
# No trailing newline: a Secret's value is the file's bytes, and an environment variable would keep it.
put() { [ -e "$out/$1" ] || { printf '%s' "$2" > "$out/$1"; echo "made $out/$1"; }; }

if [ ! -f "$ca/ca.crt" ]; then "$hive" cluster ca --out "$ca"; fi
[ -e "$out/ca.crt" ] || { cp "$ca/ca.crt" "$out/ca.crt"; echo "made $out/ca.crt"; }
for role in controller host; do
  if [ ! -e "$out/$role.crt" ] || [ ! -e "$out/$role.key" ]; then
    "$hive" cluster cert --ca "$ca" --role "$role" --out "$tmp/$role"
    cp "$tmp/$role/tls.crt" "$out/$role.crt"
    cp "$tmp/$role/tls.key" "$out/$role.key"
    echo "made $out/$role.crt, $out/$role.key"
  fi
done
put token "$(random_hex)"
put master-key "$(random_hex)"
if [ "$trial" = 1 ]; then
  put postgres-password "$(random_hex)"
  put database-url "postgres://hive:$(cat "$out/postgres-password")@hive-postgres:5432/hive?sslmode=disable"
elif [ -n "$database_url" ]; then
  put database-url "$database_url"
fi
[ -e "$out/database-url" ] || echo "note: no $out/database-url yet: run again with --database-url postgres://USER:PASSWORD@HOST:PORT/DATABASE" >&2
echo "secrets for $overlay are in $out; the CA is in $ca (keep ca.key offline)"
