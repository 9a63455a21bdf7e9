#!/usr/bin/env bash
# The ThreadSanitizer run, as CI does it (docs/TESTING.md, "Stress and
# ThreadSanitizer"): build build-thread/ with `make SANITIZE=thread`, run
# every unit test, then the stress test on a real mount for STRESS_SECONDS
# (default 45). Every TSan report fails the binary that printed it (TSan's
# exitcode; mintfs's log is checked too). Ends with one line counting them:
#   "N passed, N failed" (", N skipped")
# Exit status 0 only if nothing failed.
#
#   tests/tsan.sh                      build and run everything
#   STRESS_SECONDS=120 tests/tsan.sh   a longer stress run
set -u
cd "$(dirname "$0")/.."
BUILD=build-thread
STRESS_SECONDS=${STRESS_SECONDS:-45}
STRESS_THREADS=${STRESS_THREADS:-16}

# Report every race (halt_on_error=0) and fail at exit with 66; keep two
# stacks for lock-order reports; suppressions only for third-party frames.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 \
suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"

echo "== build ($BUILD)"
log=$(mktemp)
if ! make -j"$(nproc)" --no-print-directory SANITIZE=thread BUILD="$BUILD" \
	all unit >"$log" 2>&1; then
	tail -30 "$log"
	rm -f "$log"
	echo "== all tests ($BUILD)"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f "$log"

# gcc 12's TSan cannot run with the high mmap randomisation of recent
# kernels ("unexpected memory mapping"): run without ASLR there.
PREFIX=()
if "$BUILD"/tests/test_tree 2>&1 | grep -q 'unexpected memory mapping'; then
	PREFIX=(setarch "$(uname -m)" -R)
	echo "(running without ASLR: TSan needs it on this kernel)"
fi

passed=0 failed=0 skipped=0
echo "== unit tests ($BUILD)"
units=()
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && units+=("$t")
done
results=$(mktemp -d)
tests/unit_jobs.sh "$results" "${PREFIX[@]}" -- "${units[@]}"
for t in "${units[@]}"; do
	out=$(cat "$results/$(basename "$t").out" 2>/dev/null)
	rc=$(cat "$results/$(basename "$t").rc" 2>/dev/null)
	rc=${rc:-1}	# no status: it never ran to the end
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ $rc -eq 77 ]; then
		echo "  $(basename "$t"): skipped"
		skipped=$((skipped + 1))
		continue
	fi
	if printf '%s\n' "$out" | grep -q 'WARNING: ThreadSanitizer'; then
		printf '%s\n' "$out" | sed "s|^|  $(basename "$t"): |"
		f=$((f + 1))	# the report itself is a failure
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		printf '%s\n' "$out" | tail -20 | sed "s|^|  $(basename "$t"): |"
		f=1		# crashed or exited early
	fi
	echo "  $(basename "$t"): $p ok, $f failed (exit $rc)"
	passed=$((passed + p))
	failed=$((failed + f))
done
rm -rf "$results"

echo "== stress test ($BUILD, ${STRESS_SECONDS}s, $STRESS_THREADS threads)"
MINTFS="$PWD/$BUILD/mintfs" "${PREFIX[@]}" /usr/bin/python3 \
	tests/stress/stress.py --seconds "$STRESS_SECONDS" \
	--threads "$STRESS_THREADS" ${STRESS_SEED:+--seed "$STRESS_SEED"}
rc=$?
if [ $rc -eq 0 ]; then
	passed=$((passed + 1))
elif [ $rc -eq 77 ]; then
	skipped=$((skipped + 1))
else
	failed=$((failed + 1))
fi

echo "== all tests ($BUILD)"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
