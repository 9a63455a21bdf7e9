"""Work begun at commit (src/warm.c): a committed original's Images files
get their sizes in the background, a listing afterwards makes nothing, and
replacing, renaming, deleting the original or unmounting while that work
runs leaves only what is true.

Nothing here depends on timing: each test waits for a condition (rows in
the catalog's `sizes` table, read with Python's sqlite3) with a generous
deadline, or checks the catalog after mintfs has exited. Whether a change
really lands while a worker is busy depends on the machine; the tests hold
either way.
"""
import os
import re
import sqlite3
import subprocess
import time

import pytest

from images import FOLDER_ENTRIES, VARIANT_FILES, dims, put

# Deadline for background work: workers run at idle priority, so a busy
# machine (or a sanitizer build) only makes them slower, never wrong.
WORK_TIMEOUT = 600
# An original's Images files the pool makes, as the variants' tables say
# (sized/ makes what its names ask, when asked).
FILES = sum(VARIANT_FILES.values())


def catalog(m):
    return sqlite3.connect("file:%s/catalog.db?mode=ro" % m.store, uri=True)


def query(m, sql, *args):
    db = catalog(m)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def hash_of(m, name):
    (row,) = query(m, "SELECT hash FROM originals WHERE name = ?", name)
    return row[0]


def size_rows(m, h, like="%"):
    return query(m, "SELECT count(*) FROM sizes WHERE hash = ? AND key "
                 "LIKE ?", h, like)[0][0]


def images_files(m, folder):
    """Every file under Images/<folder> but sized/'s, as paths."""
    out = []
    for root, dirs, files in os.walk(m.path("Images", folder)):
        dirs[:] = [d for d in dirs if d != "sized"]
        out += [os.path.join(root, f) for f in files]
    return sorted(out)


def made_lines(m):
    return len(re.findall(r"cache: made ", m.log()))


def wait_sizes(m, h, n, like="%"):
    """Poll the catalog until n sizes of content h are known."""
    deadline = time.monotonic() + WORK_TIMEOUT
    while size_rows(m, h, like) < n:
        assert m.alive(), m.log()[-2000:]
        assert time.monotonic() < deadline, "%d sizes of %s" % (n, h[:12])
        time.sleep(0.05)


