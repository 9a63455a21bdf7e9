#!/usr/bin/env bash
# Fuzz each target for FUZZ_SECONDS, FUZZ_JOBS of them at a time (default:
# one per CPU; each libFuzzer run is one process on one core), as `make
# fuzz` does (tests/fuzz/fuzz.mk sets the variables). Every target runs
# even when one fails; each one's summary is printed in the order given,
# then the run fails naming the crash files.
#
#   tests/fuzz/run.sh TARGET...
#
# Each run starts from the committed seeds in tests/fuzz/corpus/<target>/
# (only read) and the corpus build-fuzz/corpus/<target>/ that earlier runs
# grew (written); crash files go to build-fuzz/crashes/<target>/ and the
# whole log to build-fuzz/logs/<target>.log. -close_fd_mask=2 keeps the
# generators' refusal lines out of the log (libFuzzer and the sanitizers
# still report).
set -u
cd "$(dirname "$0")/../.."
: "${FUZZ_BUILD:=build-fuzz}" "${FUZZ_SECONDS:=60}" "${FUZZ_RSS_MB:=2048}"
: "${FUZZ_TIMEOUT:=10}" "${FUZZ_OPTS:=}"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
mkdir -p "$FUZZ_BUILD/logs"

max_len() {
	case $1 in text) echo 65536 ;; *) echo 262144 ;; esac
}

# One target; its exit status in logs/<target>.rc.
fuzz_one() {
	local t=$1 out="$FUZZ_BUILD/corpus/$1" art="$FUZZ_BUILD/crashes/$1"
	local log="$FUZZ_BUILD/logs/$1.log"

	rm -f "$FUZZ_BUILD/logs/$t.rc"
	mkdir -p "$out" "$art"
	# shellcheck disable=SC2086	# FUZZ_OPTS is a list of options
	"$FUZZ_BUILD/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
		-max_len="$(max_len "$t")" -rss_limit_mb="$FUZZ_RSS_MB" \
		-timeout="$FUZZ_TIMEOUT" -print_final_stats=1 \
		-close_fd_mask=2 -artifact_prefix="$art/" $FUZZ_OPTS \
		"$out" "tests/fuzz/corpus/$t" >"$log" 2>&1
	echo $? >"$FUZZ_BUILD/logs/$t.rc"
}

. tests/jobs.sh
run_each "${FUZZ_JOBS:-$(nproc)}" fuzz_one "$@"

failed=()
for t in "$@"; do
	log="$FUZZ_BUILD/logs/$t.log"
	rc=$(cat "$FUZZ_BUILD/logs/$t.rc" 2>/dev/null)
	rc=${rc:-1}
	echo "== fuzz $t: $FUZZ_SECONDS s, max_len $(max_len "$t")"
	grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
		"$log" | sed 's/^/   /'
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
		echo "== fuzz $t FAILED (exit $rc), full log $log"
		grep -h 'Test unit written to' "$log"
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "crashes in: ${failed[*]} (crash files under $FUZZ_BUILD/crashes/;" \
		"see docs/FUZZING.md)"
	echo "fuzz: $(($# - ${#failed[@]})) passed, ${#failed[@]} failed"
	exit 1
fi
echo "fuzz: $# passed, 0 failed"
