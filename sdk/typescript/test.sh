#!/usr/bin/env bash
# Builds the `hive` npm package and runs its tests (Node's test runner) against throwaway live daemons.
# Needs root and the built CLI (make build). Ends with one line: ts: N passed, N failed
set -uo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)

finish() { # passed failed
  echo "ts: $1 passed, $2 failed"
  [ "$2" -eq 0 ]
  exit
}

problems=()
[ "$(id -u)" -eq 0 ] || problems+=("run as root: the live tests start runc containers, network namespaces and nftables rules")
[ -x "$repo/out/hive/hive" ] || problems+=("the hive CLI is not built at $repo/out/hive/hive: run 'make build' first")
command -v node >/dev/null || problems+=("node (>= 20) is not installed")
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  problems+=("node $(node --version) is too old: the SDK needs Node 20 or later")
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf 'sdk/typescript: cannot run the tests: %s\n' "${problems[@]}" >&2
  finish 0 1
fi

if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "sdk/typescript: npm ci failed" >&2
  finish 0 1
fi
rm -rf dist
if ! npm run --silent build || ! npm run --silent build:test; then
  echo "sdk/typescript: the build failed (tsc)" >&2
  finish 0 1
fi

log=dist/test-output.log
# One test file at a time: each starts its own daemon, and exec streaming asserts timing.
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 \
  dist/test/*.test.js test/*.test.cjs 2>&1 | tee "$log"

pass=$(sed -nE 's/^[^ ]+ pass ([0-9]+)$/\1/p' "$log" | tail -1)
fail=$(sed -nE 's/^[^ ]+ fail ([0-9]+)$/\1/p' "$log" | tail -1)
cancelled=$(sed -nE 's/^[^ ]+ cancelled ([0-9]+)$/\1/p' "$log" | tail -1)
if [ -z "$pass" ] || [ -z "$fail" ]; then
  echo "sdk/typescript: the test run produced no summary" >&2
  finish 0 1
fi
finish "$pass" $((fail + ${cancelled:-0}))
