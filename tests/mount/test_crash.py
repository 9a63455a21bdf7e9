"""Crash safety: mintfs stopped hard in the middle of a commit, or killed
with SIGKILL at random moments, never loses a committed original, never
leaves one half-written, and recovers a clean store at the next mount.

These tests kill mintfs on purpose, so they manage their own Mount objects
(not the fixtures) and clean up every one of them, pass or fail.
"""
import hashlib
import os
import random
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import SANITIZER_MARKS, Mount, fuse_available
from images import make_all

MINTFS_FAULT = os.environ.get("MINTFS_FAULT") or os.path.abspath(
    "build-fault/mintfs")

# Every fault point of the store, in commit order (docs/STORE.md).
FAULT_POINTS = ["after-stage-write", "after-stage-fsync", "after-rename",
                "after-dir-fsync", "in-transaction", "after-commit"]
COMMITTED_AT = {"after-commit"}     # the row is durable at these points

pytestmark = pytest.mark.skipif(not fuse_available(),
                                reason="no /dev/fuse or fusermount3")


class HardMount(Mount):
    """A Mount of a chosen binary and environment, which may die: stop()
    drops a dead mount too, and returns the exit status."""

    reap = Mount.stop
    cleanup = Mount.stop


def sanitizer_free(m):
    log = m.log()
    assert not any(mark in log for mark in SANITIZER_MARKS), log[-4000:]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_store(store):
    """The store's invariants, read straight from disk: every row's blob is
    there with the right bytes, no orphan blob, staging empty, the catalog
    sound. Safe while mintfs runs idle (WAL readers do not block it).
    Returns {name: hash}."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(store,
                                                         "catalog.db"),
                         uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT name, hash, size FROM originals").fetchall()
    finally:
        db.close()
    names = {}
    hashes = set()
    for name, h, size in rows:
        blob = os.path.join(store, "blobs", h[:2], h)
        assert os.path.isfile(blob), "row %r names missing blob %s" % (
            name, h)
        data = read(blob)
        assert len(data) == size and sha(data) == h, name
        names[name] = h
        hashes.add(h)
    for d, _, files in os.walk(os.path.join(store, "blobs")):
        for f in files:
            assert f in hashes and os.path.basename(d) == f[:2], \
                "orphan blob %s" % os.path.join(d, f)
    assert os.listdir(os.path.join(store, "staging")) == []
    return names


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Test originals: {name: bytes}, images plus two texts."""
    d = str(tmp_path_factory.mktemp("crash-originals"))
    made = make_all(d)
    out = {n: read(os.path.join(d, n)) for n in made}
    out["note.txt"] = "Crash test \u2713\n".encode() * 40
    out["banner 300x100.txt"] = b"banner"
    for n in ("note.txt", "banner 300x100.txt"):
        with open(os.path.join(d, n), "wb") as f:
            f.write(out[n])
    return d, out


BASE = ["plasma.jpg", "rgba.png", "lossy.webp", "note.txt"]


