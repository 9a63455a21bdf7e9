"""Folders in Image Manager, mirrored under Images (README, "Folders").

A folder of originals copied in by the tools people use arrives whole;
moving a folder is one rename that Images follows at once, without
making anything again; killing mintfs in the middle of a folder rename or
a copy loses nothing that was acknowledged; the catalog of an older
mintfs is upgraded without losing an original.
"""
import errno
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import MINTFS, SANITIZER_MARKS, Mount, fuse_available
from images import FOLDER_ENTRIES
from manystore import tiny_png

MINTCTL = os.environ.get("MINTCTL") or os.path.join(
    os.path.dirname(MINTFS), "mintctl")

pytestmark = pytest.mark.skipif(not fuse_available(),
                                reason="no /dev/fuse or fusermount3")

# A three-level tree of 50 originals: 46 PNGs and 4 texts.
LAYOUT = {"": 10, "one": 15, "one/two": 15, "side": 10}


def make_tree(base, top="tree", layout=LAYOUT, seed=0):
    """Write a tree of distinct originals under base/top; returns
    {path relative to base: bytes}."""
    files = {}
    k = seed
    for sub, count in layout.items():
        d = os.path.join(base, top, sub) if sub else os.path.join(base, top)
        os.makedirs(d, exist_ok=True)
        for i in range(count):
            k += 1
            if i == 0:
                name, data = "note%02d.txt" % i, ("note %d\n" % k).encode()
            else:
                name = "img%02d.png" % i
                data = tiny_png(3 + k % 5, 2 + k % 3,
                                (k * 37 % 256, k * 11 % 256, k % 256))
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            files[os.path.relpath(os.path.join(d, name), base)] = data
    if "side" in layout:
        os.chmod(os.path.join(base, top, "side"), 0o750)
    return files


def read(path):
    with open(path, "rb") as f:
        return f.read()


def stem(name):
    return name.rsplit(".", 1)[0]


def check_arrived(m, files):
    """Every original byte for byte, every Images folder there."""
    for rel, data in files.items():
        assert read(os.path.join(m.im, rel)) == data, rel
        d, name = os.path.split(rel)
        ifolder = os.path.join(m.images, d, stem(name))
        assert sorted(os.listdir(ifolder)) == sorted(FOLDER_ENTRIES), rel
    dirs = {os.path.dirname(rel) for rel in files}
    for d in dirs:
        want = {stem(os.path.basename(r)) for r in files
                if os.path.dirname(r) == d}
        want |= {os.path.basename(x) for x in dirs
                 if os.path.dirname(x) == d}
        assert set(os.listdir(os.path.join(m.images, d))) == want, d
        # a folder's link count: 2 and one per folder in it
        sub = [x for x in dirs if os.path.dirname(x) == d]
        assert os.stat(os.path.join(m.im, d)).st_nlink == 2 + len(sub)
        assert os.stat(os.path.join(m.images, d)).st_nlink == 2 + len(want)


def snapshot(m):
    """{path: (inode, size, mtime_ns, mode)} of all of Image Manager."""
    out = {}
    for d, dirs, names in os.walk(m.im):
        for n in dirs + names:
            p = os.path.join(d, n)
            s = os.stat(p)
            out[os.path.relpath(p, m.im)] = (s.st_ino, s.st_size,
                                             s.st_mtime_ns, s.st_mode)
    return out


