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
jobs=${UNIT_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

running=0
for t in "$@"; do
	name=$(basename "$t")
	(
		"${prefix[@]}" "$t" >"$dir/$name.out" 2>&1
		echo $? >"$dir/$name.rc"
	) &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