@pytest.mark.parametrize("kind", ["replace", "new", "duplicate"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_fault_point(tmp_path, pool, point, kind):
    srcdir, data = pool
    normal = HardMount(tmp_path / "m")
    fault = HardMount(tmp_path / "m", binary=MINTFS_FAULT,
                      env={"MINT_FAULT_AT": point})
    try:
        # Originals committed by a normal run, checked byte for byte.
        normal.start()
        for n in BASE:
            subprocess.run(["cp", os.path.join(srcdir, n), normal.im],
                           check=True)
        for n in BASE:
            assert read(os.path.join(normal.im, n)) == data[n]
        assert normal.stop() == 0
        sanitizer_free(normal)

        # The fault build dies in the middle of this commit.
        fault.start()
        # duplicate: bytes whose blob exists already (rgba.png's)
        target = {"replace": "plasma.jpg", "new": "fresh.png",
                  "duplicate": "twin.png"}[kind]
        source = "rgba.png" if kind == "duplicate" else "palette.png"
        new = data[source]
        r = subprocess.run(["cp", os.path.join(srcdir, source),
                            os.path.join(fault.im, target)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, "the commit did not hit " + point
        assert fault.reap() == 99, fault.log()[-2000:]
        sanitizer_free(fault)

        # Recovery by the normal binary.
        normal.start()
        got = {n: read(os.path.join(normal.im, n))
               for n in os.listdir(normal.im)}
        for n in BASE:
            if n != target:
                assert got.pop(n) == data[n], n
        if point in COMMITTED_AT:
            assert got.pop(target) == new
        elif kind == "replace":
            assert got.pop(target) == data[target]
        assert got == {}, "unexpected names %s" % sorted(got)
        # the tree serves it: the content it holds decodes again
        stem = target.rsplit(".", 1)[0]
        if target in os.listdir(normal.im):
            head = read(os.path.join(normal.images, stem, "original",
                                     stem + ".png"))[:8]
            assert head == b"\x89PNG\r\n\x1a\n"
        else:
            assert stem not in os.listdir(normal.images)
        assert normal.stop() == 0
        sanitizer_free(normal)
        rows = check_store(normal.store)
        assert sorted(rows) == sorted(set(BASE) | (
            {target} if point in COMMITTED_AT else set()))
    finally:
        fault.cleanup()
        normal.cleanup()


# ---- SIGKILL at random moments ----------------------------------------------

KILLS = 50
TIME_BUDGET = 90.0      # seconds for the whole randomized test
NAMES = ["a.jpg", "b.png", "c d.webp", "e.txt", "f.png", "g\u00e9.jpg",
         "h.webp"]


class Writer(threading.Thread):
    """Copies, renames and deletes originals in Image Manager, keeping a
    model of what must be there: `state` ({name: bytes}) holds the effect
    of every operation that returned success. An operation that fails is
    taken to be interrupted by a kill: it is kept in `pending` (with the
    time it failed) and the writer waits to be resumed."""

    def __init__(self, im, srcdir, data, rng):
        super().__init__(daemon=True)
        self.im = im
        self.srcdir = srcdir
        self.data = data
        self.rng = rng
        self.state = {}
        self.pending = None
        self.ops = 0
        self.cv = threading.Condition()
        self.running = False    # may start operations
        self.busy = False       # an operation is in flight
        self.quit = False
        self.error = None

    def p(self, name):
        return os.path.join(self.im, name)

    def choose(self):
        rng = self.rng
        have = sorted(self.state)
        r = rng.random()
        if not have or r < 0.6:
            src = rng.choice(sorted(self.data))
            return ("cp", src, rng.choice(NAMES))
        if r < 0.8:
            return ("rename", rng.choice(have), rng.choice(NAMES))
        return ("unlink", rng.choice(have))

    def run_op(self, op):
        if op[0] == "cp":
            r = subprocess.run(["cp", os.path.join(self.srcdir, op[1]),
                                self.p(op[2])], capture_output=True,
                               timeout=60)
            return r.returncode == 0
        try:
            if op[0] == "rename":
                os.rename(self.p(op[1]), self.p(op[2]))
            else:
                os.unlink(self.p(op[1]))
        except OSError:
            return False
        return True

    def apply(self, op):
        if op[0] == "cp":
            self.state[op[2]] = self.data[op[1]]
        elif op[0] == "rename":
            if op[1] != op[2]:
                self.state[op[2]] = self.state.pop(op[1])
        else:
            del self.state[op[1]]

    def worlds(self):
        """The states allowed after a crash: before and after `pending`."""
        if self.pending is None:
            return [self.state]
        after = dict(self.state)
        op = self.pending[0]
        if op[0] == "cp":
            after[op[2]] = self.data[op[1]]
        elif op[0] == "rename":
            if op[1] != op[2]:
                after[op[2]] = after.pop(op[1])
        else:
            after.pop(op[1], None)
        return [self.state, after]

    def run(self):
        try:
            while True:
                with self.cv:
                    while not self.running and not self.quit:
                        self.busy = False
                        self.cv.notify_all()
                        self.cv.wait()
                    if self.quit:
                        break
                    self.busy = True
                op = self.choose()
                if self.run_op(op):
                    self.apply(op)
                    self.ops += 1
                else:
                    with self.cv:
                        self.pending = (op, time.monotonic())
                        self.running = False
        except Exception as e:      # reported by the test
            self.error = e
        with self.cv:
            self.busy = False
            self.running = False
            self.cv.notify_all()

    def stop_now(self):
        """Stop starting operations; wait until none is in flight."""
        with self.cv:
            self.running = False
            assert self.cv.wait_for(lambda: not self.busy, 60), \
                "the writer hangs"

    def resume(self):
        with self.cv:
            self.pending = None
            self.running = True
            self.cv.notify_all()

    def finish(self):
        with self.cv:
            self.quit = True
            self.cv.notify_all()
        if self.is_alive():
            self.join(30)


def observe(m):
    return {n: read(os.path.join(m.im, n)) for n in os.listdir(m.im)}


def test_random_kills(tmp_path, pool):
    srcdir, data = pool
    seed = int(os.environ.get("MINT_CRASH_SEED") or
               random.SystemRandom().randrange(1 << 32))
    print("test_random_kills: seed %d (MINT_CRASH_SEED=%d to repeat)"
          % (seed, seed))
    rng = random.Random(seed)
    m = HardMount(tmp_path / "k")
    writer = Writer(m.im, srcdir, data, rng)
    kills = interrupted = 0
    start = time.monotonic()
    try:
        m.start()
        writer.start()
        while kills < KILLS and time.monotonic() - start < TIME_BUDGET:
            writer.resume()
            time.sleep(rng.uniform(0.01, 0.3))
            t_kill = time.monotonic()
            m.proc.kill()
            writer.stop_now()
            assert writer.error is None, writer.error
            assert m.reap() == -9, m.log()[-2000:]
            kills += 1
            if writer.pending:
                interrupted += 1
                op, t_fail = writer.pending
                assert t_fail >= t_kill, \
                    "%r failed while mintfs was alive" % (op,)
            sanitizer_free(m)

            m.start()
            got = observe(m)
            worlds = writer.worlds()
            assert got in worlds, (
                "seed %d, kill %d, interrupted %r: found %s, expected one "
                "of %s" % (seed, kills, writer.pending and writer.pending[0],
                           {n: sha(b)[:8] for n, b in got.items()},
                           [{n: sha(b)[:8] for n, b in w.items()}
                            for w in worlds]))
            writer.state = got
            rows = check_store(m.store)
            assert sorted(rows) == sorted(got)
        writer.finish()
        assert m.stop() == 0
        sanitizer_free(m)
        check_store(m.store)
    finally:
        writer.finish()
        m.cleanup()
    print("test_random_kills: %d kills (%d interrupted an operation), %d "
          "operations succeeded, %.1f s" % (kills, interrupted, writer.ops,
                                            time.monotonic() - start))
    assert kills >= KILLS, ("only %d kills within %.0f s (want %d)"
                            % (kills, TIME_BUDGET, KILLS))
