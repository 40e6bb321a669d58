#!/usr/bin/env bash
# Runs the `hive` Python package's tests (pytest) against throwaway live daemons, with Debian's /usr/bin/python3
# and its python3-httpx and python3-pytest. Needs root and the built CLI (make build).
# Ends with one line: py: N passed, N failed, N skipped
set -uo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
python=${HIVE_PYTHON:-/usr/bin/python3}

finish() { # passed failed skipped
  echo "py: $1 passed, $2 failed, $3 skipped"
  [ "$2" -eq 0 ]
  exit
}

problems=()
[ "$(id -u)" -eq 0 ] || problems+=("run as root: the live tests start runc containers, network namespaces and nftables rules")
[ -x "$repo/out/hive/hive" ] || problems+=("the hive CLI is not built at $repo/out/hive/hive: run 'make build' first")
if ! [ -x "$python" ]; then
  problems+=("$python is missing (apt-get install python3)")
else
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || problems+=("$python is $("$python" --version 2>&1): the SDK needs Python 3.10 or later")
  "$python" -c 'import httpx' 2>/dev/null || problems+=("httpx is not importable by $python (apt-get install python3-httpx, or make deps)")
  "$python" -c 'import pytest' 2>/dev/null || problems+=("pytest is not importable by $python (apt-get install python3-pytest, or make deps)")
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf 'sdk/python: cannot run the tests: %s\n' "${problems[@]}" >&2
  finish 0 1 0
fi

log=$(mktemp /tmp/hive-py-test-XXXXXX.log)
trap 'rm -f "$log"' EXIT
# -rfE names every failure and error in the short summary; no cache or bytecode is written into the tree.
# The outer timeout keeps a hung test from hanging `make test` (the suite takes about two minutes).
PYTHONDONTWRITEBYTECODE=1 timeout --kill-after=30 900 \
  "$python" -m pytest -p no:cacheprovider -rfE --color=no tests 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

read -r passed failed skipped < <("$python" summary.py < "$log")
if [ -z "${passed:-}" ]; then
  echo "sdk/python: the test run produced no summary (exit $rc)" >&2
  finish 0 1 0
fi
# pytest failed (interrupted, internal error, usage error) without reporting a failed test: one failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "sdk/python: pytest exited with $rc without a failed test in its summary: counted as one failure" >&2
  failed=1
fi
finish "$passed" "$failed" "$skipped"
