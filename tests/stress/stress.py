#!/usr/bin/env python3
"""Bounded stress test of a real mintfs mount (docs/TESTING.md, "Stress and
ThreadSanitizer").

    MINTFS=build/mintfs python3 tests/stress/stress.py --seconds 60 --threads 16
    (--seed N repeats the choices of the run that printed seed N)

Starts mintfs (conftest's Mount) on a fresh store with --cache-size 64M,
puts in four seed originals (PNG RGBA, JPEG, WebP, text), then runs N
threads for S seconds, each picking at random:

  read       open an Images file (original/, always_random/, counter/, every
             format), fstat, read to EOF in random chunk sizes; bytes read
             must equal the fstat size and, for an original nobody touched
             meanwhile, the stat size taken before open
  stat       stat of any file or folder
  readdir    listing of any folder, with the expected entries
  imread     read an Image Manager file back: the bytes last written
  cp         write a new original under a fresh name (unique bytes)
  overwrite  O_TRUNC rewrite of an existing original with new bytes
  rename     rename an original, to a fresh name or over an existing one
  unlink     delete an original

Only stress-made originals ("s-N.ext") are changed; the seeds never are.
A change claims the names it works on, so no two changes touch one name
at once and every change must succeed. A read may fail with ENOENT (or
ESTALE: libfuse's high-level API answers so when the name it resolved was
renamed over between the kernel's lookup and the open), or see a size or
bytes that changed, only if a change of the same original overlapped it
(each original has a change counter and a busy count): that is a counted
race, anything else is an error. EINVAL is never acceptable: everything written is a valid image.

What a check expects (that an original exists, the bytes last written) and
the snapshot of the counters that tells whether a change overlapped are
taken in one instant, under the bookkeeping's lock (Changes.pick); a change
records its result in the same instant as it ends (Changes.end). So a
change that ends before the snapshot is in the expectation, and one that
starts after it shows in the counters: the two never disagree.

At the end: mintfs still alive and answering; Image Manager holds exactly
the stress originals the bookkeeping expects, each with the bytes last
written (when no two changes overlapped) and its Images folder; its open
file descriptors
(/proc/PID/fd) back to the count before the run (within FD_SLACK: every
release happened), its resident memory (VmRSS, sampled every second) under
the bound, and a clean unmount. Prints a summary; exit 0 on success.

tests/mount/test_stress.py runs the same through pytest (run() below).
"""
import argparse
import collections
import errno
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MOUNT_DIR = os.path.join(os.path.dirname(HERE), "mount")
sys.path.insert(0, MOUNT_DIR)
try:
    import pytest  # noqa: F401  (conftest needs it only for its fixtures)
