# tests/jobs.sh - sourced by bash scripts: run_each N FN ARG... calls
# `FN ARG` for every ARG in the background, N at a time (at least one),
# and returns when all have ended. FN keeps its own results: their exit
# statuses are not collected. Used by tests/unit_jobs.sh (unit test
# binaries) and tests/fuzz/run.sh (libFuzzer targets).
run_each() {
	local jobs=$1 fn=$2 running=0 arg

	shift 2
	[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
	for arg in "$@"; do
		"$fn" "$arg" &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
}
