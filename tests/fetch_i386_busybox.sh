#!/bin/sh
# Fetches Debian's i386 busybox-static and unpacks it into DIR (default build/debian-i386):
# DIR/bin/busybox. Nothing is installed on the system: the package is downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x`. The i386 package lists must be known to
# apt (.ci/install-deps adds the architecture). Exits non-zero, saying why, when it cannot.
set -e
dir=${1:-build/debian-i386}
[ -x "$dir/bin/busybox" ] && exit 0
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	echo "fetch_i386_busybox: apt does not know i386 packages (run .ci/install-deps as root)" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq busybox-static:i386 2>/dev/null) || {
	echo "fetch_i386_busybox: apt-get download busybox-static:i386 failed" >&2
	exit 1
}
dpkg-deb -x "$work"/busybox-static_*_i386.deb "$work/x"
mkdir -p "$dir/bin"
cp "$work/x/bin/busybox" "$dir/bin/busybox.part"
mv "$dir/bin/busybox.part" "$dir/bin/busybox"