except ImportError:
    import types

    def _fixture(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f
    sys.modules["pytest"] = types.SimpleNamespace(fixture=_fixture)
import conftest  # noqa: E402
from conftest import Mount, SANITIZER_MARKS  # noqa: E402
from images import FOLDER_ENTRIES, FORMATS  # noqa: E402

# the folders whose files the readers open, and copies per format; the
# others are listed, not read here (a whole encode per open, or what a
# typed name asks): their own tests cover them
VARIANTS = (("original", 1), ("always_random", 1), ("counter", 10))
CACHE_SIZE = "64M"
MAX_STRESS_ORIGINALS = 12   # cp turns into unlink above this
FD_SLACK = 4                # fds that may legitimately differ
MiB = 1 << 20

# The memory bound (MiB) on VmRSS, see docs/TESTING.md. Plain build:
#   64   the cache (--cache-size 64M), full by the end of a run
# + 28   the process after the warm-up (libraries, fontconfig, SQLite)
# + 32   work outside the cache: up to one decode (640x480 RGBA, 1.2 MiB)
#        and one encoded file (< 1 MiB) in flight per libfuse thread (16)
# + 36   slack: glibc keeps freed memory in its per-thread arenas
# + 64   the background pool (warm.c): two workers, each with one new
#        original's pictures and encodings in flight (104 files: animated/'s
#        frames and palettes, distinct/'s variations), and their threads'
#        arenas; measured 102 MiB peak with --no-eager, 161-165 without
# + 64   GIF, BMP and TIFF: 36 more files an original in the pool's work
#        (libimagequant's histograms, a GIF base's indices, a BMP's whole
#        rows), measured peaks 172 and 243 MiB in two 60 s runs
# = 288; measured peaks 93-97 MiB in 60 s runs before the pool. A leak of the contents read
# (100-500 KiB each, about 3,000 reads a minute) crosses it within the run.
# Sanitizer runtimes add shadow memory (and ASan a quarantine of up to
# 256 MiB of freed blocks): measured peaks 360-388 MiB under ASan+UBSan,
# 275-320 MiB under TSan.
RSS_BOUND_MIB = {"plain": 288, "asan": 704, "tsan": 832}

# Weights of the operations.
# What a name changed by another thread can answer (see the top).
RACE_ERRNOS = (errno.ENOENT, errno.ESTALE)

OPS = (("read", 40), ("stat", 12), ("readdir", 10), ("imread", 6),
       ("cp", 10), ("overwrite", 8), ("rename", 7), ("unlink", 7))


def stem(name):
    i = name.rfind(".")
    return name[:i] if i > 0 else name


# ---- originals -----------------------------------------------------------

def make_seeds(d):
    """The seed originals: {Image Manager name: bytes}."""
    def convert(name, *args):
        p = os.path.join(d, name)
        subprocess.run(["convert", *args, p], check=True,
                       capture_output=True)
        return p

    seeds = {}
    p = convert("a.png", "-size", "400x300", "plasma:red-blue", "-alpha",
                "set", "-channel", "A", "-evaluate", "set", "60%",
                "+channel", "-depth", "8", "-define", "png:color-type=6")
    seeds["seed-rgba.png"] = p
    seeds["seed-photo.jpg"] = convert("b.jpg", "-size", "640x480",
                                      "plasma:green-yellow", "-quality", "85")
    seeds["seed-lossy.webp"] = convert("c.webp", "-size", "320x240",
                                       "plasma:", "-quality", "80")
    t = os.path.join(d, "note.txt")
    with open(t, "w") as f:
        f.write("Stress test seed.\nThe quick brown fox jumps over the "
                "lazy dog. Zwölf Boxkämpfer jagen Viktor quer über den "
                "großen Sylter Deich.\n")
    seeds["seed-note 320x240.txt"] = t
    out = {}
    for name, path in seeds.items():
        with open(path, "rb") as f:
            out[name] = f.read()
    return out


def unique_bytes(ext, seeds, tag):
    """Valid bytes for an original of type `ext`, unique per `tag` where
    the format allows it cheaply (a PNG tEXt chunk, a JPEG COM segment;
    WebP bytes are the seed's, which the store dedups)."""
    if ext == "png":
        base = seeds["seed-rgba.png"]
        data = b"Comment\0stress %d" % tag
        chunk = (len(data).to_bytes(4, "big") + b"tEXt" + data +
                 zlib.crc32(b"tEXt" + data).to_bytes(4, "big"))
        return base[:33] + chunk + base[33:]     # after the IHDR chunk
    if ext == "jpg":
        base = seeds["seed-photo.jpg"]
        data = b"stress %d" % tag
        return base[:2] + b"\xff\xfe" + (len(data) + 2).to_bytes(2, "big") \
            + data + base[2:]
    if ext == "webp":
        return seeds["seed-lossy.webp"]
    words = ("mint", "river", "upload", "twice", "image", "noise", "fox")
    rnd = random.Random(tag)
    return ("stress %d\n" % tag + " ".join(
        rnd.choice(words) for _ in range(rnd.randint(5, 60)))).encode()


# ---- bookkeeping of changes ----------------------------------------------

class Changes:
    """Per original (keyed by stem): a change counter and a busy count.

    A change bumps the counter when it starts and when it ends; a reader
    whose window saw the counter move, or a change in progress, tolerates
    ENOENT and changed bytes. `expected` holds the bytes of each stress
    original when known (None: two changes overlapped, so unknown).

    A reader's window opens at its snapshot, so what it expects must be
    read together with it (pick), and what a change leaves must be
    recorded together with its end (end): an expectation read before the
    snapshot could miss a change that ended in between, which the
    counters, already moved, no longer show."""

    def __init__(self):
        self.lock = threading.Lock()
        self.gen = collections.Counter()
        self.busy = collections.Counter()
        self.expected = {}          # Image Manager name -> bytes or None
        self.claimed = set()        # names a writer or rename works on
        self.fresh = 0

    def new_tag(self):
        with self.lock:
            self.fresh += 1
            return self.fresh

    def _snap(self, stems):
        """The snapshot of `stems`; the caller holds the lock."""
        return ({s: self.gen[s] for s in stems},
                {s for s in stems if self.busy[s]})

    def snapshot(self, stems=None):
        with self.lock:
            if stems is None:
                return dict(self.gen), {s for s, b in self.busy.items() if b}
            return self._snap(stems)

    def pick(self, rnd, seeds, seed_chance=None):
        """Choose an original believed to exist and return (name, the
        bytes it should hold or None if unknown, snapshot), all three in
        one instant. Uniformly among seeds and stress originals, or with
        seed_chance: a seed with that chance (always when there is no
        stress original), else a stress original."""
        with self.lock:
            names = list(self.expected)
            if seed_chance is None:
                n = rnd.choice(list(seeds) + names)
            elif not names or rnd.random() < seed_chance:
                n = rnd.choice(list(seeds))
            else:
                n = rnd.choice(names)
            want = seeds[n] if n in seeds else self.expected[n]
            return n, want, self._snap([stem(n)])

    def raced(self, s, snap):
        gen, busy = snap
        with self.lock:
            return (s in busy or self.busy[s] > 0 or
                    self.gen[s] != gen.get(s, 0))

    def claim(self, names, existing=()):
        """Reserve names for one writer or rename, or False if another
        has one of them. Two programs writing one file at once make a mix
        of both, on any filesystem: the test never does that. Also False
        if a name in `existing` (chosen from names() a moment ago) is no
        longer believed to exist: a change of it ended in between."""
        with self.lock:
            if any(n in self.claimed for n in names):
                return False
            if any(n not in self.expected for n in existing):
                return False
            self.claimed.update(names)
            return True

    def unclaim(self, names):
        with self.lock:
            self.claimed.difference_update(names)

    def begin(self, names):
        with self.lock:
            tok = []
            for n in names:
                s = stem(n)
                tok.append((n, self.gen[s], self.busy[s]))
                self.gen[s] += 1
                self.busy[s] += 1
            return tok

    def end(self, tok, record=None):
        """True if no other change of these originals overlapped.
        record(clean), if given, updates `expected` with the lock held:
        the change's result is known from the instant the counters say it
        is over."""
        with self.lock:
            clean = True
            for n, g, b in tok:
                s = stem(n)
                if b or self.gen[s] != g + 1:
                    clean = False
                self.gen[s] += 1
                self.busy[s] -= 1
            if record:
                record(clean)
            return clean

    def names(self):
        with self.lock:
            return list(self.expected)


# ---- the workers ---------------------------------------------------------

class Stress:
    def __init__(self, m, seeds, seconds, threads, seed=None):
        self.m = m
        self.seeds = seeds
        self.seconds = seconds
        self.nthreads = threads
        self.ch = Changes()
        self.lock = threading.Lock()
        self.counts = collections.Counter()     # (op, outcome)
        self.errors = []                        # first few, for the report
        self.nerrors = 0
        self.bytes_read = 0
        self.rng_seed = seed if seed is not None else random.randrange(1 << 30)

    # -- reporting
    def count(self, op, outcome="ok"):
        with self.lock:
            self.counts[(op, outcome)] += 1

    def error(self, op, what):
        with self.lock:
            self.counts[(op, "error")] += 1
            self.nerrors += 1
            if len(self.errors) < 30:
                self.errors.append("%s: %s" % (op, what))

    # -- paths
    def random_file(self, rnd, s):
        v, copies = rnd.choice(VARIANTS)
        fmt = rnd.choice(FORMATS)
        base = s if copies == 1 else "%s_%d" % (s, rnd.randrange(copies))
        return self.m.path("Images", s, v, "%s.%s" % (base, fmt))

    def check_errno(self, op, e, s, snap, path):
        if e.errno in RACE_ERRNOS and self.ch.raced(s, snap):
            self.count(op, "race")
        else:
            self.error(op, "%s: %s" % (path, os.strerror(e.errno or 0)))

    # -- readers
    def op_read(self, rnd):
        n, _, snap = self.ch.pick(rnd, self.seeds)
        s = stem(n)
        path = self.random_file(rnd, s)
        try:
            before = os.stat(path).st_size
            fd = os.open(path, os.O_RDONLY)
            try:
                size = os.fstat(fd).st_size
                chunk = rnd.choice((4096, 65536, 131072, 1 << 20))
                total = 0
                while True:
                    b = os.read(fd, chunk)
                    if not b:
                        break
                    total += len(b)
            finally:
                os.close(fd)
        except OSError as e:
            return self.check_errno("read", e, s, snap, path)
        with self.lock:
            self.bytes_read += total
        if total == size == before and total > 0:
            return self.count("read")
        if self.ch.raced(s, snap):
            return self.count("read", "race")
        self.error("read", "%s: stat %d, fstat %d, read %d"
                   % (path, before, size, total))

    def op_stat(self, rnd):
        n, _, snap = self.ch.pick(rnd, self.seeds)
        s = stem(n)
        k = rnd.randrange(4)
        if k == 0:
            path = self.random_file(rnd, s)
        elif k == 1:
            path = self.m.path("Images", s, rnd.choice(VARIANTS)[0])
        elif k == 2:
            path = self.m.path("Images", s)
        else:
            path = os.path.join(self.m.im, n)
        try:
            st = os.stat(path)
        except OSError as e:
            return self.check_errno("stat", e, s, snap, path)
        if k == 0 and st.st_size <= 0:
            return self.error("stat", "%s: size %d" % (path, st.st_size))
        self.count("stat")

    def op_readdir(self, rnd):
        k = rnd.randrange(4)
        if k == 0:      # Image Manager and Images: every seed is there
            snap = self.ch.snapshot()
            try:
                im = set(os.listdir(self.m.im))
                imgs = set(os.listdir(self.m.images))
            except OSError as e:
                return self.error("readdir", "top: %s"
                                  % os.strerror(e.errno or 0))
            missing = [n for n in self.seeds if n not in im] + \
                [stem(n) for n in self.seeds if stem(n) not in imgs]
            if missing:
                return self.error("readdir", "seeds missing: %r" % missing)
            for n in im:    # every original has its folder, and back
                s = stem(n)
                if (not n.startswith(".") and s not in imgs and
                        not self.ch.raced(s, snap)):
                    return self.error("readdir", "no folder for %r" % n)
            return self.count("readdir")
        n, _, snap = self.ch.pick(rnd, self.seeds)
        s = stem(n)
        if k == 1:
            path, want = self.m.path("Images", s), sorted(FOLDER_ENTRIES)
        else:
            v, copies = rnd.choice(VARIANTS)
            path = self.m.path("Images", s, v)
            want = sorted("%s.%s" % (s if copies == 1 else "%s_%d" % (s, i),
                                     f)
                          for f in FORMATS for i in range(copies))
        try:
            got = sorted(os.listdir(path))
        except OSError as e:
            return self.check_errno("readdir", e, s, snap, path)
        if got != want and not self.ch.raced(s, snap):
            return self.error("readdir", "%s: %r" % (path, got[:5]))
        self.count("readdir")

    def op_imread(self, rnd):
        n, want, snap = self.ch.pick(rnd, self.seeds, seed_chance=0.2)
        s = stem(n)
        path = os.path.join(self.m.im, n)
        try:
            with open(path, "rb") as f:
                got = f.read()
        except OSError as e:
            return self.check_errno("imread", e, s, snap, path)
        if want is None or got == want or self.ch.raced(s, snap):
            return self.count("imread")
        at = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y),
                  min(len(got), len(want)))
        self.error("imread", "%s: %d bytes, expected %d, first difference "
                   "at byte %d" % (path, len(got), len(want), at))

    # -- writers (stress originals only)
    def write_file(self, path, data, flags):
        fd = os.open(path, flags, 0o644)
        try:
            pos = 0
            while pos < len(data):
                pos += os.write(fd, data[pos:pos + 65536])
        finally:
            os.close(fd)    # the commit: EINVAL here means refused

    def op_cp(self, rnd):
        if len(self.ch.names()) >= MAX_STRESS_ORIGINALS:
            return self.op_unlink(rnd)
        tag = self.ch.new_tag()
        ext = rnd.choice(("png", "jpg", "webp", "txt"))
        n = "s-%d.%s" % (tag, ext)
        data = unique_bytes(ext, self.seeds, tag)
        assert self.ch.claim([n])      # a fresh name: nobody else has it
        tok = self.ch.begin([n])
        ok = False

        def record(clean):
            if ok:
                self.ch.expected[n] = data if clean else None
        try:
            self.write_file(os.path.join(self.m.im, n), data,
                            os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            ok = True
        except OSError as e:
            self.error("cp", "%s: %s" % (n, os.strerror(e.errno or 0)))
        finally:
            self.ch.end(tok, record)
            self.ch.unclaim([n])
        if ok:
            self.count("cp")

    def op_overwrite(self, rnd):
        names = self.ch.names()
        if not names:
            return self.op_cp(rnd)
        n = rnd.choice(names)
        if not self.ch.claim([n], existing=[n]):
            return self.count("overwrite", "skip")
        ext = n.rsplit(".", 1)[1]
        data = unique_bytes(ext, self.seeds, self.ch.new_tag())
        tok = self.ch.begin([n])
        ok = False

        def record(clean):
            if ok and n in self.ch.expected:
                self.ch.expected[n] = data if clean else None
        try:
            self.write_file(os.path.join(self.m.im, n), data,
                            os.O_WRONLY | os.O_TRUNC)
            ok = True
        except OSError as e:
            self.error("overwrite", "%s: %s"
                       % (n, os.strerror(e.errno or 0)))
        finally:
            self.ch.end(tok, record)
            self.ch.unclaim([n])
        if ok:
            self.count("overwrite")

    def op_rename(self, rnd):
        names = self.ch.names()
        if not names:
            return self.op_cp(rnd)
        a = rnd.choice(names)
        ext = a.rsplit(".", 1)[1]
        same = [n for n in names if n != a and n.endswith("." + ext)]
        if same and rnd.random() < 0.5:
            b = rnd.choice(same)            # over an existing name
        else:
            b = "s-%d.%s" % (self.ch.new_tag(), ext)
        if not self.ch.claim([a, b], existing=[a]):
            return self.count("rename", "skip")
        tok = self.ch.begin([a, b])
        ok = False

        def record(clean):
            if ok:
                data = self.ch.expected.pop(a, None)
                self.ch.expected[b] = data if clean else None
        try:
            os.rename(os.path.join(self.m.im, a), os.path.join(self.m.im, b))
            ok = True
        except OSError as e:
            self.error("rename", "%s -> %s: %s"
                       % (a, b, os.strerror(e.errno or 0)))
        finally:
            self.ch.end(tok, record)
            self.ch.unclaim([a, b])
        if ok:
            self.count("rename")

    def op_unlink(self, rnd):
        names = self.ch.names()
        if not names:
            return self.op_cp(rnd)
        n = rnd.choice(names)
        # Claimed like a write: an unlink of the target of a rename in
        # flight could otherwise record its removal before the rename
        # records the name, and the name would be believed to exist.
        if not self.ch.claim([n], existing=[n]):
            return self.count("unlink", "skip")
        tok = self.ch.begin([n])
        ok = False

        def record(clean):
            if ok:
                self.ch.expected.pop(n, None)
        try:
            os.unlink(os.path.join(self.m.im, n))
            ok = True
        except OSError as e:
            self.error("unlink", "%s: %s"
                       % (n, os.strerror(e.errno or 0)))
        finally:
            self.ch.end(tok, record)
            self.ch.unclaim([n])
        if ok:
            self.count("unlink")

    # -- after the run
    def final_check(self):
        """With every writer stopped, the mount must hold exactly the
        stress originals the bookkeeping knows, with the bytes last written
        when known, each with its Images folder. Returns problems."""
        problems = []
        listed = {n for n in os.listdir(self.m.im) if n.startswith("s-")}
        folders = set(os.listdir(self.m.images))
        with self.ch.lock:
            expected = dict(self.ch.expected)
        for n in sorted(set(expected) - listed):
            problems.append("lost original %r" % n)
        for n in sorted(listed - set(expected)):
            problems.append("unexpected original %r" % n)
        for n in sorted(set(expected) & listed):
            with open(os.path.join(self.m.im, n), "rb") as f:
                got = f.read()
            if expected[n] is not None and got != expected[n]:
                problems.append("%r: %d bytes, expected %d"
                                % (n, len(got), len(expected[n])))
            if stem(n) not in folders:
                problems.append("no Images folder for %r" % n)
        return problems

    def worker(self, i, deadline):
        rnd = random.Random(self.rng_seed + i)
        kinds = [k for k, _ in OPS]
        weights = [w for _, w in OPS]
        while time.monotonic() < deadline and self.m.alive():
            op = rnd.choices(kinds, weights)[0]
            try:
                getattr(self, "op_" + op)(rnd)
            except Exception as e:      # a bug in this script, or a hang
                self.error(op, "exception %r" % (e,))

    def run(self):
        deadline = time.monotonic() + self.seconds
        ts = [threading.Thread(target=self.worker, args=(i, deadline),
                               daemon=True, name="stress-%d" % i)
              for i in range(self.nthreads)]
        for t in ts:
            t.start()
        # A blocked syscall would hang the join: give up after a margin
        # and report; the caller's unmount then kills mintfs.
        limit = deadline + 30
        for t in ts:
            t.join(max(0.0, limit - time.monotonic()))
        return [t.name for t in ts if t.is_alive()]


# ---- process measurements ------------------------------------------------

def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def build_kind(pid):
    """plain, asan or tsan, from the sanitizer runtime mapped in mintfs."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    if "libtsan" in maps:
        return "tsan"
    if "libasan" in maps:
        return "asan"
    return "plain"


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True, name="rss")
        self.pid = pid
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append(rss_kib(self.pid))
            except OSError:
                break
            self.stop.wait(1.0)


def answering(m, timeout=15):
    """True if mintfs answers a listing and a full read within timeout."""
    result = []

    def probe():
        try:
            os.listdir(m.images)
            with open(m.path("Images", "seed-rgba", "original",
                             "seed-rgba.png"), "rb") as f:
                result.append(len(f.read()) > 0)
        except OSError:
            result.append(False)
    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout)
    return bool(result and result[0])


# ---- the whole run -------------------------------------------------------

def run(m, seconds=60, threads=16, rss_bound_mib=None, workdir=None,
        log=print, seed=None):
    """Stress the started Mount `m` (mounted with --cache-size 64M).
    `seed` repeats a run's choices of operations (a random one if None;
    the threads' interleaving still differs). Returns a dict;
    result["ok"] tells whether every check passed. The caller unmounts."""
    problems = []
    pid = m.proc.pid
    kind = build_kind(pid)
    bound = rss_bound_mib or RSS_BOUND_MIB[kind]
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        seeds = make_seeds(d)
    for n, data in seeds.items():
        with open(os.path.join(m.im, n), "wb") as f:
            f.write(data)
    # Warm up once through every seed file, so the fds and memory measured
    # before the run include what a first read opens (the store, fonts).
    st = Stress(m, seeds, seconds, threads, seed)
    warm = random.Random(1)
    for n in seeds:
        for v, copies in VARIANTS:
            for fmt in FORMATS:
                s = stem(n)
                b = s if copies == 1 else "%s_%d" % (s, 0)
                with open(m.path("Images", s, v, "%s.%s" % (b, fmt)),
                          "rb") as f:
                    f.read()
    st.op_readdir(warm)
    fds_before = fd_count(pid)
    rss_before = rss_kib(pid)
    sampler = RssSampler(pid)
    sampler.start()
    t0 = time.monotonic()
    hung = st.run()
    elapsed = time.monotonic() - t0
    if hung:
        problems.append("threads still blocked %ds after the end: %s"
                        % (30, ", ".join(hung)))
    alive = m.alive()
    if not alive:
        problems.append("mintfs died (exit %s)" % m.proc.returncode)
    elif not hung and not answering(m):
        problems.append("mintfs does not answer after the run")
    elif not hung:
        problems.extend(st.final_check())
    # Releases reach mintfs asynchronously after close(): wait for them.
    fds_after = None
    if alive and not hung:
        limit = time.monotonic() + 10
        while True:
            fds_after = fd_count(pid)
            if abs(fds_after - fds_before) <= FD_SLACK or \
                    time.monotonic() > limit:
                break
            time.sleep(0.2)
        if abs(fds_after - fds_before) > FD_SLACK:
            problems.append("open fds %d before, %d after (leaked handles?)"
                            % (fds_before, fds_after))
    sampler.stop.set()
    sampler.join(5)
    samples = sampler.samples or [rss_before]
    peak = max(samples) / 1024
    if peak > bound:
        problems.append("VmRSS peak %.0f MiB over the bound of %d MiB"
                        % (peak, bound))
    if st.nerrors:
        problems.append("%d operations failed" % st.nerrors)
    for mark in SANITIZER_MARKS:
        if mark in m.log():
            problems.append("sanitizer report in the mintfs log")
            break

    total = sum(c for (op, o), c in st.counts.items() if o in ("ok", "race"))
    ops = collections.OrderedDict()
    for k, _ in OPS:
        ops[k] = {o: st.counts[(k, o)]
                  for o in ("ok", "race", "skip", "error")}
    res = {
        "ok": not problems, "problems": problems, "errors": st.errors,
        "build": kind, "seconds": round(elapsed, 1), "threads": threads,
        "ops": ops, "total_ops": total, "bytes_read": st.bytes_read,
        "fds_before": fds_before, "fds_after": fds_after,
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_peak_mib": round(peak, 1),
        "rss_end_mib": round(samples[-1] / 1024, 1),
        "rss_bound_mib": bound, "seed": st.rng_seed,
    }
    log(summary(res))
    return res


def summary(r):
    lines = ["stress: %s build, %d threads, %.1f s, %d operations "
             "(%.0f/s), %.1f MiB read, seed %d"
             % (r["build"], r["threads"], r["seconds"], r["total_ops"],
                r["total_ops"] / max(r["seconds"], 0.1),
                r["bytes_read"] / MiB, r["seed"])]
    for k, c in r["ops"].items():
        lines.append("  %-10s %7d ok %6d race %5d skip %4d error"
                     % (k, c["ok"], c["race"], c["skip"], c["error"]))
    lines.append("  fds: %s before, %s after; VmRSS: %.1f MiB before, "
                 "peak %.1f, end %.1f (bound %d MiB)"
                 % (r["fds_before"], r["fds_after"], r["rss_before_mib"],
                    r["rss_peak_mib"], r["rss_end_mib"], r["rss_bound_mib"]))
    for e in r["errors"]:
        lines.append("  error: " + e)
    for p in r["problems"]:
        lines.append("  FAIL: " + p)
    lines.append("stress: " + ("PASS" if r["ok"] else "FAIL"))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--rss-bound", type=int, default=None, metavar="MIB",
                    help="VmRSS bound (default by build: %r)"
                    % RSS_BOUND_MIB)
    ap.add_argument("--seed", type=int, default=None,
                    help="repeat a run's choices (printed in the summary)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (store, log)")
    args = ap.parse_args()
    if not conftest.fuse_available():
        print("stress: no /dev/fuse or fusermount3: skipped")
        return 77
    base = tempfile.mkdtemp(prefix="mintfs-stress-")
    m = Mount(os.path.join(base, "m"), ("--cache-size", CACHE_SIZE))
    ok = False
    try:
        m.start()
        print("stress: %s, store and log in %s" % (conftest.MINTFS, base))
        res = run(m, args.seconds, args.threads, args.rss_bound, base,
                  seed=args.seed)
        ok = res["ok"]
    finally:
        if m.proc is not None:
            died = not m.alive()
            rc = m.stop()
            if died or rc != 0:
                print("stress: FAIL: mintfs exit status %s" % rc)
                ok = False
        log = m.log()
        if any(mark in log for mark in SANITIZER_MARKS):
            print("stress: FAIL: sanitizer report:\n" + log[-8000:])
            ok = False
        if not ok:
            print("stress: mintfs log tail:\n" + log[-3000:])
        if args.keep or not ok:
            print("stress: kept %s" % base)
        else:
            subprocess.run(["rm", "-rf", base])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
