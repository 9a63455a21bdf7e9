#!/usr/bin/env bash
# Run every test of mintfs: the C unit tests, then the mount tests (pytest
# on a real FUSE mount). Ends with one line counting them all:
#   "N passed, N failed" (", N skipped")
# Exit status 0 only if nothing failed.
#
#   BUILD=build tests/run.sh             the normal build
#   BUILD=build-address-undefined ...    the sanitizer build
#   MOUNT_TESTS=0 tests/run.sh           unit tests only
#   UNIT_JOBS=1 tests/run.sh             unit tests one at a time (default:
#                                        one per CPU, tests/unit_jobs.sh)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0 skipped=0

echo "== unit tests ($BUILD)"
units=()
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && units+=("$t")
done
results=$(mktemp -d)
tests/unit_jobs.sh "$results" -- "${units[@]}"
for t in "${units[@]}"; do
	out=$(cat "$results/$(basename "$t").out" 2>/dev/null)
	rc=$(cat "$results/$(basename "$t").rc" 2>/dev/null)
	rc=${rc:-1}	# no status: it never ran to the end
	printf '%s\n' "$out" | sed "s|^|  $(basename "$t"): |"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		continue
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or exited early: count it
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
rm -rf "$results"

if [ "${MOUNT_TESTS:-1}" != 0 ]; then
	echo "== mount tests ($BUILD)"
	log=$(mktemp)
	MINTFS="$PWD/$BUILD/mintfs" /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider -o junit_family=xunit2 \
		--junitxml="$log.xml" tests/mount ${PYTEST_ARGS:-} 2>&1 |
		tee "$log"
	counts=$(/usr/bin/python3 - "$log.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 1 0")
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for su in suites:
    t += int(su.get("tests", 0))
    f += int(su.get("failures", 0)) + int(su.get("errors", 0))
    s += int(su.get("skipped", 0))
print(t - f - s, f, s)
PY
)
	read -r p f s <<<"$counts"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	rm -f "$log" "$log.xml"
fi

echo "== all tests ($BUILD)"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