@pytest.mark.parametrize("tool", ["cp", "rsync", "copytree", "tar"])
def test_copy_a_tree_in(mount1, tmp_path, tool):
    m = mount1
    files = make_tree(str(tmp_path))
    src = str(tmp_path / "tree")
    if tool == "cp":
        r = subprocess.run(["cp", "-r", src, m.im], capture_output=True)
    elif tool == "rsync":
        r = subprocess.run(["rsync", "-a", src, m.im + "/"],
                           capture_output=True)
    elif tool == "tar":
        subprocess.run(["tar", "-cf", str(tmp_path / "t.tar"), "-C",
                        str(tmp_path), "tree"], check=True)
        r = subprocess.run(["tar", "-xf", str(tmp_path / "t.tar"), "-C",
                            m.im], capture_output=True)
    else:
        shutil.copytree(src, os.path.join(m.im, "tree"))
        r = subprocess.CompletedProcess([], 0, b"", b"")
    assert r.returncode == 0, r.stderr
    check_arrived(m, files)
    assert os.stat(os.path.join(m.im, "tree", "side")).st_mode & 0o777 \
        == 0o750
    if tool == "rsync":
        # the second run finds everything as it left it
        before = snapshot(m)
        r = subprocess.run(["rsync", "-ai", src, m.im + "/"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout == ""
        assert snapshot(m) == before
    # folders, their modes and times survive a remount
    before = snapshot(m)
    m.restart()
    assert snapshot(m) == before
    check_arrived(m, files)


def test_folder_rules(mount, tmp_path):
    m = mount
    png = tiny_png()
    im = m.im
    os.mkdir(os.path.join(im, "empty"))
    assert os.listdir(m.images) == []       # nothing at any depth
    os.makedirs(os.path.join(im, "a", "b", "c"))
    assert os.listdir(m.images) == []
    with open(os.path.join(im, "a", "b", "c", "deep.png"), "wb") as f:
        f.write(png)
    assert os.listdir(m.images) == ["a"]
    assert os.listdir(os.path.join(m.images, "a", "b", "c")) == ["deep"]
    with pytest.raises(OSError) as e:
        os.rmdir(os.path.join(im, "a"))
    assert e.value.errno == errno.ENOTEMPTY
    with pytest.raises(OSError) as e:
        os.mkdir(os.path.join(im, "a"))
    assert e.value.errno == errno.EEXIST
    with pytest.raises(OSError) as e:
        os.rename(os.path.join(im, "a"), os.path.join(im, "a", "b", "x"))
    assert e.value.errno == errno.EINVAL
    os.rmdir(os.path.join(im, "empty"))
    assert sorted(os.listdir(im)) == ["a"]
    # a name under Images never changes because another came or went:
    # the folder "a" came first, so the original a.png is a.png there
    with open(os.path.join(im, "a.png"), "wb") as f:
        f.write(png)
    assert sorted(os.listdir(m.images)) == ["a", "a.png"]
    # an original first, then a folder of that name: "cat (2)"
    with open(os.path.join(im, "cat.png"), "wb") as f:
        f.write(png)
    os.mkdir(os.path.join(im, "cat"))
    with open(os.path.join(im, "cat", "x.png"), "wb") as f:
        f.write(png)
    assert sorted(os.listdir(m.images)) == ["a", "a.png", "cat",
                                             "cat (2)"]
    assert os.listdir(os.path.join(m.images, "cat (2)")) == ["x"]
    os.unlink(os.path.join(im, "cat.png"))
    assert sorted(os.listdir(m.images)) == ["a", "a.png", "cat (2)"]
    # folders' own mode and times are kept
    os.chmod(os.path.join(im, "a", "b"), 0o700)
    os.utime(os.path.join(im, "a", "b"), ns=(10**18, 2 * 10**18))
    nlink = os.stat(m.images).st_nlink
    m.restart()
    st = os.stat(os.path.join(im, "a", "b"))
    assert (st.st_mode & 0o777, st.st_mtime_ns) == (0o700, 2 * 10**18)
    assert sorted(os.listdir(m.images)) == ["a", "a.png", "cat (2)"]
    assert os.stat(m.images).st_nlink == nlink == 5
    # rm -r takes the tree and its Images
    r = subprocess.run(["rm", "-r", os.path.join(im, "a")],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(m.images)) == ["a.png", "cat (2)"]
    assert not os.path.exists(os.path.join(m.images, "a"))


def test_writer_inside_a_moving_folder(mount, tmp_path):
    """A file being written in a folder follows the folder's rename and is
    committed at its new path; the folder cannot go while it is open."""
    m = mount
    data = tiny_png(40, 30, (1, 2, 3))
    os.makedirs(os.path.join(m.im, "a", "b"))
    f = open(os.path.join(m.im, "a", "b", "x.png"), "wb")
    try:
        f.write(data[:20])
        f.flush()
        with pytest.raises(OSError) as e:
            os.rmdir(os.path.join(m.im, "a", "b"))
        assert e.value.errno == errno.ENOTEMPTY
        os.rename(os.path.join(m.im, "a"), os.path.join(m.im, "z"))
        assert os.listdir(os.path.join(m.im, "z", "b")) == ["x.png"]
        f.write(data[20:])
    finally:
        f.close()
    assert read(os.path.join(m.im, "z", "b", "x.png")) == data
    assert not os.path.exists(os.path.join(m.im, "a"))
    assert os.listdir(os.path.join(m.images, "z", "b")) == ["x"]
    m.restart()
    assert read(os.path.join(m.im, "z", "b", "x.png")) == data


def test_limits(mount_factory):
    m = mount_factory("--max-depth", "2", "--max-path", "24")
    os.makedirs(os.path.join(m.im, "a", "b"))
    with pytest.raises(OSError) as e:
        os.mkdir(os.path.join(m.im, "a", "b", "c"))
    assert e.value.errno == errno.EMLINK
    with pytest.raises(OSError) as e:
        open(os.path.join(m.im, "a", "b", "a-much-longer-name.png"), "wb")
    assert e.value.errno == errno.ENAMETOOLONG
    os.mkdir(os.path.join(m.im, "c"))
    with pytest.raises(OSError) as e:           # c/a/b: three deep
        os.rename(os.path.join(m.im, "a"), os.path.join(m.im, "c", "a"))
    assert e.value.errno == errno.EMLINK
    assert "--max-depth" in m.log() and "--max-path" in m.log()
    assert sorted(os.listdir(m.im)) == ["a", "c"]


def catalog(m, sql):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(m.store,
                                                         "catalog.db"),
                         uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def blobs(store):
    return sorted(f for _, _, fs in os.walk(os.path.join(store, "blobs"))
                  for f in fs)


def test_mv_folder_of_200(mount_factory, tmp_path):
    # -d: one log line per request; --no-eager: the sizes table changes
    # only when the test asks, not while the pool works through 200
    # originals' files
    m = mount_factory("-d", "--no-eager")
    files = make_tree(str(tmp_path), "big", {"": 150, "inner": 50})
    r = subprocess.run(["cp", "-r", str(tmp_path / "big"), m.im],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    ifiles = []
    for rel in files:
        d, name = os.path.split(rel)
        ifiles.append((d, stem(name)))
    # make every file's size known, and a few files' bytes
    for d, s in ifiles:
        os.stat(os.path.join(m.images, d, s, "counter", s + "_3.png"))
    before_bytes = read(os.path.join(m.images, "big", "img07", "counter",
                                     "img07_3.png"))
    sizes = catalog(m, "SELECT hash, key, size FROM sizes ORDER BY 1, 2")
    held = blobs(m.store)
    inodes = {rel: os.stat(os.path.join(m.im, rel)).st_ino for rel in files}
    with open(m.logpath) as f:
        f.seek(0, 2)
        mark = f.tell()

    r = subprocess.run(["mv", os.path.join(m.im, "big"),
                        os.path.join(m.im, "moved")], capture_output=True)
    assert r.returncode == 0, r.stderr
    with open(m.logpath) as f:
        f.seek(mark)
        ops = [line for line in f if " -> " in line]
    renames = [line for line in ops if "rename" in line]
    assert len(renames) == 1 and "/big -> " in renames[0], renames
    assert not any(w in line for line in ops
                   for w in ("create ", "write ", "unlink ", "mkdir "))

    assert not os.path.exists(os.path.join(m.images, "big"))
    assert len(os.listdir(os.path.join(m.images, "moved"))) == 151
    for rel, data in files.items():
        new = "moved" + rel[len("big"):]
        assert os.stat(os.path.join(m.im, new)).st_ino == inodes[rel]
    for d, s in ifiles:
        d = "moved" + d[len("big"):]
        os.stat(os.path.join(m.images, d, s, "counter", s + "_3.png"))
    # nothing made again: sizes are keyed by content, not path
    assert catalog(m, "SELECT hash, key, size FROM sizes "
                   "ORDER BY 1, 2") == sizes
    assert blobs(m.store) == held
    assert read(os.path.join(m.images, "moved", "img07", "counter",
                             "img07_3.png")) == before_bytes


# ---- kill -9 ------------------------------------------------------------

def hard_mount(path):
    return Mount(path).start()


def stop_all(mounts):
    problems = []
    for m in mounts:
        log = m.log()
        m.stop()
        if any(mark in log for mark in SANITIZER_MARKS):
            problems.append(log[-4000:])
    assert not problems, problems


def check_store(m):
    """After a remount: every row's blob holds its bytes, no orphan blob,
    no staging file left."""
    rows = catalog(m, "SELECT hash, size FROM originals")
    for h, size in rows:
        data = read(os.path.join(m.store, "blobs", h[:2], h))
        assert len(data) == size and hashlib.sha256(data).hexdigest() == h
    assert set(blobs(m.store)) == {r[0] for r in rows}
    assert os.listdir(os.path.join(m.store, "staging")) == []


def quiet(fn, *args):
    try:
        fn(*args)
    except OSError:
        pass


def check_folder(m, files, where):
    """The tree `files` (paths under "a") is whole at `where`, and only
    there, in Image Manager and Images; the store is sound."""
    assert os.listdir(m.im) == [where]
    for rel, data in files.items():
        p = os.path.join(m.im, where + rel[1:])
        assert read(p) == data, p
    assert os.listdir(m.images) == [where]
    assert len(os.listdir(os.path.join(m.images, where))) == 21
    check_store(m)
    assert len(catalog(m, "SELECT id FROM originals")) == len(files)


def test_kill_during_folder_rename(tmp_path):
    """SIGKILL while a folder of 50 originals is renamed back and forth:
    after the remount it is whole, in the place of the last rename that
    returned or of the one under way, never both, never lost."""
    rng = random.Random(int(os.environ.get("MINT_CRASH_SEED", "0")) or None)
    m = hard_mount(tmp_path / "m")
    try:
        files = make_tree(str(tmp_path / "src"), "a",
                          {"": 20, "b": 20, "b/c": 10})
        r = subprocess.run(["cp", "-r", str(tmp_path / "src" / "a"), m.im],
                           capture_output=True)
        assert r.returncode == 0, r.stderr
        where = "a"
        for _ in range(5):
            done = [where]
            stop = threading.Event()

            def flip():
                while not stop.is_set():
                    other = "z" if done[-1] == "a" else "a"
                    try:
                        os.rename(os.path.join(m.im, done[-1]),
                                  os.path.join(m.im, other))
                    except OSError:
                        return
                    done.append(other)

            t = threading.Thread(target=flip)
            t.start()
            while len(done) < 3:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.02))
            m.proc.kill()
            stop.set()
            t.join()
            m.stop()
            m.start()
            there = [d for d in ("a", "z")
                     if os.path.isdir(os.path.join(m.im, d))]
            assert len(there) == 1, there       # never both, never lost
            where = there[0]
            check_folder(m, files, where)
    finally:
        stop_all([m])


MINTFS_FAULT = os.environ.get("MINTFS_FAULT") or os.path.abspath(
    "build-fault/mintfs")


@pytest.mark.skipif(not os.path.exists(MINTFS_FAULT),
                    reason="no fault build (make FAULT=1 BUILD=build-fault)")
@pytest.mark.parametrize("point", ["folder-in-transaction",
                                   "folder-after-commit"])
def test_sigkill_inside_folder_rename(tmp_path, point):
    """The fault build SIGKILLs itself inside the rename's transaction,
    or just after its COMMIT: the old place, or the new one, whole."""
    m = hard_mount(tmp_path / "m")
    try:
        files = make_tree(str(tmp_path / "src"), "a",
                          {"": 20, "b": 20, "b/c": 10})
        r = subprocess.run(["cp", "-r", str(tmp_path / "src" / "a"), m.im],
                           capture_output=True)
        assert r.returncode == 0, r.stderr
        m.stop()
        m.binary = MINTFS_FAULT
        m.env = {"MINT_FAULT_AT": point, "MINT_FAULT_KILL": "1"}
        m.start()
        with pytest.raises(OSError):
            os.rename(os.path.join(m.im, "a"), os.path.join(m.im, "z"))
        assert m.proc.wait(timeout=30) == -9
        m.stop()
        m.binary = MINTFS
        m.env = None
        m.start()
        check_folder(m, files, "a" if point == "folder-in-transaction"
                     else "z")
    finally:
        stop_all([m])


def test_kill_during_copy(tmp_path):
    """A copier that records each file once its close() returned, killed
    part way, then a real cp -r killed part way: what was acknowledged is
    there, anything else is whole or absent."""
    m = hard_mount(tmp_path / "m")
    try:
        files = make_tree(str(tmp_path / "src"), "t")
        acked = []
        stop = threading.Event()

        def copier():
            for rel in sorted(files):
                if stop.is_set():
                    return
                dst = os.path.join(m.im, rel)
                try:
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    with open(dst, "wb") as f:
                        f.write(files[rel])
                except OSError:
                    return
                acked.append(rel)

        t = threading.Thread(target=copier)
        t.start()
        deadline = time.monotonic() + 120
        while len(acked) < 12 and t.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.005)
        m.proc.kill()
        stop.set()
        t.join()
        m.stop()
        m.start()
        present = {}
        for d, _, names in os.walk(m.im):
            for n in names:
                p = os.path.join(d, n)
                present[os.path.relpath(p, m.im)] = read(p)
        for rel in acked:
            assert present.get(rel) == files[rel], rel
        for rel, data in present.items():
            assert data == files[rel], rel      # whole, never cut
        check_store(m)

        # a real cp -r of a second tree, killed once some files landed
        more = make_tree(str(tmp_path / "src"), "u", seed=100)
        cp = subprocess.Popen(["cp", "-r", str(tmp_path / "src" / "u"),
                               m.im], stderr=subprocess.DEVNULL)
        while cp.poll() is None:
            try:
                if len(os.listdir(os.path.join(m.im, "u"))) > 5:
                    break
            except OSError:
                pass
            time.sleep(0.005)
        m.proc.kill()
        cp.wait()
        m.stop()
        m.start()
        for d, _, names in os.walk(os.path.join(m.im, "u")):
            for n in names:
                p = os.path.join(d, n)
                assert read(p) == more[os.path.relpath(p, m.im)], p
        for rel in acked:
            assert read(os.path.join(m.im, rel)) == files[rel], rel
        check_store(m)
    finally:
        stop_all([m])


