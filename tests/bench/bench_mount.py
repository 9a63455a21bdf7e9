"""Benchmarks through a real mount: always_random against original/,
against ImageMagick, memory per open handle, unique images per second,
the first touch of a new original (work begun at commit), sized/ and
distinct/ per open, sized/'s presets.

    MINTFS=build/mintfs python3 tests/bench/bench_mount.py IMAGE...

Prints figures; asserts nothing. Medians of several runs, with the runs
of the things compared interleaved so that a noisy neighbour hits both.
"""
import hashlib
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mount"))
from conftest import Mount  # noqa: E402
from manystore import fill_store, tiny_png  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "9"))


def read_all(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stem(name):
    i = name.rfind(".")
    return name[:i] if i > 0 else name


# The output formats (encode.h's order), for the per-format figures.
FORMATS = ("png", "jpeg", "webp", "gif", "bmp", "tiff")


def compare_reads(m, name):
    s = stem(name)
    print("\n%s: open-to-EOF through the mount (median of %d)" % (name, RUNS))
    print("  %-6s %14s %14s %8s %8s" % ("fmt", "always_random",
                                         "original/", "ratio", "size"))
    for fmt in FORMATS:
        ar = m.path("Images", s, "always_random", "%s.%s" % (s, fmt))
        og = m.path("Images", s, "original", "%s.%s" % (s, fmt))
        read_all(ar)
        read_all(og)             # prepared and cached before timing
        ta, to = [], []
        for _ in range(RUNS):    # back to back: each open right after one
            ta.append(timed(lambda: read_all(ar)))
            to.append(timed(lambda: read_all(og)))
        a, o = statistics.median(ta), statistics.median(to)
        print("  %-6s %11.2f ms %11.2f ms %8.2f %8.4f" % (
            fmt, a * 1e3, o * 1e3, a / o,
            os.stat(ar).st_size / os.stat(og).st_size))


def deterministic_files(s):
    return (("original", s + ".png"), ("original", s + ".jpeg"),
            ("original", s + ".webp"), ("counter", s + "_0.png"),
            ("counter", s + "_0.jpeg"), ("counter", s + "_0.webp"),
            ("original", s + ".heic"), ("original", s + ".avif"),
            ("counter", s + "_0.heic"), ("counter", s + "_0.avif"))


def first_and_cached(m, name):
    """Deterministic files: the first read encodes, later reads are served
    from the cache. Returns the first reads' times by path."""
    s = stem(name)
    firsts = {}
    print("\n%s: deterministic files, first read and cached read" % name)
    print("  %-22s %12s %12s" % ("file", "first", "cached"))
    for folder, fname in deterministic_files(s):
        p = m.path("Images", s, folder, fname)
        first = timed(lambda: read_all(p))
        cached = statistics.median(timed(lambda: read_all(p))
                                   for _ in range(RUNS))
        firsts[p] = first
        print("  %-22s %9.1f ms %9.2f ms" % (folder + "/" + fname[len(s):],
                                             first * 1e3, cached * 1e3))
    return firsts


def after_remount(m, names, firsts):
    """The same files' first read after a remount: from STORE/cache (still
    in the page cache, as after a quick remount), against the first read
    of the first mount (an encode)."""
    m.restart()
    print("\ndeterministic files: first read after a remount (disk cache)")
    print("  %-34s %12s %12s %8s" % ("file", "first mount", "remount",
                                     "ratio"))
    for name in names:
        s = stem(name)
        for folder, fname in deterministic_files(s):
            p = m.path("Images", s, folder, fname)
            again = timed(lambda: read_all(p))
            print("  %-34s %9.1f ms %9.2f ms %8.0f"
                  % (s[:14] + " " + folder + "/" + fname[len(s):],
                     firsts[p] * 1e3, again * 1e3, firsts[p] / again))


def case_folders(src):
    """exif/, broken/ and animated/: the CPU mintfs spends making every
    file of each folder once (a stat of each, as the background pool
    does at commit), on a --no-eager mount with original/ read first (its
    bases are shared with broken/), and the bytes they hold."""
    name = os.path.basename(src)
    s = stem(name)
    base = tempfile.mkdtemp(prefix="mintfs-bench-cases-")
    m = Mount(base, ["--no-eager"])
    m.start()
    try:
        shutil.copy(src, m.im)
        d = m.path("Images", s, "original")
        for n in os.listdir(d):
            read_all(os.path.join(d, n))
        print("\n%s: test-case folders, every file made once (CPU of "
              "mintfs)" % name)
        print("  %-10s %6s %10s %10s %12s" % ("folder", "files", "CPU",
                                             "wall", "bytes"))
        for folder in ("exif", "broken", "animated"):
            d = m.path("Images", s, folder)
            names = sorted(os.listdir(d))
            c0 = cpu_seconds(m.proc.pid)
            made = timed(lambda: [os.stat(os.path.join(d, n))
                                  for n in names])
            cpu = cpu_seconds(m.proc.pid) - c0
            size = sum(os.stat(os.path.join(d, n)).st_size for n in names)
            print("  %-10s %6d %8.2f s %8.2f s %12d" % (folder, len(names),
                                                       cpu, made, size))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def listing(count=100):
    """ls -l of every Images file of `count` originals: the first time
    (sizes unknown: every file is made once), again, and after a remount
    (sizes from the catalog, nothing made). sized/ is left out, as in the
    figures before it listed its presets in pixels: sized_presets()."""
    base = tempfile.mkdtemp(prefix="mintfs-bench-ls-")
    m = Mount(base, ["--no-eager"])
    m.start()
    try:
        for i in range(count):
            subprocess.run(["convert", "-size", "320x240",
                            "plasma:", os.path.join(m.im, "p%03d.jpg" % i)],
                           check=True)

        def ls():
            subprocess.run("ls -lR %s/*/[!s]*" % m.images, shell=True,
                           check=True, stdout=subprocess.DEVNULL)
        first = timed(ls)
        again = timed(ls)
        m.restart()
        remount = timed(ls)
        files = sum(len(f) for r, _, f in os.walk(m.images)
                    if "/sized" not in r)
        print("\nls -lR Images/ of %d originals (%d files, 320x240)"
              % (count, files))
        print("  first (every file made once) : %9.1f ms" % (first * 1e3))
        print("  again                        : %9.1f ms" % (again * 1e3))
        print("  after remount                : %9.1f ms" % (remount * 1e3))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def against_imagemagick(m, src, name):
    s = stem(name)
    ar = m.path("Images", s, "always_random", s + ".png")
    out = tempfile.mktemp(suffix=".png")
    runs = max(3, RUNS // 3)
    tm, ta = [], []
    for _ in range(runs):
        tm.append(timed(lambda: subprocess.run(
            ["convert", src, "-region", "16x16+0+0", "+noise", "Random",
             out], check=True)))
        ta.append(timed(lambda: read_all(ar)))
    os.unlink(out)
    a, i = statistics.median(ta), statistics.median(tm)
    print("\n%s: one unique PNG (median of %d)" % (name, runs))
    print("  ImageMagick convert +noise : %9.1f ms" % (i * 1e3))
    print("  mintfs always_random       : %9.2f ms   (%.0fx faster)"
          % (a * 1e3, i / a))


def handles_memory(src, count=1000):
    """On a fresh mount, so that heap left free by earlier work does not
    hide what the handles take."""
    name = os.path.basename(src)
    s = stem(name)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(hard, count + 256), hard))
    base = tempfile.mkdtemp(prefix="mintfs-bench-mem-")
    m = Mount(base, ["--no-eager"])
    m.start()
    try:
        shutil.copy(src, m.im)
        print("\n%s: resident memory of mintfs, %d handles open at once"
              % (name, count))
        for fmt in FORMATS:
            p = m.path("Images", s, "always_random", "%s.%s" % (s, fmt))
            read_all(p)                  # prepared parts are shared
            time.sleep(0.5)
            before = rss_kib(m.proc.pid)
            files = [open(p, "rb") for _ in range(count)]
            for f in files:
                f.read(1)
            time.sleep(0.2)
            after = rss_kib(m.proc.pid)
            for f in files:
                f.close()
            print("  %-5s %8d KiB -> %8d KiB : %6.1f KiB per handle"
                  % (fmt, before, after, (after - before) / count))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def heic_opens_memory(src, steps=(100, 300, 500, 700)):
    """Resident memory of mintfs after each step of always_random HEIC
    opens (each codes the last tile afresh on x265's long-lived
    encoders), on a fresh mount: it should not grow with the count. The
    rise per open between the first and the last step is printed."""
    name = os.path.basename(src)
    s = stem(name)
    base = tempfile.mkdtemp(prefix="mintfs-bench-heic-")
    m = Mount(base, ["--no-eager"])
    m.start()
    try:
        shutil.copy(src, m.im)
        p = m.path("Images", s, "always_random", s + ".heic")
        print("\n%s: resident memory of mintfs after N always_random "
              "HEIC opens" % name)
        done, rss = 0, {}
        for n in steps:
            while done < n:
                open_close(p)
                done += 1
            rss[n] = rss_kib(m.proc.pid)
            print("  %5d opens %8d KiB" % (n, rss[n]))
        lo, hi = steps[0], steps[-1]
        print("  %.2f KiB per open from %d to %d opens"
              % ((rss[hi] - rss[lo]) / (hi - lo), lo, hi))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def unique_per_second(m, name, seconds=3.0):
    for fmt in ("png", "webp"):
        unique_per_second_of(m, name, fmt, seconds)


