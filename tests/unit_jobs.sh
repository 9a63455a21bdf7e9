#!/usr/bin/env bash
# Run unit test binaries UNIT_JOBS at a time (default: one per CPU), each
# with its output kept: for every binary B given, writes DIR/B.out (its
# stdout and stderr) and DIR/B.rc (its exit status). The callers
# (tests/run.sh, tests/tsan.sh) then read the results in the order given,
# so a log reads the same however the runs overlapped.
#
#   tests/unit_jobs.sh DIR [PREFIX...] -- BIN...
#
# PREFIX is a command each binary runs under (tests/tsan.sh: setarch -R).
# Under the sanitizers the unit tests took five minutes one at a time;
# their binaries share nothing (each makes its own temporary folders), so
# running them side by side only shares the CPUs.
set -u
dir=$1
shift
prefix=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	prefix+=("$1")
	shift
done
shift

# One binary, its output and exit status kept.
run_one() {
	local name

	name=$(basename "$1")
	"${prefix[@]}" "$1" >"$dir/$name.out" 2>&1
	echo $? >"$dir/$name.rc"
}

. "$(dirname "$0")/jobs.sh"
run_each "${UNIT_JOBS:-$(nproc)}" run_one "$@"
