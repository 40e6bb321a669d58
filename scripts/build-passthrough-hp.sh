#!/usr/bin/env bash
# Builds libfuse's passthrough_hp example (the file system benchmark's peer) from Debian's fuse3 source
# package, against the libfuse3 of the same version from libfuse3-dev. Quiet when it is built already.
# The source comes through apt (a private deb-src list under the cache dir, so the system's apt setup is untouched).
set -euo pipefail
out=${HIVE_PASSTHROUGH_HP:-/var/cache/hive-bench/passthrough_hp}
[ -x "$out" ] && exit 0
dir=$(dirname "$out")/fuse3-src
mkdir -p "$dir/lists/partial" "$dir/parts"
. /etc/os-release
cat > "$dir/parts/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME:-bookworm}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_src=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/parts" -o Dir::State::Lists="$dir/lists")
echo "fetching Debian's fuse3 source package to build passthrough_hp"
apt-get "${apt_src[@]}" update -qq 2>/dev/null
(cd "$dir" && apt-get "${apt_src[@]}" source --download-only -qq fuse3 2>/dev/null)
rm -rf "$dir/src"
(cd "$dir" && dpkg-source --no-check -x fuse3_*.dsc src >/dev/null)
version=$(pkg-config --modversion fuse3)
grep -q "version: '$version'" "$dir/src/meson.build" || echo "note: libfuse3-dev is $version; the source package is $(sed -nE "s/.*version: '([0-9.]+)'.*/\1/p" "$dir/src/meson.build" | head -1)"
g++ -O2 -std=c++17 -Wno-unused-result -o "$out" "$dir/src/example/passthrough_hp.cc" $(pkg-config --cflags --libs fuse3) -lpthread
echo "built $out"