def plasma(path, size, seed):
    subprocess.run(["convert", "-seed", str(seed), "-size", size,
                    "plasma:", "-quality", "92", str(path)], check=True,
                   capture_output=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def pics(tmp_path_factory):
    d = tmp_path_factory.mktemp("warm")
    return {"small": plasma(d / "small.jpg", "320x200", 1),
            "other": plasma(d / "other.jpg", "240x160", 2),
            # big enough that its files keep the workers busy a while
            "big": plasma(d / "big.jpg", "1600x1000", 3)}


@pytest.fixture(params=["mt", "single"])
def dmount(request, mount_factory):
    """A fresh mount with the -d log, multi-threaded and with -s."""
    args = ("-d", "-s") if request.param == "single" else ("-d",)
    return mount_factory(*args)


def wait_log(m, line):
    deadline = time.monotonic() + WORK_TIMEOUT
    while line not in m.log():
        assert m.alive(), m.log()[-2000:]
        assert time.monotonic() < deadline, line
        time.sleep(0.05)


def test_sizes_known_after_commit(dmount, pics):
    m = dmount
    assert put(os.path.join(m.im, "pic.jpg"), pics["small"]) == 0
    h = hash_of(m, "pic.jpg")
    # the job has been through every file (a worker logs it last)
    wait_log(m, "warm: pic.jpg: all sizes known")
    files = images_files(m, "pic")
    assert len(files) == FILES
    assert size_rows(m, h) == len(files)
    # listing now makes nothing: every size is in the catalog
    before = made_lines(m)
    sizes = {p: os.stat(p).st_size for p in files}
    folders = [os.path.join(m.path("Images", "pic"), d) for d in
               os.listdir(m.path("Images", "pic")) if d != "sized"]
    subprocess.run(["ls", "-lR"] + folders, check=True, capture_output=True)
    assert made_lines(m) == before
    # and each is the length of the bytes read
    for p in files:
        with open(p, "rb") as f:
            assert len(f.read()) == sizes[p], p


def test_replace_during_work(mount1, pics):
    m = mount1
    name = os.path.join(m.im, "big.jpg")
    assert put(name, pics["big"]) == 0
    old = hash_of(m, "big.jpg")
    wait_sizes(m, old, 1)                # its work has begun
    assert put(name, pics["other"]) == 0
    new = hash_of(m, "big.jpg")
    assert new != old
    wait_sizes(m, new, FILES)
    for p in images_files(m, "big"):
        with open(p, "rb") as f:
            assert len(f.read()) == os.stat(p).st_size, p
        if "/original/" in p or "_0." in p:
            assert dims(p) == (240, 160), p
    assert m.stop() == 0                 # every worker has let go
    assert size_rows(m, old) == 0
    assert size_rows(m, new) == FILES
    assert query(m, "SELECT count(*) FROM sizes")[0][0] == FILES


def test_delete_during_work(mount1, pics):
    m = mount1
    assert put(os.path.join(m.im, "big.jpg"), pics["big"]) == 0
    h = hash_of(m, "big.jpg")
    wait_sizes(m, h, 1)
    os.unlink(os.path.join(m.im, "big.jpg"))
    assert not os.listdir(m.images)
    # a file a worker was making when the original went: its size is
    # refused by the catalog, whenever the worker finishes (at the latest
    # when unmounting joins it)
    assert m.stop() == 0
    assert query(m, "SELECT count(*) FROM sizes")[0][0] == 0
    assert query(m, "SELECT count(*) FROM originals")[0][0] == 0


def test_rename_carries_work_on(mount1, pics):
    m = mount1
    assert put(os.path.join(m.im, "big.jpg"), pics["big"]) == 0
    h = hash_of(m, "big.jpg")
    wait_sizes(m, h, 1)
    os.rename(os.path.join(m.im, "big.jpg"), os.path.join(m.im, "moved.jpg"))
    wait_sizes(m, h, FILES)              # carried on under the new name
    for p in images_files(m, "moved"):
        with open(p, "rb") as f:
            assert len(f.read()) == os.stat(p).st_size, p


def test_rename_text_makes_the_new_page(mount1):
    """A text's page size is in its name: a rename is a new picture, whose
    sizes are made afresh."""
    m = mount1
    with open(os.path.join(m.im, "note 120x90.txt"), "w") as f:
        f.write("a note")
    h = hash_of(m, "note 120x90.txt")
    wait_sizes(m, h, FILES, "%@120x90%")
    os.rename(os.path.join(m.im, "note 120x90.txt"),
              os.path.join(m.im, "note 64x48.txt"))
    wait_sizes(m, h, FILES, "%@64x48%")
    files = images_files(m, "note 64x48")
    assert len(files) == FILES
    for p in files:
        with open(p, "rb") as f:
            assert len(f.read()) == os.stat(p).st_size, p
    assert dims(files[0]) == (64, 48)


def test_temporary_name_renamed_into_place(mount1, pics):
    """rsync and many editors write a hidden temporary name, which has no
    Images folder (so no work), then rename it: the work begins then."""
    m = mount1
    tmp = os.path.join(m.im, ".pic.jpg.XXXXXX")
    assert put(tmp, pics["small"]) == 0
    h = hash_of(m, ".pic.jpg.XXXXXX")
    os.rename(tmp, os.path.join(m.im, "pic.jpg"))
    wait_sizes(m, h, FILES)
    for p in images_files(m, "pic"):
        with open(p, "rb") as f:
            assert len(f.read()) == os.stat(p).st_size, p


def test_unmount_during_work(mount_factory, pics):
    m = mount_factory("-d")
    for i in range(3):
        assert put(os.path.join(m.im, "big%d.jpg" % i),
                   pics["big"] + b"%d" % i) == 0
    wait_sizes(m, hash_of(m, "big0.jpg"), 1)
    assert m.stop() == 0                 # queued work cancelled, joined
    assert "warm: stopped:" in m.log()
    # what was remembered is true after a remount
    m.start()
    for i in range(3):
        for p in images_files(m, "big%d" % i)[:6]:
            with open(p, "rb") as f:
                assert len(f.read()) == os.stat(p).st_size, p


@pytest.mark.parametrize("off", [("--no-eager",), ("-o", "no_eager")])
def test_eager_off_makes_nothing_until_asked(mount_factory, pics, off):
    m = mount_factory("-d", *off)
    assert put(os.path.join(m.im, "pic.jpg"), pics["small"]) == 0
    h = hash_of(m, "pic.jpg")
    assert sorted(os.listdir(m.path("Images", "pic"))) == sorted(FOLDER_ENTRIES)
    # no pool at all: nothing can have been made behind our back
    assert "warm:" not in m.log()
    assert size_rows(m, h) == 0
    p = m.path("Images", "pic", "original", "pic.png")
    assert os.stat(p).st_size == len(open(p, "rb").read())
    assert size_rows(m, h) == 1


def test_reader_never_waits_on_a_starved_pool(mount1, tmp_path):
    """The pool runs at the lowest priority, so while other programs keep
    every core busy it gets almost no CPU. A reader asking for a file the
    pool is making must not wait for it: it makes the file itself (and
    takes its own HEIC encoder slots, cache.c and heifwrite.c). Before,
    `ls -l original/` of a photo took over a minute on a busy machine;
    the bound here is far above the 5-15 s it takes (with sanitizers), and
    far below that."""
    from PIL import Image
    import random
    rnd = random.Random(11)
    img = Image.frombytes("RGB", (2000, 1250), rnd.randbytes(7500000))
    src = str(tmp_path / "busy.png")
    img.save(src)
    m = mount1
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
            for _ in range(len(os.sched_getaffinity(0)))]
    try:
        subprocess.run(["cp", src, m.im], check=True)
        t0 = time.monotonic()
        out = subprocess.run(["timeout", "120", "ls", "-l",
                              m.path("Images", "busy", "original")],
                             capture_output=True, text=True)
        took = time.monotonic() - t0
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert out.returncode == 0, out.stderr
    assert took < 30, took
    for line in out.stdout.splitlines()[1:]:
        assert int(line.split()[4]) > 0, line
