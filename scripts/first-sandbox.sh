#!/usr/bin/env bash
# The end of `make up`: shows one sandbox working.
set -euo pipefail
hive=bin/hive
echo
echo "First sandbox: a throwaway hive/base sandbox says hello, then its events (the audit log):"
$hive run --image hive/base -- sh -c 'echo "hello from $(hostname)"; id; uname -sr'
echo
echo "Hive is up. Try:"
echo "  $hive sandbox create demo && $hive exec demo -- sh -c 'echo hi > /workspace/hi.txt; ls -l /workspace'"
echo "  $hive events demo"
echo "  $hive down"