# ---- an older catalog ------------------------------------------------------

V2_SQL = [
    "CREATE TABLE originals (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT "
    "NULL COLLATE BINARY, hash TEXT NOT NULL, size INTEGER NOT NULL, mode "
    "INTEGER NOT NULL, atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT "
    "NULL, ctime_ns INTEGER NOT NULL)",
    "CREATE INDEX originals_hash ON originals (hash)",
    "CREATE TABLE sizes (hash TEXT NOT NULL, key TEXT NOT NULL, size "
    "INTEGER NOT NULL, PRIMARY KEY (hash, key))",
    "ALTER TABLE originals ADD COLUMN folder TEXT COLLATE BINARY",
    "CREATE UNIQUE INDEX originals_folder ON originals (folder)",
    "CREATE TABLE dirs (path TEXT PRIMARY KEY COLLATE BINARY, mode INTEGER "
    "NOT NULL, atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, "
    "ctime_ns INTEGER NOT NULL)",
    "INSERT INTO dirs VALUES ('', 488, 5, 6000000000, 7)",
    "PRAGMA user_version = 2",
]


def test_version_2_store_upgrades(mount_factory, tmp_path):
    store = tmp_path / "m" / "store"
    os.makedirs(store / "blobs")
    os.makedirs(store / "staging")
    os.chmod(store, 0o700)
    db = sqlite3.connect(str(store / "catalog.db"))
    rows = {}
    for i, (name, folder) in enumerate([("cat.png", "cat"),
                                        ("cat.jpg", "cat.jpg"),
                                        ("dog.png", None)]):
        data = tiny_png(rgb=(i, 2 * i, 90))
        h = hashlib.sha256(data).hexdigest()
        os.makedirs(store / "blobs" / h[:2], exist_ok=True)
        (store / "blobs" / h[:2] / h).write_bytes(data)
        rows[name] = data
        if i == 0:
            for sql in V2_SQL:
                db.execute(sql)
        db.execute("INSERT INTO originals VALUES (?, ?, ?, ?, 420, 1, 2, "
                   "3, ?)", (i + 1, name, h, len(data), folder))
    db.commit()
    db.close()
    m = mount_factory()
    assert m.store == str(store)
    assert sorted(os.listdir(m.im)) == sorted(rows)
    for name, data in rows.items():
        assert read(os.path.join(m.im, name)) == data
    assert sorted(os.listdir(m.images)) == ["cat", "cat.jpg", "dog"]
    assert os.stat(m.images).st_nlink == 5
    st = os.stat(m.im)
    assert (st.st_mode & 0o777, st.st_mtime_ns) == (0o750, 6000000000)
    assert os.stat(os.path.join(m.im, "cat.png")).st_ino == 1 << 20
    assert catalog(m, "PRAGMA user_version") == [(3,)]
    os.mkdir(os.path.join(m.im, "new"))
    shutil.copy(os.path.join(m.im, "dog.png"), os.path.join(m.im, "new"))
    assert sorted(os.listdir(m.images)) == ["cat", "cat.jpg", "dog", "new"]