def unique_per_second_of(m, name, fmt, seconds):
    s = stem(name)
    p = m.path("Images", s, "always_random", "%s.%s" % (s, fmt))
    read_all(p)
    print("\n%s: unique %ss per second (%.0f s each)" % (name, fmt.upper(),
                                                        seconds))
    for readers in (1, 2):
        sums, lock = set(), threading.Lock()
        counts = [0] * readers
        stop = time.monotonic() + seconds

        def run(i):
            while time.monotonic() < stop:
                with open(p, "rb") as f:
                    h = hashlib.md5(f.read()).hexdigest()
                with lock:
                    sums.add(h)
                counts[i] += 1
        ts = [threading.Thread(target=run, args=(i,)) for i in
              range(readers)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        dt = time.monotonic() - t0
        n = sum(counts)
        print("  %d reader(s): %8.0f images/s, %d of %d distinct"
              % (readers, n / dt, len(sums), n))


def many_originals(sizes=(10, 10000), runs=21):
    """Per-operation cost with 10 and with 10,000 originals: a change or a
    lookup must not grow with the catalog (a listing grows by its own
    length, so it is shown per entry too)."""
    print("\nmany originals: median of %d, ratio = 10,000 / 10" % runs)
    got = {}
    for n in sizes:
        base = tempfile.mkdtemp(prefix="mintfs-bench-many-")
        m = Mount(base, ["--no-eager"])
        try:
            m.start()
            m.stop()
            fill_store(m.store, n)
            m.start()
            src = os.path.join(base, "new.png")
            with open(src, "wb") as f:
                f.write(tiny_png(rgb=(0, 90, 200)))
            f5 = m.path("Images", "p00005", "original", "p00005.png")
            os.stat(f5)                      # its size is remembered now
            # each operation in a loop of its own: a listing of 10,000
            # names just before a stat would time the caches it churned
            st = [timed(lambda: os.stat(f5)) for _ in range(runs)]
            ls = [timed(lambda: os.listdir(m.images)) for _ in range(runs)]
            cp, ls_after = [], []
            for i in range(runs):
                dst = os.path.join(m.im, "new%d.png" % i)
                cp.append(timed(lambda: shutil.copy(src, dst)))
                ls_after.append(timed(lambda: os.listdir(m.images)))
            med = statistics.median
            got[n] = {"cp into Image Manager": med(cp),
                      "ls Images after a cp": med(ls_after),
                      "ls Images": med(ls),
                      "ls Images, per entry": med(ls) / (n + runs),
                      "stat of an Images file": med(st)}
        finally:
            m.stop()
            shutil.rmtree(base, ignore_errors=True)
    lo, hi = sizes
    print("  %-26s %12s %12s %7s" % ("operation", "%d" % lo, "%d" % hi,
                                     "ratio"))
    for what in got[lo]:
        a, b = got[lo][what], got[hi][what]
        print("  %-26s %9.1f us %9.1f us %6.2fx" % (what, a * 1e6, b * 1e6,
                                                   b / a))


def folder_moves(sizes=(10, 1000), runs=21):
    """A folder's rename with 10 and with 1,000 originals in it: one
    catalog row either way, so the ratio stays near 1."""
    print("\nmv of a folder: median of %d, ratio = 1,000 / 10" % runs)
    got = {}
    for n in sizes:
        base = tempfile.mkdtemp(prefix="mintfs-bench-folder-")
        m = Mount(base)
        try:
            m.start()
            d = os.path.join(m.im, "a")
            os.mkdir(d)
            for i in range(n):
                with open(os.path.join(d, "p%04d.png" % i), "wb") as f:
                    f.write(tiny_png(rgb=(i % 256, i // 256, 9)))
            where, times = ["a", "b"], []
            for i in range(runs):
                src, dst = (os.path.join(m.im, x) for x in
                            (where[i % 2], where[(i + 1) % 2]))
                times.append(timed(lambda: os.rename(src, dst)))
            got[n] = statistics.median(times)
        finally:
            m.stop()
            shutil.rmtree(base, ignore_errors=True)
    lo, hi = sizes
    print("  %-26s %9.1f us %9.1f us %6.2fx" % (
        "mv folder (%d, %d)" % (lo, hi), got[lo] * 1e6, got[hi] * 1e6,
        got[hi] / got[lo]))


def open_close(path):
    os.close(os.open(path, os.O_RDONLY))


def sized_and_distinct(m, name):
    """Per open (open and close: the content is made at open) of sized/
    files against always_random's, a new size's first open, and distinct/'s
    whole encode per open."""
    s = stem(name)
    ar = lambda fmt: m.path("Images", s, "always_random", "%s.%s" % (s, fmt))
    sz = lambda spec: m.path("Images", s, "sized", "%s %s" % (s, spec))
    w, h = (int(x) for x in subprocess.run(
        ["identify", "-format", "%w %h", m.path("Images", s, "original",
                                                 s + ".png")],
        check=True, capture_output=True, text=True).stdout.split())
    print("\n%s: sized/ per open (open+close, median of %d)" % (name, RUNS))
    print("  %-6s %14s %14s %14s %8s" % ("fmt", "always_random",
                                         "%dx%d" % (w, h), "+ 40MB",
                                         "ratio"))
    for fmt in FORMATS:
        a, b = ar(fmt), sz("%dx%d.%s" % (w, h, fmt))
        big = os.stat(a).st_size + 40 * 10**6
        c = sz("%dB.%s" % (big, fmt))
        for p in (a, b, c):
            open_close(p)
        ta, tb, tc = [], [], []
        for _ in range(RUNS * 3):
            ta.append(timed(lambda: open_close(a)))
            tb.append(timed(lambda: open_close(b)))
            tc.append(timed(lambda: open_close(c)))
        ma, mb, mc = (statistics.median(t) for t in (ta, tb, tc))
        print("  %-6s %11.0f us %11.0f us %11.0f us %8.2f" % (
            fmt, ma * 1e6, mb * 1e6, mc * 1e6, mc / ma))
    print("  a new size (1234x777): first open, then per open")
    for fmt in ("png", "jpeg", "webp"):
        p = sz("1234x777 3MB.%s" % fmt)
        first = timed(lambda: open_close(p))
        t = statistics.median(timed(lambda: open_close(p))
                              for _ in range(RUNS))
        print("  %-6s first %9.1f ms   then %9.0f us" % (fmt, first * 1e3,
                                                         t * 1e6))
    print("  distinct/ per open (a whole variation and encode)")
    for fmt in ("png", "jpeg", "webp", "heic", "avif"):
        p = m.path("Images", s, "distinct", "%s.%s" % (s, fmt))
        open_close(p)
        t = statistics.median(timed(lambda: open_close(p))
                              for _ in range(max(3, RUNS // 3)))
        print("  %-6s %9.1f ms" % (fmt, t * 1e3))


def sized_presets(m, name):
    """sized/'s presets: `ls -lR` of the folder (every length by rule,
    nothing made), a preset in pixels' first open (one resample and one
    base) and then per open, and the 8000x8000 PNG (about 256 MB, nearly
    all shared zeros) read whole, with mintfs's memory before and after."""
    s = stem(name)
    d = m.path("Images", s, "sized")
    sz = lambda spec: os.path.join(d, "%s %s" % (s, spec))
    t = timed(lambda: subprocess.run(["ls", "-lR", d], check=True,
                                     stdout=subprocess.DEVNULL))
    print("\n%s: sized/ presets" % name)
    print("  ls -lR sized/ (%d names): %.1f ms" % (len(os.listdir(d)),
                                                  t * 1e3))
    for fmt in ("png", "jpeg", "webp"):
        p = sz("1920x1080.%s" % fmt)
        first = timed(lambda: open_close(p))
        then = statistics.median(timed(lambda: open_close(p))
                                 for _ in range(RUNS))
        print("  1920x1080.%-5s first open %8.1f ms   then %8.0f us" % (
            fmt, first * 1e3, then * 1e6))
    p = sz("8000x8000.png")
    size = os.stat(p).st_size
    first = timed(lambda: open_close(p))    # the resample and base
    before = rss_kib(m.proc.pid)
    t0 = time.perf_counter()
    with open(p, "rb") as f:
        t1 = time.perf_counter()
        with_handle = rss_kib(m.proc.pid)
        while f.read(1 << 20):
            pass
        t2 = time.perf_counter()
    print("  8000x8000.png (%d bytes): first open %.2f s, then open "
          "%.1f ms, read whole %.2f s (%.0f MB/s); mintfs RSS %d MiB, "
          "%d with it open" % (size, first, (t1 - t0) * 1e3, t2 - t1,
                               size / (t2 - t1) / 1e6, before >> 10,
                               with_handle >> 10))


# ---- first touch: a new original's folder, right after the cp ----------

def cpu_seconds(pid):
    """User + system CPU of a process, all its threads."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sizes_known(m, h):
    db = sqlite3.connect("file:%s/catalog.db?mode=ro" % m.store, uri=True)
    try:
        return db.execute("SELECT count(*) FROM sizes WHERE hash = ?",
                          (h,)).fetchone()[0]
    finally:
        db.close()


def hash_of(m, name):
    db = sqlite3.connect("file:%s/catalog.db?mode=ro" % m.store, uri=True)
    try:
        return db.execute("SELECT hash FROM originals WHERE name = ?",
                          (name,)).fetchone()[0]
    finally:
        db.close()


def ls(path, recursive=False):
    subprocess.run(["ls", "-lR" if recursive else "-l", path], check=True,
                   stdout=subprocess.DEVNULL)


def on_fresh_mount(src, args, fn):
    """cp src into a fresh mount, then fn(m, name, stem) as soon as the cp
    returns; unmounting cancels whatever background work is left."""
    base = tempfile.mkdtemp(prefix="mintfs-bench-first-")
    m = Mount(base, args)
    m.start()
    try:
        subprocess.run(["cp", src, m.im], check=True)
        name = os.path.basename(src)
        return fn(m, name, stem(name))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def all_sizes(m, name, s):
    """ls -lR at once, then the CPU mintfs spent from the end of the cp
    until every file's size is known."""
    cpu0 = cpu_seconds(m.proc.pid)
    t_ls = timed(lambda: ls(m.path("Images", s), True))
    h = hash_of(m, name)
    # every file the pool makes: all but sized/'s typed names
    files = sum(len(os.listdir(m.path("Images", s, v)))
                for v in os.listdir(m.path("Images", s)) if v != "sized")
    while sizes_known(m, h) < files:
        time.sleep(0.02)
    return t_ls, cpu_seconds(m.proc.pid) - cpu0, files


def original_alone(m, name, s):
    """With --no-eager: the CPU of making original/'s files."""
    cpu0 = cpu_seconds(m.proc.pid)
    for f in os.listdir(m.path("Images", s, "original")):
        os.stat(m.path("Images", s, "original", f))
    return cpu_seconds(m.proc.pid) - cpu0


def folder_costs(m, name, s):
    """With --no-eager: each folder's files stat'ed in turn (original/
    first, as the pool begins), the CPU each folder's sizes cost; and the
    files that cost most."""
    root = m.path("Images", s)
    folders = sorted((v for v in os.listdir(root) if v != "sized"),
                     key=lambda v: (v != "original", v))
    costs, dear = [], []
    for v in folders:
        total = 0.0
        for f in os.listdir(os.path.join(root, v)):
            c0 = cpu_seconds(m.proc.pid)
            os.stat(os.path.join(root, v, f))
            c = cpu_seconds(m.proc.pid) - c0
            total += c
            dear.append((c, v + "/" + f))
        costs.append((v, len(os.listdir(os.path.join(root, v))), total))
    return costs, sorted(dear, reverse=True)[:8]


FIRST_FOLDERS = ("original", "always_random", "counter")


def print_folder_costs(src):
    costs, dear = on_fresh_mount(src, ["--no-eager"], folder_costs)
    print("\n%s: CPU of each folder's sizes, files stat'ed in turn "
          "(--no-eager, original/ first)" % os.path.basename(src))
    for v, n, c in costs:
        print("  %-16s %4d files %8.2f s" % (v, n, c))
    print("  %-16s %4d files %8.2f s" % ("all", sum(n for _, n, _ in costs),
                                        sum(c for _, _, c in costs)))
    # the folders a new original had when the first-touch targets were
    # set (36 files then): their sizes against original/'s alone
    first = dict((v, c) for v, _, c in costs)
    three = sum(first.get(v, 0) for v in FIRST_FOLDERS)
    print("  %s : original/   %.2fx" % (" + ".join(
        v + "/" for v in FIRST_FOLDERS), three / first["original"]))
    print("  dearest files:")
    for c, f in dear:
        print("    %-44s %6.2f s" % (f, c))


def first_touch(images):
    """The first touch of a new original's folder, each figure on a fresh
    mount with the photo copied in just before: work begun at commit
    against --no-eager (every file made when first asked for)."""
    names = [os.path.basename(p) for p in images]
    rows = []

    def row(what, fmt, values):
        rows.append((what, [fmt % v for v in values]))

    got = {}
    for src in images:
        g = got[src] = {}
        g["ls"], g["cpu"], g["files"] = on_fresh_mount(src, [], all_sizes)
        g["ls_off"] = on_fresh_mount(
            src, ["--no-eager"],
            lambda m, n, s: timed(lambda: ls(m.path("Images", s), True)))
        g["ls_2s"] = on_fresh_mount(
            src, [], lambda m, n, s: (time.sleep(2), timed(
                lambda: ls(m.path("Images", s), True)))[1])
        g["stat_ar"] = on_fresh_mount(
            src, [], lambda m, n, s: timed(lambda: os.stat(m.path(
                "Images", s, "always_random", s + ".png"))))
        g["ls_orig"] = on_fresh_mount(
            src, [], lambda m, n, s: timed(
                lambda: ls(m.path("Images", s, "original"))))
        g["ls_counter"] = on_fresh_mount(
            src, [], lambda m, n, s: timed(
                lambda: ls(m.path("Images", s, "counter"))))
        g["cpu_orig"] = on_fresh_mount(src, ["--no-eager"], original_alone)
    col = [got[p] for p in images]
    row("ls -lR Images/X as soon as cp returns", "%.2f s",
        [g["ls"] for g in col])
    row("  the same with --no-eager", "%.2f s", [g["ls_off"] for g in col])
    row("ls -lR Images/X 2 s after the cp", "%.3f s",
        [g["ls_2s"] for g in col])
    row("first stat of always_random/X.png", "%.3f s",
        [g["stat_ar"] for g in col])
    row("first ls -l original/", "%.2f s", [g["ls_orig"] for g in col])
    row("first ls -l counter/", "%.2f s", [g["ls_counter"] for g in col])
    row("  counter/ : original/", "%.2fx",
        [g["ls_counter"] / g["ls_orig"] for g in col])
    row("CPU until all sizes known", "%.1f s", [g["cpu"] for g in col])
    row("CPU of original/'s files (--no-eager)", "%.1f s",
        [g["cpu_orig"] for g in col])
    row("  all sizes : original/ alone", "%.2fx",
        [g["cpu"] / g["cpu_orig"] for g in col])
    width = max(12, max(len(n) for n in names))
    print("\nfirst touch: each on a fresh mount, issued right after `cp` "
          "returns (%d files per original)" % col[0]["files"])
    print("  %-42s" % "" + "".join(" %*s" % (width, n) for n in names))
    for what, vals in rows:
        print("  %-42s" % what + "".join(" %*s" % (width, v) for v in vals))
    for src in images:
        print_folder_costs(src)


def main():
    images = [p for p in sys.argv[1:] if os.path.exists(p)]
    if not images:
        print("no benchmark images found (install mate-backgrounds)")
        return
    first_touch(images)
    if os.environ.get("BENCH_ONLY") == "first_touch":
        return
    base = tempfile.mkdtemp(prefix="mintfs-bench-")
    m = Mount(base, ["--no-eager"])     # "first read" means first here
    m.start()
    try:
        for src in images:
            shutil.copy(src, m.im)
        firsts = {}
        for src in images:
            name = os.path.basename(src)
            firsts.update(first_and_cached(m, name))
            compare_reads(m, name)
            against_imagemagick(m, src, name)
            sized_and_distinct(m, name)
            sized_presets(m, name)
        after_remount(m, [os.path.basename(p) for p in images], firsts)
        unique_per_second(m, os.path.basename(images[-1]))
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)
    for src in images:
        case_folders(src)
    handles_memory(images[-1])
    heic_opens_memory(images[-1])
    listing()
    many_originals()
    folder_moves()


if __name__ == "__main__":
    main()
