#!/usr/bin/env bash
# Runs every test project, then the TypeScript and Python SDKs' tests, the example agents and the Inspector's browser tests and the Kubernetes manifests' checks, and prints one closing line: N passed, N failed, N skipped.
# The same line is written to out/test-summary.txt so that .ci/run can repeat it last.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
summary=out/test-summary.txt
rm -f "$summary"

passed=0 failed=0 skipped=0 status=0
# The object-store tests' storage servers (npm: azurite, s3rver, firebase-tools) download while the solution builds.
scripts/install-deps.sh objstore > out/install-objstore.log 2>&1 &
objstore_install=$!
if ! dotnet build Hive.sln -c Debug --nologo -v quiet; then
  echo "0 passed, 1 failed" | tee "$summary"
  exit 1
fi
if ! wait "$objstore_install"; then
  echo "!!! installing the object-store test servers failed (the tests that need them will say so):"
  cat out/install-objstore.log
fi

# One xunit project (optionally under a name and with environment settings); its summary is added to the totals.
xunit() {
  local proj=$1 name=$2; shift 2
  echo "=== $name"
  local log=out/test-$name.log
  env "$@" dotnet test "$proj" --no-build -c Debug --nologo ${XUNIT_FILTER:+--filter "$XUNIT_FILTER"} 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '(Passed|Failed)!  ?- Failed: *[0-9]+, Passed: *[0-9]+, Skipped: *[0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "!!! $name produced no test summary (exit $rc): counted as one failure"
    failed=$((failed + 1)); status=1; return
  fi
  local f p s
  f=$(sed -E 's/.*Failed: *([0-9]+),.*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: *([0-9]+),.*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: *([0-9]+),.*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$rc" -ne 0 ] && status=1
}

for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  xunit "$proj" "$name"
  # The FUSE tests once more with the mounts served over io_uring (docs/files.md#performance); the object stores' scale
  # tests (many files, a large one) measure the stores, not the transport, and run once.
  [ "$name" = Hive.Files.Tests ] && XUNIT_FILTER='FullyQualifiedName!~ObjectStoreLargeFileTests&FullyQualifiedName!~Ten_thousand_small_files' \
    xunit "$proj" "$name.io_uring" HIVE_TEST_FUSE_TRANSPORT=io_uring
done

# The TypeScript SDK (sdk/typescript): Node's test runner against live daemons. Its summary lines
# ("ℹ pass N" / "ℹ fail N" from the spec reporter) are added to the totals; no summary counts as one failure.
echo "=== sdk/typescript"
log=out/test-sdk-typescript.log
sdk/typescript/test.sh 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
p=$(sed -nE 's/^[^ ]+ pass ([0-9]+)$/\1/p' "$log" | tail -1)
f=$(sed -nE 's/^[^ ]+ fail ([0-9]+)$/\1/p' "$log" | tail -1)
c=$(sed -nE 's/^[^ ]+ cancelled ([0-9]+)$/\1/p' "$log" | tail -1)
s=$(sed -nE 's/^[^ ]+ skipped ([0-9]+)$/\1/p' "$log" | tail -1)
if [ -z "$p" ] || [ -z "$f" ]; then
  echo "!!! sdk/typescript produced no test summary (exit $rc): counted as one failure"
  failed=$((failed + 1)); status=1
else
  passed=$((passed + p)); failed=$((failed + f + ${c:-0})); skipped=$((skipped + ${s:-0}))
  [ "$rc" -ne 0 ] && status=1
fi

# A suite whose test.sh ends with "PREFIX: N passed, N failed, N skipped": its counts are added to the totals; no such
# line counts as one failure. Usage: suite NAME SCRIPT PREFIX
suite() {
  local name=$1 script=$2 prefix=$3 log rc line p f s
  echo "=== $name"
  log=out/test-${name//\//-}.log
  "$script" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E "^$prefix: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped\$" "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "!!! $name produced no test summary (exit $rc): counted as one failure"
    failed=$((failed + 1)); status=1
    return
  fi
  read -r p f s < <(sed -E "s/^$prefix: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped\$/\1 \2 \3/" <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$rc" -ne 0 ] && status=1
}

# The Python SDK: pytest against live daemons (errors counted as failures).
suite sdk/python sdk/python/test.sh py
# The example agents: each run against a live daemon and a loopback stand-in for the Anthropic API.
suite examples examples/test.sh ex
# The Inspector: type check, then browser tests (headless chromium via playwright-core) against live daemons.
suite inspector inspector/test.sh ui
# The Kubernetes manifests: rendered with kubectl kustomize, validated against the Kubernetes schema (no cluster).
suite deploy deploy/kubernetes/test/test.sh deploy

# Name every failed test just above the closing line, so a log that keeps only its tail still says what broke.
if [ "$failed" -gt 0 ]; then
  status=1
  echo "=== failed tests"
  grep -hE '^\s*(Failed [^!]|\[FAIL\]|✖ |(FAILED|ERROR) tests/)' out/test-*.log | sed -E 's/^\s+//' | sort -u | head -8
  grep -hA3 -E 'Error Message:' out/test-*.log | grep -vE 'Error Message:|^--$' | sed -E 's/^\s+/  /' | head -8
fi
echo "$passed passed, $failed failed, $skipped skipped" | tee "$summary"
exit $status
