#!/usr/bin/env bash
# `make demo`: a private pcscd with a virtual reader, a demo snapshot of synthetic people, kioskd drawing on this
# terminal, and a virtual card for each person tapped one after another. Ctrl-C stops everything.
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

"$bin/kioskctl" snapshot import Tests/Fixtures/demo-people.json --snapshot "$work/snapshot.sqlite"

"$bin/kioskd" --snapshot "$work/snapshot.sqlite" --visit-log "$work/visits.sqlite" \
    --venue-name "示范公园 Demo Park" --hold 8 --min-hold 5 --log-level info 2>"$work/kioskd.log" &
kioskd=$!
pids+=($kioskd)

loop=()
[ "${KIOSK_DEMO_LOOP:-0}" = 1 ] && loop=(--loop)
"$bin/kiosk-vcard" demo --port "$port" --people Tests/Fixtures/demo-people.json \
    --present "${KIOSK_DEMO_PACE:-4}" --gap 3 "${loop[@]}" >"$work/vcard.log" 2>&1 &
vcard=$!
pids+=($vcard)

wait "$vcard" || { echo "kiosk-vcard failed:" >&2; cat "$work/vcard.log" >&2; }
sleep 7