# ---- mintctl ---------------------------------------------------------------

def ctl(store, *args):
    return subprocess.run([MINTCTL, "--store", str(store), *args],
                          capture_output=True)


@pytest.mark.skipif(not os.path.exists(MINTCTL), reason="no mintctl built")
def test_mintctl_folders(tmp_path):
    files = make_tree(str(tmp_path), "tree")
    store = tmp_path / "store"
    r = ctl(store, "add", "-r", str(tmp_path / "tree"))
    assert r.returncode == 0, r.stderr
    r = ctl(store, "ls", "Image Manager/tree/one")
    assert sorted(r.stdout.decode().split("\n")[:-1]) == sorted(
        ["two"] + [os.path.basename(p) for p in files
                   if os.path.dirname(p) == "tree/one"])
    for rel, data in files.items():
        r = ctl(store, "cat", "Image Manager/" + rel)
        assert r.stdout == data, rel
    r = ctl(store, "ls", "Images/tree/one/two")
    assert len(r.stdout.split(b"\n")) == 16
    # add with a path makes its folders; rm takes paths and empty folders
    r = ctl(store, "add", str(tmp_path / "tree" / "img01.png"), "x/y/z.png")
    assert r.returncode == 0, r.stderr
    r = ctl(store, "rm", "x/y")
    assert r.returncode == 1
    assert r.stderr.decode() == "mintctl: x/y: Directory not empty\n"
    assert ctl(store, "rm", "x/y/z.png").returncode == 0
    assert ctl(store, "rm", "x/y").returncode == 0
    assert ctl(store, "ls", "Image Manager/x").stdout == b""
    r = ctl(store, "add", "-r", str(tmp_path / "tree" / "one"), "again/one")
    assert r.returncode == 0, r.stderr
    r = ctl(store, "ls", "Images/again/one/two")
    assert len(r.stdout.split(b"\n")) == 16
    assert ctl(store, "add", "-r", str(tmp_path / "nope")).returncode == 1
    assert ctl(store, "add", str(tmp_path / "tree" / "img01.png"),
               "a//b").returncode == 2
