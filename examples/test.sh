#!/usr/bin/env bash
# Runs the example agents end to end (pytest) against a live daemon and a loopback server that answers like the
# Anthropic API. Needs root and the built CLI (make build). Ends with one line: ex: N passed, N failed, N skipped
set -uo pipefail
cd "$(dirname "$0")"
repo=$(cd .. && pwd)

finish() { echo "ex: $1 passed, $2 failed, $3 skipped"; [ "$2" -eq 0 ]; exit; }

python=${HIVE_PYTHON:-/usr/bin/python3}  # Debian's, with python3-httpx and python3-pytest (make deps)
for tool in node npm "$python" openssl; do
  command -v "$tool" >/dev/null || { echo "examples: $tool is not installed (make deps installs it)" >&2; finish 0 1 0; }
done
# The TypeScript example depends on the SDK's build (file:../../sdk/typescript).
if ! (cd "$repo/sdk/typescript" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build) ||
   ! (cd typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build); then
  echo "examples: building the TypeScript example failed" >&2
  finish 0 1 0
fi

log=$(mktemp)
"$python" -m pytest -p no:cacheprovider -v --color=no tests 2>&1 | tee "$log"
summary=$(grep -E '^=+ .*(passed|failed|error|skipped).* in [0-9.]+s' "$log" | tail -1)
rm -f "$log"
count() { sed -nE "s/.* ([0-9]+) $1.*/\1/p" <<<"$summary" | head -1; }
p=$(count passed) f=$(count failed) e=$(count error) s=$(count skipped)
[ -n "$summary" ] || { echo "examples: pytest produced no summary" >&2; finish 0 1 0; }
finish "${p:-0}" $(( ${f:-0} + ${e:-0} )) "${s:-0}"
