"""The bounded stress test (tests/stress/stress.py) as one mount test:
16 threads for STRESS_SECONDS (default 60) of reads, stats, listings and
Image Manager changes on one mount with --cache-size 64M; then mintfs must
be alive, hold no leaked handle, have stayed under its memory bound, and
unmount cleanly (the fixture's teardown checks the exit status and the log
for sanitizer reports). STRESS_SEED=N repeats the choices of the run that
printed seed N."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "stress"))
import stress  # noqa: E402

SECONDS = float(os.environ.get("STRESS_SECONDS", "60"))
THREADS = int(os.environ.get("STRESS_THREADS", "16"))
SEED = os.environ.get("STRESS_SEED")


def test_stress(mount_factory, tmp_path):
    m = mount_factory("--cache-size", stress.CACHE_SIZE)
    res = stress.run(m, SECONDS, THREADS, workdir=str(tmp_path),
                     seed=int(SEED) if SEED else None)
    assert res["ok"], stress.summary(res)
