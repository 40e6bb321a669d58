#!/usr/bin/env bash
# Type-checks the Inspector and runs its browser tests (Debian's chromium, headless, through playwright-core) against
# throwaway live daemons. Needs root and `make build` (the CLI and out/hive/inspector).
# Ends with one line: ui: N passed, N failed, N skipped
set -uo pipefail
cd "$(dirname "$0")"
repo=$(cd .. && pwd)

finish() { # passed failed skipped
  echo "ui: $1 passed, $2 failed, $3 skipped"
  [ "$2" -eq 0 ]
  exit
}

problems=()
[ "$(id -u)" -eq 0 ] || problems+=("run as root: the live tests start runc containers, network namespaces and nftables rules")
[ -x "$repo/out/hive/hive" ] || problems+=("the hive CLI is not built at $repo/out/hive/hive: run 'make build' first")
[ -f "$repo/out/hive/inspector/index.html" ] || problems+=("the Inspector is not built at $repo/out/hive/inspector: run 'make build' first")
[ -x /usr/bin/chromium ] || problems+=("/usr/bin/chromium is missing (apt-get install chromium, or make deps)")
command -v node >/dev/null || problems+=("node (>= 20) is not installed")
if [ ${#problems[@]} -gt 0 ]; then
  printf 'inspector: cannot run the tests: %s\n' "${problems[@]}" >&2
  finish 0 1 0
fi

if ! [ node_modules/.package-lock.json -nt package-lock.json ] && ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "inspector: npm ci failed" >&2
  finish 0 1 0
fi
if ! npx --no-install tsc --noEmit -p tsconfig.json; then
  echo "inspector: the type check failed (tsc)" >&2
  finish 0 1 0
fi

log=$(mktemp /tmp/hive-ui-test-XXXXXX.log)
trap 'rm -f "$log"' EXIT
timeout --kill-after=30 600 node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 test/*.test.mjs 2>&1 | tee "$log"

pass=$(sed -nE 's/^[^ ]+ pass ([0-9]+)$/\1/p' "$log" | tail -1)
fail=$(sed -nE 's/^[^ ]+ fail ([0-9]+)$/\1/p' "$log" | tail -1)
cancelled=$(sed -nE 's/^[^ ]+ cancelled ([0-9]+)$/\1/p' "$log" | tail -1)
skipped=$(sed -nE 's/^[^ ]+ skipped ([0-9]+)$/\1/p' "$log" | tail -1)
if [ -z "$pass" ] || [ -z "$fail" ]; then
  echo "inspector: the test run produced no summary" >&2
  finish 0 1 0
fi
finish "$pass" $((fail + ${cancelled:-0})) "${skipped:-0}"
