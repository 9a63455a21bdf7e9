"""Benchmarks of the store on S3 (docs/STORE.md), against a real S3
server started here (../shared/tools/s3-server) and stopped at the end:

- with the blob cached, always_random per open (open+close) and
  open-to-EOF on a mount of a bucket against a mount of a local store, in
  one run, interleaved;
- how long a new original copied into one mount takes to be listed on
  another (default --s3-poll 2), with its blob download.

    MINTFS=build/mintfs python3 tests/bench/bench_s3.py IMAGE...

Prints figures; asserts nothing.
"""
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mount"))
from conftest import ROOT, Mount  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "9"))
SERVER = os.environ.get("S3_SERVER") or os.path.join(
    os.path.dirname(ROOT), "shared", "tools", "s3-server")


def read_all(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def open_close(path):
    os.close(os.open(path, os.O_RDONLY))


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def stem(name):
    i = name.rfind(".")
    return name[:i] if i > 0 else name


def s3_mount(base, s3, bucket, *args):
    m = Mount(base, ["--cache-dir", os.path.join(base, "cache"),
                     "--s3-endpoint", s3["endpoint"], "--s3-path-style",
                     *args], env=s3["env"])
    m.store = "s3://%s/bench" % bucket
    return m.start()


def wait_path(path, timeout=120):
    while not os.path.exists(path):
        if timeout <= 0:
            raise RuntimeError("never listed: " + path)
        time.sleep(0.005)
        timeout -= 0.005


def cached_reads(local, remote, name):
    s = stem(name)
    for m in (local, remote):
        wait_path(m.path("Images", s, "always_random", s + ".png"))
    print("\n%s: always_random with the blob cached, local store vs S3 "
          "(median of %d)" % (name, RUNS * 3))
    print("  %-6s %-12s %12s %12s %8s" % ("fmt", "", "local", "s3",
                                          "ratio"))
    for fmt in ("png", "jpeg", "webp"):
        p = [m.path("Images", s, "always_random", "%s.%s" % (s, fmt))
             for m in (local, remote)]
        for x in p:
            read_all(x)
        for what, fn, unit, mul in (("per open", open_close, "us", 1e6),
                                    ("open-to-EOF", read_all, "ms", 1e3)):
            tl, tr = [], []
            for _ in range(RUNS * 3):
                tl.append(timed(lambda: fn(p[0])))
                tr.append(timed(lambda: fn(p[1])))
            a, b = statistics.median(tl), statistics.median(tr)
            print("  %-6s %-12s %9.1f %s %9.1f %s %8.2f" % (
                fmt, what, a * mul, unit, b * mul, unit, b / a))


def noise_png(seed, side=1024):
    from PIL import Image
    data = os.urandom(side * side * 3) if seed >= 0 else b""
    img = Image.frombytes("RGB", (side, side), data)
    b = io.BytesIO()
    img.save(b, "PNG", compress_level=1)
    return b.getvalue()


def propagation(s3, base, runs=5):
    bucket = "bench-" + uuid.uuid4().hex[:8]
    a = s3_mount(os.path.join(base, "pa"), s3, bucket, "--no-eager")
    b = s3_mount(os.path.join(base, "pb"), s3, bucket, "--no-eager")
    try:
        print("\na new original from another mount (--s3-poll 2): "
              "time from close() on one mount to listed on the other")
        for size in (64, 1024):
            times = []
            for i in range(runs):
                data = noise_png(i, size)
                name = "p%d_%d.png" % (size, i)
                with open(os.path.join(a.im, name), "wb") as f:
                    f.write(data)
                t0 = time.perf_counter()
                wait_path(os.path.join(b.images, stem(name)))
                times.append(time.perf_counter() - t0)
            print("  %4dx%-4d png (%7d bytes): median %.2f s, max %.2f s "
                  "(%d runs)" % (size, size, len(data),
                                 statistics.median(times), max(times), runs))
    finally:
        a.stop()
        b.stop()


def main():
    images = [p for p in sys.argv[1:] if os.path.exists(p)]
    if not os.path.exists(SERVER):
        print("bench_s3: no s3-server tool at %s: skipped" % SERVER)
        return
    base = tempfile.mkdtemp(prefix="mintfs-bench-s3-")
    srv = os.path.join(base, "srv")
    r = subprocess.run([SERVER, "start", srv], capture_output=True,
                       text=True)
    try:
        if r.returncode:
            print("bench_s3: the server did not start: " + r.stderr[-500:])
            return
        info = dict(line.split("=", 1) for line in r.stdout.split()
                    if "=" in line)
        s3 = {"endpoint": info["endpoint"],
              "env": {"AWS_ACCESS_KEY_ID": info["access_key"],
                      "AWS_SECRET_ACCESS_KEY": info["secret_key"]}}
        if images:
            local = Mount(os.path.join(base, "local"), ["--no-eager"])
            local.start()
            remote = s3_mount(os.path.join(base, "remote"), s3,
                              "bench-" + uuid.uuid4().hex[:8], "--no-eager")
            try:
                for src in images:
                    shutil.copy(src, local.im)
                    shutil.copy(src, remote.im)
                for src in images:
                    cached_reads(local, remote, os.path.basename(src))
            finally:
                local.stop()
                remote.stop()
        propagation(s3, base)
    finally:
        subprocess.run([SERVER, "stop", srv], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
