#!/bin/sh
# Starts a private pcscd with the vpcd virtual reader driver, in its own mount namespace so that the system pcscd
# (if any) is never touched (DESIGN.md §6). Needs root (or CAP_SYS_ADMIN).
#
#   scripts/private-pcscd.sh DIR PORT
#
# DIR gets run/ (the socket: DIR/run/pcscd.comm) and reader.conf; vpcd serves PORT and PORT+1 as two readers.
# The script execs into pcscd, so its PID is pcscd's and SIGTERM stops it. Clients must set
# PCSCLITE_CSOCK_NAME=DIR/run/pcscd.comm before their first PC/SC call.
set -eu
dir=$1
port=$2
mkdir -p "$dir/run" /run/pcscd
cat > "$dir/reader.conf" <<CONF
FRIENDLYNAME "CardKiosk Virtual PCD"
DEVICENAME   /dev/null:$port
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $port
CONF
# An empty directory over the USB driver folder keeps this pcscd away from real readers.
mkdir -p "$dir/no-usb-drivers"
exec unshare --mount --propagation private /bin/sh -c \
    "mount --bind '$dir/run' /run/pcscd && mount --bind '$dir/no-usb-drivers' /usr/lib/pcsc/drivers/ifd-ccid.bundle 2>/dev/null; exec pcscd --foreground -c '$dir/reader.conf'"
