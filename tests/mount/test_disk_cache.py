"""The disk level of the cache (STORE/cache, docs/STORE.md): what was made
is read back after a remount or a memory eviction instead of made again,
a damaged entry is made again and never served, a deleted original's
entries go, and the budget holds. Files spliced from a base's bytes are
kept as deltas against those bytes, the root, kept once.

What was made is counted from the line mintfs logs when it unmounts
(docs/TESTING.md): "cache: N made, disk: N hits, N misses, N dropped, ..."
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import MINTFS
from images import CACHED, VARIANT_FILES, make_all

LINE = re.compile(r"cache: (\d+) made, disk: (\d+) hits, (\d+) misses, "
                  r"(\d+) dropped, (\d+) written, (\d+) evicted, "
                  r"(\d+) entries of (\d+) bytes")
# every cached file: the background pool makes them all at commit
FILES_PER_ORIGINAL = sum(VARIANT_FILES[v] for v in CACHED)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    make_all(str(d))
    return str(d)


def report(m):
    """Stop m and return its last cache line as a dict."""
    m.stop()
    found = LINE.findall(m.log())
    assert found, m.log()[-2000:]
    keys = ("made", "hits", "misses", "dropped", "written", "evicted",
            "entries", "bytes")
    return dict(zip(keys, (int(x) for x in found[-1])))


def read_files(m, stems):
    """{path under Images: bytes} of every cached file (original/,
    counter/, the test cases), each read whole, its stat size checked."""
    out = {}
    for s in stems:
        for v in CACHED:
            d = m.path("Images", s, v)
            for f in sorted(os.listdir(d)):
                p = os.path.join(d, f)
                with open(p, "rb") as fh:
                    data = fh.read()
                assert os.stat(p).st_size == len(data), p
                out[os.path.join(s, v, f)] = data
    return out


def blob_hash(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cache_dir(m):
    return os.path.join(m.store, "cache")


def entries(m, h=None):
    """Paths of the entry files, of one hash or of all."""
    out = []
    for root, _, files in os.walk(cache_dir(m)):
        if os.path.basename(root) == "tmp":
            continue
        if h is None or os.path.basename(root) == h:
            out += [os.path.join(root, f) for f in files]
    return sorted(out)


def entry_key(path):
    """The key an entry file holds after its header (diskcache.c)."""
    with open(path, "rb") as f:
        head = f.read(24)
        (klen,) = struct.unpack("<I", head[8:12])
        return f.read(klen).decode()


def is_root(path):
    return ":disk-root:" in entry_key(path)


def file_entries(m, h=None):
    """The entries of Images files, whole or deltas: not the roots."""
    return [p for p in entries(m, h) if not is_root(p)]


def root_entries(m, h=None):
    return [p for p in entries(m, h) if is_root(p)]


def disk_bytes(m):
    return sum(os.path.getsize(p) for p in entries(m))


def put_originals(m, src, names):
    for n in names:
        shutil.copy(os.path.join(src, n), m.im)


NAMES = ("plasma.jpg", "rgba.png", "lossy.webp")
STEMS = ("plasma", "rgba", "lossy")


@pytest.mark.parametrize("threads", ["mt", "single"])
def test_remount_makes_nothing(mount_factory, originals, threads):
    m = mount_factory(*(("-s",) if threads == "single" else ()))
    put_originals(m, originals, NAMES)
    first = read_files(m, STEMS)
    assert len(first) == len(NAMES) * FILES_PER_ORIGINAL
    r = report(m)
    assert r["made"] == len(first)
    assert len(file_entries(m)) == len(first)
    roots = root_entries(m)
    # at most one root per (original, format)
    assert 0 < len(roots) <= len(NAMES) * 8
    assert r["written"] == len(first) + len(roots)
    assert r["entries"] == len(entries(m))
    assert r["bytes"] == disk_bytes(m)

    m.start()
    assert read_files(m, STEMS) == first
    r = report(m)
    assert r["made"] == 0, r
    assert r["hits"] == len(first) + len(roots)     # each root read once
    assert r["dropped"] == 0


def test_memory_eviction_makes_nothing_again(mount_factory, originals):
    """With no memory cache at all, every open reads the disk level."""
    m = mount_factory("--cache-size", "0")
    put_originals(m, originals, ("plasma.jpg",))
    first = read_files(m, ("plasma",))
    for _ in range(2):
        assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert r["made"] == FILES_PER_ORIGINAL, r
    assert r["hits"] >= 2 * FILES_PER_ORIGINAL


def flip(path, at=None):
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        at = size // 2 if at is None else at
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x01]))


def damage_three(m, h):
    """Flip a byte of one entry, truncate another, and replace a third
    with a fourth's bytes (each a different file)."""
    e = file_entries(m, h)
    assert len(e) == FILES_PER_ORIGINAL
    flip(e[0])
    with open(e[1], "r+b") as f:
        f.truncate(os.fstat(f.fileno()).st_size // 2)
    shutil.copyfile(e[3], e[2])


def test_damaged_entry_made_again(mount_factory, originals):
    src = os.path.join(originals, "plasma.jpg")
    h = blob_hash(src)
    # between mounts
    m = mount_factory()
    put_originals(m, originals, ("plasma.jpg",))
    first = read_files(m, ("plasma",))
    m.stop()
    damage_three(m, h)
    # a crash mid-write left a temporary file behind
    with open(os.path.join(cache_dir(m), "tmp", "17"), "wb") as f:
        f.write(b"half an entry")
    m.start()
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert r["dropped"] == 3, r
    assert r["made"] == 3
    # every other file from disk; each root read at most once (none when
    # a file made again has already put its base's bytes in memory)
    assert FILES_PER_ORIGINAL - 3 <= r["hits"] <= \
        FILES_PER_ORIGINAL - 3 + len(root_entries(m, h))
    assert os.listdir(os.path.join(cache_dir(m), "tmp")) == []
    assert m.log().count("disk cache: dropped") == 3
    # made again means written again: the next mount makes nothing
    m.start()
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert (r["made"], r["dropped"]) == (0, 0), r


def test_damaged_while_mounted(mount_factory, originals):
    """Without a memory cache each open reads the entry: damage done
    while mounted is caught on the next open."""
    h = blob_hash(os.path.join(originals, "plasma.jpg"))
    m = mount_factory("--cache-size", "0")
    put_originals(m, originals, ("plasma.jpg",))
    first = read_files(m, ("plasma",))
    damage_three(m, h)
    assert read_files(m, ("plasma",)) == first
    flip(file_entries(m, h)[5], at=0)             # the magic
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert r["dropped"] == 4, r
    assert r["made"] == FILES_PER_ORIGINAL + 4


def test_deltas_hold_little(mount_factory, originals):
    """counter/'s copies are kept as deltas against the base's bytes: the
    entries of ten copies take far less than ten files, and read back
    after a remount as the same bytes, nothing made."""
    m = mount_factory("--no-eager")
    put_originals(m, originals, ("plasma.jpg",))
    first = read_files(m, ("plasma",))
    h = blob_hash(os.path.join(originals, "plasma.jpg"))
    copies = sum(len(v) for k, v in first.items() if "/counter/" in k)
    on_disk = sum(os.path.getsize(p) for p in file_entries(m, h)
                  if "counter:" in entry_key(p))
    assert on_disk < copies / 3, (on_disk, copies)
    m.stop()
    m.start()
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert (r["made"], r["dropped"]) == (0, 0), r


def test_damaged_root_made_again(mount_factory, originals):
    """A root that fails its check is dropped; the files spliced from it
    are made again, never served from it, and written again with it."""
    h = blob_hash(os.path.join(originals, "plasma.jpg"))
    m = mount_factory("--no-eager")
    put_originals(m, originals, ("plasma.jpg",))
    first = read_files(m, ("plasma",))
    m.stop()
    roots = root_entries(m, h)
    assert roots
    for p in roots:
        flip(p)
    m.start()
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert r["dropped"] == len(roots), r
    assert 0 < r["made"] < FILES_PER_ORIGINAL, r
    m.start()
    assert read_files(m, ("plasma",)) == first
    r = report(m)
    assert (r["made"], r["dropped"]) == (0, 0), r


def test_delete_leaves_no_entry(mount_factory, originals):
    # --no-eager: entries only for what the test reads, none written by
    # the pool for the contents that replace the deleted ones
    m = mount_factory("--no-eager")
    put_originals(m, originals, ("plasma.jpg", "rgba.png", "gray.jpg"))
    shutil.copy(os.path.join(originals, "plasma.jpg"),
                os.path.join(m.im, "twin.jpg"))         # the same blob
    hp = blob_hash(os.path.join(originals, "plasma.jpg"))
    hr = blob_hash(os.path.join(originals, "rgba.png"))
    hg = blob_hash(os.path.join(originals, "gray.jpg"))
    read_files(m, ("plasma", "rgba", "gray"))
    for h in (hp, hr, hg):
        assert len(file_entries(m, h)) == FILES_PER_ORIGINAL

    os.unlink(os.path.join(m.im, "plasma.jpg"))
    assert len(file_entries(m, hp)) == FILES_PER_ORIGINAL  # twin.jpg has it
    os.unlink(os.path.join(m.im, "twin.jpg"))
    assert not os.path.exists(os.path.join(cache_dir(m), hp))

    # replaced in place, and renamed over
    shutil.copy(os.path.join(originals, "lossy.webp"),
                os.path.join(m.im, "rgba.png"))
    assert not os.path.exists(os.path.join(cache_dir(m), hr))
    shutil.copy(os.path.join(originals, "palette.png"), m.im)
    os.rename(os.path.join(m.im, "palette.png"),
              os.path.join(m.im, "gray.jpg"))
    assert not os.path.exists(os.path.join(cache_dir(m), hg))
    r = report(m)
    assert r["entries"] == len(entries(m)) == 0, r

    # a folder whose hash nothing uses (a crash before its removal)
    stale = os.path.join(cache_dir(m), "ab" * 32)
    os.makedirs(stale)
    with open(os.path.join(stale, "0" * 32), "wb") as f:
        f.write(b"x" * 100)
    m.start()
    assert not os.path.exists(stale)


def test_budget_holds(mount_factory, originals):
    m = mount_factory("--disk-cache", "64K")
    put_originals(m, originals, ("plasma.jpg", "rgba.png", "lossy.webp"))
    first = read_files(m, ("plasma", "rgba", "lossy"))
    assert 0 < disk_bytes(m) <= 64 << 10
    r = report(m)
    assert r["evicted"] > 0 and r["bytes"] == disk_bytes(m), r

    # a smaller budget at the next mount: evicted down to it at once
    m.args = ["-o", "disk_cache=16K"]
    m.start()
    assert disk_bytes(m) <= 16 << 10
    assert read_files(m, ("plasma", "rgba", "lossy")) == first
    assert disk_bytes(m) <= 16 << 10
    m.stop()

    # 0: no disk level, and what was there is gone
    m.args = ["--disk-cache", "0"]
    m.start()
    assert entries(m) == []
    assert read_files(m, ("plasma",)) == {
        k: v for k, v in first.items() if k.startswith("plasma/")}
    assert entries(m) == []
    m.stop()
    assert "cache: %d made, disk off" % FILES_PER_ORIGINAL in m.log()


def test_bad_budget_refused(tmp_path):
    if not os.path.exists(MINTFS):
        pytest.skip("no mintfs")
    (tmp_path / "mnt").mkdir()
    r = subprocess.run([MINTFS, "--store", str(tmp_path / "s"),
                        "--disk-cache", "lots", str(tmp_path / "mnt")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.strip() == "mintfs: --disk-cache: not a size: lots"
