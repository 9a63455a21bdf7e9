"""Every kind of writer keeps the promise of Image Manager: an existing name
keeps its previous content when new bytes are refused, a new name whose
bytes are refused disappears, and a crash of mintfs in the middle of a
write leaves the last committed content, whatever the program.

Programs open, close and flush differently: a shell redirect and dd open
the file with O_TRUNC, dup2() the descriptor and close the first one before
writing a byte; cp writes and closes once; install unlinks the old file
first; Python closes through its own buffer; gio writes through a stream.
Each is run here as itself, on a real mount.
"""
import os
import subprocess
import threading
import time

import pytest

from conftest import Mount, fuse_available
from images import make_all
from test_crash import check_store, sanitizer_free

pytestmark = pytest.mark.skipif(not fuse_available(),
                                reason="no /dev/fuse or fusermount3")

# Each writer copies the file $1 (a regular file or a FIFO) to $2.
WRITERS = {
    "redirect": 'cat "$1" > "$2"',
    "dd": 'dd if="$1" of="$2" bs=64k status=none',
    "cp": 'cp "$1" "$2"',
    "install": 'install -m 644 "$1" "$2"',
    "python": '/usr/bin/python3 -c "import shutil, sys\n'
              'with open(sys.argv[1], \'rb\', buffering=0) as i, '
              'open(sys.argv[2], \'wb\', buffering=0) as o:\n'
              '    shutil.copyfileobj(i, o)" "$1" "$2"',
    "gio": 'gio save "$2" < "$1"',
}

# install unlinks the destination before it creates it (as it does on
# every filesystem), so an existing name cannot outlive refused bytes.
UNLINKS_FIRST = {"install"}


def write_with(writer, src, dst, **kw):
    return subprocess.run(["bash", "-c", WRITERS[writer], "writer", src,
                           dst], capture_output=True, text=True, **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """good.jpg, good.png and bad.jpg (the first half of good.jpg)."""
    d = str(tmp_path_factory.mktemp("writers"))
    make_all(d)
    good = read(os.path.join(d, "plasma.jpg"))
    with open(os.path.join(d, "bad.jpg"), "wb") as f:
        f.write(good[:len(good) // 2])
    os.rename(os.path.join(d, "plasma.jpg"), os.path.join(d, "good.jpg"))
    os.rename(os.path.join(d, "rgba.png"), os.path.join(d, "good.png"))
    return d


def has_folder(m, stem):
    return stem in os.listdir(m.images)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writer_new_and_replace(mount1, files, writer):
    m = mount1
    good = os.path.join(files, "good.jpg")
    other = os.path.join(files, "good.png")
    bad = os.path.join(files, "bad.jpg")

    # a new name, good bytes
    r = write_with(writer, good, os.path.join(m.im, "x.jpg"))
    assert r.returncode == 0, r.stderr
    assert read(os.path.join(m.im, "x.jpg")) == read(good)
    assert has_folder(m, "x")

    # replaced by other good bytes (PNG bytes under a .jpg name are fine)
    r = write_with(writer, other, os.path.join(m.im, "x.jpg"))
    assert r.returncode == 0, r.stderr
    assert read(os.path.join(m.im, "x.jpg")) == read(other)

    # a new name, refused bytes: the program fails, the name is gone
    r = write_with(writer, bad, os.path.join(m.im, "new.jpg"))
    assert r.returncode != 0
    assert "new.jpg" not in os.listdir(m.im)
    assert not os.path.exists(os.path.join(m.im, "new.jpg"))
    assert not has_folder(m, "new")

    # an existing name, refused bytes: the program fails, the old bytes stay
    r = write_with(writer, bad, os.path.join(m.im, "x.jpg"))
    assert r.returncode != 0
    if writer in UNLINKS_FIRST:
        assert "x.jpg" not in os.listdir(m.im)
    else:
        assert read(os.path.join(m.im, "x.jpg")) == read(other)
        assert os.stat(os.path.join(m.im, "x.jpg")).st_size == \
            len(read(other))
        assert has_folder(m, "x")
    assert "cannot decode JPEG" in m.log()

    # and after a remount, the same
    m.restart()
    if writer not in UNLINKS_FIRST:
        assert read(os.path.join(m.im, "x.jpg")) == read(other)
    assert "new.jpg" not in os.listdir(m.im)


def test_redirect_that_writes_nothing_empties(mount1, files):
    """`: > name` is a deliberate truncation: committed when the file is
    released, and it survives a remount."""
    m = mount1
    p = os.path.join(m.im, "t.txt")
    with open(p, "wb") as f:
        f.write(b"some text")
    r = subprocess.run(["bash", "-c", ': > "$1"', "sh", p])
    assert r.returncode == 0
    deadline = time.monotonic() + 10
    while os.stat(p).st_size and time.monotonic() < deadline:
        time.sleep(0.02)    # the kernel sends RELEASE after close returns
    assert read(p) == b""
    m.restart()
    assert read(os.path.join(m.im, "t.txt")) == b""


def test_flush_before_any_write_commits_nothing(mount1, files):
    """The shell's pattern by syscalls: open O_TRUNC, dup2, close the first
    descriptor; until the last close, the name keeps its old bytes."""
    m = mount1
    good = read(os.path.join(files, "good.jpg"))
    p = os.path.join(m.im, "y.jpg")
    with open(p, "wb") as f:
        f.write(good)
    fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
    fd2 = os.dup(fd)
    os.close(fd)                # FLUSH with nothing written
    try:
        # another program sees the truncated file being written...
        assert os.stat(p).st_size == 0
        os.write(fd2, good[:100])
    finally:
        with pytest.raises(OSError):
            os.close(fd2)       # refused: a JPEG cut after 100 bytes
    assert read(p) == good      # ...and the old bytes after the refusal


# ---- a crash in the middle of a write ---------------------------------------

def wait_for(cond, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def staged_size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "new"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writer_killed_mid_write(tmp_path, files, writer, existing):
    """mintfs is killed (SIGKILL) while the writer is half-way: after a
    remount the name holds its last committed bytes, or does not exist."""
    m = Mount(tmp_path / "m")
    good = read(os.path.join(files, "good.jpg"))
    old = read(os.path.join(files, "good.png"))
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    dst = os.path.join(m.im, "z.jpg")
    half = len(good) // 2
    assert len(old) < half
    proc = None
    try:
        m.start()
        if existing:
            with open(dst, "wb") as f:
                f.write(old)
        proc = subprocess.Popen(["bash", "-c", WRITERS[writer], "writer",
                                 fifo, dst], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        feed = open(fifo, "wb")
        feed.write(good[:half])
        feed.flush()
        # the writer has passed the bytes on when the file shows them
        # (gio writes a hidden temporary file and renames it at the end)
        wait_for(lambda: max(staged_size(os.path.join(m.im, n))
                             for n in os.listdir(m.im) + ["z.jpg"])
                 >= half, "%s did not write" % writer)
        m.proc.kill()
        assert m.stop() == -9
        try:
            feed.close()
        except BrokenPipeError:
            pass
        proc.wait(timeout=30)
        proc = None
        sanitizer_free(m)

        m.start()
        names = os.listdir(m.im)
        if existing and writer not in UNLINKS_FIRST:
            assert names == ["z.jpg"], names
            assert read(dst) == old
        else:
            assert names == [], names
        assert m.stop() == 0
        sanitizer_free(m)
        rows = check_store(m.store)
        assert sorted(rows) == (["z.jpg"] if existing and
                                writer not in UNLINKS_FIRST else [])
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        m.stop()
