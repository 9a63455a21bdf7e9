"""A full store: on a 4 MiB tmpfs, Image Manager fills up until a write or
close fails with ENOSPC. Nothing committed before is harmed, nothing
half-written stays, the filesystem keeps answering, and once something is
deleted new commits work again."""
import errno
import os
import sqlite3
import subprocess

import pytest

from images import dims, put


def read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture
def tmpfs_store(tmp_path):
    """tmp_path/m/store as a 4 MiB tmpfs, unmounted at the end."""
    store = tmp_path / "m" / "store"
    store.mkdir(parents=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700",
                        "mintfs-test", str(store)], capture_output=True,
                       text=True)
    if r.returncode:
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
    try:
        yield str(store)
    finally:
        subprocess.run(["umount", str(store)], capture_output=True)
        if os.path.ismount(str(store)):
            subprocess.run(["umount", "-l", str(store)], capture_output=True)


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    """An incompressible 300x300 PNG (about 270 KB) and a bigger one."""
    d = tmp_path_factory.mktemp("noise")
    out = []
    for side in (300, 1300):
        p = str(d / ("noise%d.png" % side))
        subprocess.run(["convert", "-size", "%dx%d" % (side, side), "xc:",
                        "+noise", "Random", "-depth", "8", p], check=True,
                       capture_output=True)
        out.append(read(p))
    return out


def unique(png, i):
    """The same picture, other bytes: a trailer after IEND is ignored."""
    return png + b"copy %d" % i


def check_catalog(store):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
        store, "catalog.db"), uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT name, hash FROM originals").fetchall()
    finally:
        db.close()
    for name, h in rows:
        assert os.path.isfile(os.path.join(store, "blobs", h[:2], h)), name
    return dict(rows)


def test_full_store(tmpfs_store, mount_factory, noise):
    small, big = noise
    assert len(big) > 4 << 20
    # The disk cache is on, as by default: it must leave a full store
    # alone (checked below). Eager work is off: the sizes it remembers
    # grow SQLite's write-ahead log, and on a store this full that takes
    # the room the deletes below need for theirs.
    m = mount_factory("--no-eager")
    try:
        assert m.store == tmpfs_store
        kept = {}
        failed = None
        for i in range(40):
            name = "n%02d.png" % i
            data = unique(small, i)
            rc = put(os.path.join(m.im, name), data)
            if rc:
                failed = (name, rc)
                break
            kept[name] = data
        assert failed, "4 MiB never filled up"
        name, rc = failed
        assert rc == errno.ENOSPC, os.strerror(rc)
        assert len(kept) >= 3
        assert name not in os.listdir(m.im)

        # Too big for the store: refused cleanly, as an image and as text.
        for name, data in (("huge.png", big),
                           ("huge.txt", b"too much text\n" * (400 << 10))):
            rc = put(os.path.join(m.im, name), data)
            assert rc == errno.ENOSPC, (name, os.strerror(rc))
            assert name not in os.listdir(m.im), name
            assert name[:-4] not in os.listdir(m.images)
        assert os.listdir(os.path.join(m.store, "staging")) == []

        # Replacing an original while full: refused, the old bytes stay.
        first = sorted(kept)[0]
        rc = put(os.path.join(m.im, first), unique(small, 99))
        assert rc in (0, errno.ENOSPC)
        if rc:
            assert read(os.path.join(m.im, first)) == kept[first]
        else:
            kept[first] = unique(small, 99)

        # The disk cache never took the room originals need: on a store
        # this small it writes nothing (STORE.md, "The store comes first").
        cache = os.path.join(m.store, "cache")
        assert [d for d in os.listdir(cache) if d != "tmp"] == []

        # Everything committed before is intact, and the filesystem answers.
        assert sorted(os.listdir(m.im)) == sorted(kept)
        for n, data in kept.items():
            assert read(os.path.join(m.im, n)) == data, n
        assert dims(os.path.join(m.images, "n00", "original",
                                 "n00.webp")) == (300, 300)
        os.statvfs(m.mnt)

        # Some room again, but not enough: a text that does not fit (its
        # prefix would be valid text) is refused, not stored cut short.
        for n in sorted(kept)[-3:]:
            os.unlink(os.path.join(m.im, n))
            del kept[n]
        sv = os.statvfs(m.store)
        text = b"x" * (sv.f_bavail * sv.f_frsize + (512 << 10))
        rc = put(os.path.join(m.im, "cut.txt"), text)
        assert rc == errno.ENOSPC, os.strerror(rc)
        assert "cut.txt" not in os.listdir(m.im)
        assert os.listdir(os.path.join(m.store, "staging")) == []

        # Room again after deleting: new commits work.
        assert put(os.path.join(m.im, "after.png"), unique(small, 1000)) == 0
        kept["after.png"] = unique(small, 1000)
        assert put(os.path.join(m.im, "room.txt"), b"room again") == 0
        kept["room.txt"] = b"room again"
        assert dims(os.path.join(m.images, "after", "original",
                                 "after.jpeg")) == (300, 300)

        # and all of it survives a remount, with a sound catalog
        m.restart()
        assert sorted(os.listdir(m.im)) == sorted(kept)
        for n, data in kept.items():
            assert read(os.path.join(m.im, n)) == data, n
        assert m.stop() == 0
        rows = check_catalog(m.store)
        assert sorted(rows) == sorted(kept)
        assert os.listdir(os.path.join(m.store, "staging")) == []
    finally:
        m.stop()        # before the tmpfs goes
