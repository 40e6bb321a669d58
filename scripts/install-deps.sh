#!/usr/bin/env bash
# Installs, with apt, the host tools Hive drives. Quiet when everything is there already.
set -euo pipefail

need=()
command -v runc >/dev/null || need+=(runc)
command -v nft >/dev/null || need+=(nftables)
command -v ip >/dev/null || need+=(iproute2)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx nc || need+=(busybox-static)
command -v setsid >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
# Native AOT (hive-mcp, the sandboxes' MCP server) links with clang against zlib.
command -v clang >/dev/null || need+=(clang)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
# hive-init, the sandboxes' PID 1, is linked statically against glibc.
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e "/usr/lib/$(uname -m)-linux-gnu/libc.a" ] || need+=(libc6-dev)
# The Python SDK's tests (sdk/python) run with Debian's python3 and its httpx and pytest.
/usr/bin/python3 -c 'import httpx' 2>/dev/null || need+=(python3-httpx)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
# The examples' tests (examples/) make their fake model API's certificate with the openssl CLI.
command -v openssl >/dev/null || need+=(openssl)
# The Inspector is built with Node (npm, esbuild) and tested in Debian's chromium, driven headless by playwright-core.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
# The store's tests run its contract against a real PostgreSQL server they start (cluster mode keeps its state there).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The Kubernetes manifests (deploy/kubernetes) are rendered in the tests with `kubectl kustomize`.
command -v kubectl >/dev/null || need+=(kubernetes-client)
# `install-deps.sh bench`: what the benchmarks drive as load generator and peer proxy.
if [ "${1:-}" = bench ]; then
  command -v wrk >/dev/null || need+=(wrk)
  command -v mitmdump >/dev/null || need+=(mitmproxy)
  # The file system benchmark's peer, libfuse's passthrough_hp, is built from source (scripts/build-passthrough-hp.sh).
  command -v g++ >/dev/null || need+=(g++)
  command -v pkg-config >/dev/null || need+=(pkg-config)
  pkg-config --exists fuse3 2>/dev/null || need+=(libfuse3-dev)
  command -v python3 >/dev/null || need+=(python3)
  command -v git >/dev/null || need+=(git)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: missing ${need[*]}; run as root (or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "installing ${need[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "${1:-}" = bench ]; then
  "$(dirname "$0")/build-passthrough-hp.sh" || echo "warning: could not build passthrough_hp; the files benchmark (--suite files) needs it" >&2
fi

# The object-store volume tests start real storage servers from npm (never mocks): Azurite for Azure Blob, s3rver for S3
# and firebase-tools' Cloud Storage emulator for GCS, on loopback. `install-deps.sh objstore` installs them (scripts/test.sh
# runs it while the solution builds; the tests call it when they are missing); `bench` too, for the objstore suite.
# A plain `make build` (and so `make up`) does not: they are for tests only.
objstore="${HIVE_OBJSTORE_SERVERS:-/var/cache/hive-test/objstore}"
if [ "${1:-}" = objstore ] || [ "${1:-}" = bench ]; then
  if [ ! -x "$objstore/node_modules/.bin/azurite-blob" ] || [ ! -x "$objstore/node_modules/.bin/s3rver" ]; then
    echo "installing azurite and s3rver with npm into $objstore"
    mkdir -p "$objstore"
    (cd "$objstore" && npm install --no-audit --no-fund --loglevel=error azurite@3.37.0 s3rver@3.7.1 >/dev/null)
  fi
  # GCS: the Cloud Storage emulator of firebase-tools (Node code, started by the tests with
  # tests/Hive.Files.Tests/ObjectStore/gcs-emulator.js), in its own folder so that it installs apart from the two above.
  if [ ! -f "$objstore/gcs/node_modules/firebase-tools/lib/emulator/storage/index.js" ]; then
    echo "installing firebase-tools (its Cloud Storage emulator) with npm into $objstore/gcs"
    mkdir -p "$objstore/gcs"
    (cd "$objstore/gcs" && npm install --no-audit --no-fund --loglevel=error firebase-tools@15.34.2 >/dev/null)
  fi
fi
[ "${1:-}" = objstore ] && exit 0

if ! command -v dotnet >/dev/null; then
  echo "error: the .NET 10 SDK is missing (dotnet not on PATH); install it from Microsoft's packages, then run make again" >&2
  exit 1
fi
