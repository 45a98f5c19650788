#!/bin/sh
# Installs CardKiosk's files into DESTDIR under PREFIX: the binaries from BIN_DIR, the systemd units, the udev rules,
# the sysusers.d entry, the default configuration (never over an existing one) and the documentation.
# Used by `make install` and by scripts/build-deb.sh (which stages into a temporary DESTDIR). STRIP=1 strips the
# binaries' symbols and debug information (release builds carry -g; a kiosk has no use for it).
#
#   scripts/install-tree.sh BIN_DIR [DESTDIR] [PREFIX] [SYSCONFDIR]
set -eu
bin_dir=$1
destdir=${2:-}
prefix=${3:-/usr/local}
sysconfdir=${4:-/etc}
here=$(cd "$(dirname "$0")/.." && pwd)

for binary in kioskd kioskctl kiosk-central; do
    [ -x "$bin_dir/$binary" ] || { echo "install-tree: $bin_dir/$binary is missing (build it first)" >&2; exit 1; }
    install -D -m 0755 "$bin_dir/$binary" "$destdir$prefix/bin/$binary"
    [ "${STRIP:-0}" = 1 ] && strip --strip-unneeded "$destdir$prefix/bin/$binary"
done

# Units name /usr/bin/…; point them at this prefix.
for unit in kioskd.service kiosk-central.service; do
    install -d -m 0755 "$destdir$prefix/lib/systemd/system"
    sed -e "s#/usr/bin/#$prefix/bin/#g" -e "s#/etc/kioskd/#$sysconfdir/kioskd/#g" "$here/systemd/$unit" \
        > "$destdir$prefix/lib/systemd/system/$unit"
    chmod 0644 "$destdir$prefix/lib/systemd/system/$unit"
done

install -d -m 0755 "$destdir$prefix/lib/udev/rules.d"
for rules in "$here"/udev-rules/*.rules; do
    install -m 0644 "$rules" "$destdir$prefix/lib/udev/rules.d/"
done
install -D -m 0644 "$here/packaging/sysusers.d/cardkiosk.conf" "$destdir$prefix/lib/sysusers.d/cardkiosk.conf"

config="$destdir$sysconfdir/kioskd/kioskd.toml"
install -d -m 0755 "$destdir$sysconfdir/kioskd"
if [ -e "$config" ]; then
    echo "install-tree: keeping the existing $config (the new default is $config.dist)"
    install -m 0644 "$here/packaging/kioskd.toml" "$config.dist"
else
    install -m 0644 "$here/packaging/kioskd.toml" "$config"
fi

install -d -m 0750 "$destdir/var/lib/kiosk"
install -D -m 0644 "$here/README.md" "$destdir$prefix/share/doc/cardkiosk/README.md"
install -D -m 0644 "$here/docs/configuration.md" "$destdir$prefix/share/doc/cardkiosk/configuration.md"
