#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in Fuzz/ (make fuzz-build), each for SECONDS seconds.
#
#   scripts/fuzz.sh SECONDS keep|seeds HARNESS...
#
# keep:  the working corpus is Fuzz/.corpus/<harness>/ (kept between runs, gitignored); the checked-in seeds in
#        Fuzz/Corpus/<harness>/ are read too, never written.
# seeds: a fresh working corpus in a temporary directory, so the run starts from the checked-in seeds only, with
#        libFuzzer's -seed fixed (FUZZ_SEED, default 1) so a failing CI run replays (CI).
#
# Crash inputs go to Fuzz/.artifacts/<harness>-crash-<sha1> (timeouts: -timeout-, out of memory: -oom-); each
# harness's libFuzzer output to Fuzz/.artifacts/<harness>.log. Prints one line per harness (executions, exec/s,
# coverage) and exits non-zero if any harness found a crash, a timeout or a leak.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?seconds}
mode=${2:?keep or seeds}
shift 2
bin=Fuzz/.build/release
mkdir -p Fuzz/.artifacts
# Swift's own backtracer would take the trap and exit before libFuzzer writes the crash input.
export SWIFT_BACKTRACE=enable=no

passed=0
failed=0
printf '%-20s %10s %8s %7s %7s %7s  %s\n' harness execs exec/s cov ft corpus result
for harness in "$@"; do
    exe="$bin/fuzz-$harness"
    log="Fuzz/.artifacts/$harness.log"
    [ -x "$exe" ] || { echo "$exe is missing: run make fuzz-build" >&2; exit 2; }
    if [ "$mode" = keep ]; then
        work="Fuzz/.corpus/$harness"
        mkdir -p "$work"
        seed=()
    else
        work=$(mktemp -d)
        # CI: a fixed seed, so a red run replays exactly (FUZZ_SEED to vary it); `keep` runs are random.
        seed=(-seed="${FUZZ_SEED:-1}")
    fi
    # -timeout: one input running 30 s is a hang; -rss_limit_mb: a harness over 2 GiB is a leak or a blow-up.
    "$exe" "${seed[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="Fuzz/.artifacts/$harness-" "$work" "Fuzz/Corpus/$harness" >"$log" 2>&1
    status=$?
    [ "$mode" = keep ] || rm -rf "$work"
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
    corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
    execs=$(sed -nE 's/^stat::number_of_executed_units: +([0-9]+)/\1/p' "$log")
    rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log")
    if [ "$status" -eq 0 ]; then
        result=ok
        passed=$((passed + 1))
    else
        result="FAILED (exit $status): $(grep -m1 -E 'invariant violated|Fatal error|ERROR: libFuzzer|SUMMARY' "$log" || true)"
        failed=$((failed + 1))
    fi
    printf '%-20s %10s %8s %7s %7s %7s  %s\n' "$harness" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" \
        "${corp:--}" "$result"
done
[ "$failed" -eq 0 ] || echo "crash inputs and logs: Fuzz/.artifacts/ (each crash becomes a unit test, see README.md)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
