#!/usr/bin/env bash
# `make demo`: a private pcscd with a virtual reader, the reference central service (kiosk-central) on loopback with
# the demo's synthetic people, kioskd drawing on this terminal (it syncs its signed offline snapshot from the centre
# at start), and a virtual card for each person tapped one after another. Halfway through, the central service is
# stopped: the first taps are answered online (实时 Online), the rest from the offline snapshot (离线数据 截至 …).
# Ctrl-C stops everything.
#   KIOSK_DEMO_LOOP=1   keep tapping the cards round and round
#   KIOSK_DEMO_PACE=S   seconds each card stays on the reader (default 4)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/cardkiosk-demo.XXXXXX)
pids=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    printf '\033[0m\033[?25h'
    if [ -f "$work/visits.sqlite" ]; then
        echo "Visit log: $("$bin/kioskctl" visits count --visit-log "$work/visits.sqlite") visits recorded (subject keys only)."
    fi
    if [ -f "$work/kioskd.log" ]; then
        echo "Answered online: $(grep -c 'kiosk.provenance=online' "$work/kioskd.log" || true), from the offline snapshot: $(grep -c 'kiosk.provenance=snapshot' "$work/kioskd.log" || true)."
    fi
    [ -f "$work/kioskd.log" ] && grep -o 'kiosk.latency_ms=[0-9.]*' "$work/kioskd.log" | cut -d= -f2 | sort -n |
        awk '{a[NR]=$1} END {if (NR) printf "Tap to frame (reader event to frame written) over %d taps: median %.1f ms, max %.1f ms\n", NR, a[int((NR+1)/2)], a[NR]}' || true
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ -f "$work/kioskd.log" ]; then
        echo "kioskd log (last lines):" >&2
        tail -n 20 "$work/kioskd.log" >&2
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
    echo "make demo starts a private pcscd in its own mount namespace and needs root (sudo make demo)." >&2
    exit 1
fi

port=$((36000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
    port=$((port + 2))
done

scripts/private-pcscd.sh "$work/pcscd" "$port" >"$work/pcscd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/pcscd/run/pcscd.comm" ] && break; sleep 0.1; done
[ -S "$work/pcscd/run/pcscd.comm" ] || { echo "pcscd did not start; see below" >&2; cat "$work/pcscd.log" >&2; exit 1; }
export PCSCLITE_CSOCK_NAME="$work/pcscd/run/pcscd.comm"

# The central service: a signing key, one kiosk token, the demo people (hashed at import), served on a free port.
"$bin/kiosk-central" keygen --out "$work/central.key" >"$work/central.pub"
echo "demo-token-1 demo-kiosk-1" >"$work/tokens"
echo "demo-token-1" >"$work/kiosk.token"
"$bin/kiosk-central" import Tests/Fixtures/demo-people.json --database "$work/central.sqlite"
"$bin/kiosk-central" serve --database "$work/central.sqlite" --signing-key "$work/central.key" \
    --tokens "$work/tokens" --port 0 >"$work/central.log" 2>&1 &
central=$!
pids+=($central)
central_port=""
for _ in $(seq 100); do
    central_port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/central.log" | tail -n 1 | cut -d: -f2 || true)
    [ -n "$central_port" ] && break
    sleep 0.1
done
[ -n "$central_port" ] || { echo "kiosk-central did not start:" >&2; cat "$work/central.log" >&2; exit 1; }

"$bin/kioskd" --snapshot "$work/snapshot.sqlite" --visit-log "$work/visits.sqlite" \
    --venue-name "示范公园 Demo Park" --hold 8 --min-hold 5 --log-level info \
    --central-url "http://127.0.0.1:$central_port" --token-file "$work/kiosk.token" --kiosk-id demo-kiosk-1 \
    --central-public-key "$(head -n 1 "$work/central.pub")" 2>"$work/kioskd.log" &
kioskd=$!
pids+=($kioskd)
for _ in $(seq 100); do grep -q 'snapshot installed' "$work/kioskd.log" 2>/dev/null && break; sleep 0.1; done

loop=()
[ "${KIOSK_DEMO_LOOP:-0}" = 1 ] && loop=(--loop)
pace=${KIOSK_DEMO_PACE:-4}
"$bin/kiosk-vcard" demo --port "$port" --people Tests/Fixtures/demo-people.json \
    --present "$pace" --gap 3 "${loop[@]}" >"$work/vcard.log" 2>&1 &
vcard=$!
pids+=($vcard)

# Halfway through the cards the network "goes": stop the central service; kioskd answers from its snapshot.
( sleep "$(awk -v p="$pace" 'BEGIN { print 7 * (p + 3) }')" && kill -TERM "$central" 2>/dev/null ) &
pids+=($!)

wait "$vcard" || { echo "kiosk-vcard failed:" >&2; cat "$work/vcard.log" >&2; }
sleep 7
