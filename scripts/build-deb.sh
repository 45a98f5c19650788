#!/bin/sh
# Builds cardkiosk_VERSION_ARCH.deb from already-built binaries: stages the install tree (scripts/install-tree.sh,
# PREFIX=/usr), adds DEBIAN/ (control, conffiles, maintainer scripts) and runs dpkg-deb --build. Prints the path.
#
#   scripts/build-deb.sh BIN_DIR OUT_DIR [VERSION]
# `make deb` passes the static release binaries (.build/release); the package test passes the debug ones.
set -eu
bin_dir=$1
out_dir=$2
version=${3:-0.6.0}
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)

mkdir -p "$out_dir"
stage=$(mktemp -d "${TMPDIR:-/tmp}/cardkiosk-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
"$here/scripts/install-tree.sh" "$bin_dir" "$stage" /usr /etc >/dev/null

install -d -m 0755 "$stage/DEBIAN"
for script in postinst prerm postrm; do
    install -m 0755 "$here/packaging/debian/$script" "$stage/DEBIAN/$script"
done
echo /etc/kioskd/kioskd.toml > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/packaging/debian/control.in" \
    > "$stage/DEBIAN/control"

deb="$out_dir/cardkiosk_${version}_${arch}.deb"
# DEB_COMPRESSION=none for test packages of the (large) debug binaries; xz, dpkg's default, otherwise.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$stage" "$deb" >/dev/null
echo "$deb"
