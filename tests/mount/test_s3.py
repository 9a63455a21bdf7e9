"""The store on S3 (docs/STORE.md, "The store on S3"): two mounts with
cache folders of their own on one bucket of a real S3 server (Ceph's RADOS
Gateway, ../shared/tools/s3-server), started once for this file and
stopped at its end, pass or fail.

Nothing here waits a fixed time: what one mount does is polled for on the
other until a generous deadline. S3_STRESS_SECONDS (default 6) is how long
both mounts write to the same names at once.
"""
import errno
import io
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import MINTFS, ROOT, SANITIZER_MARKS, Mount, fuse_available

SERVER = os.environ.get("S3_SERVER") or os.path.join(
    os.path.dirname(ROOT), "shared", "tools", "s3-server")
MINTCTL = os.path.join(os.path.dirname(MINTFS), "mintctl")
STRESS_SECONDS = float(os.environ.get("S3_STRESS_SECONDS", "6"))
DEADLINE = 60          # seconds: only a failure waits this long

# CI sets MINTFS_S3=required: a missing server tool fails there, not skips.
if os.environ.get("MINTFS_S3") == "required" and not os.path.exists(SERVER):
    raise RuntimeError("MINTFS_S3=required but no s3-server at " + SERVER)

pytestmark = pytest.mark.skipif(
    not os.path.exists(SERVER) or not fuse_available(),
    reason="no s3-server tool or no FUSE")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("s3") / "srv")
    r = subprocess.run([SERVER, "start", d], capture_output=True, text=True,
                       timeout=900)
    try:
        assert r.returncode == 0, r.stderr[-2000:]
        info = dict(line.split("=", 1) for line in r.stdout.split()
                    if "=" in line)
        yield {"dir": d, "endpoint": info["endpoint"],
               "env": {"AWS_ACCESS_KEY_ID": info["access_key"],
                       "AWS_SECRET_ACCESS_KEY": info["secret_key"],
                       "AWS_REGION": info["region"]}}
    finally:
        subprocess.run([SERVER, "stop", d], capture_output=True, timeout=120)


def radosgw_pid(s3):
    with open(os.path.join(s3["dir"], "pids")) as f:
        for line in f:
            name, pid = line.split()
            if "rgw" in name:
                return int(pid)
    raise AssertionError("no radosgw in " + s3["dir"])


@pytest.fixture
def bucket():
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
def s3mounts(tmp_path, s3):
    """make(bucket, name, *args): a mount of s3://bucket/lib with its own
    cache folder tmp_path/name/cache; every one is unmounted at the end."""
    made = []

    def make(bucket, name, *args, cache=None):
        m = Mount(tmp_path / name,
                  ["--cache-dir", cache or str(tmp_path / name / "cache"),
                   "--s3-endpoint", s3["endpoint"], "--s3-path-style",
                   "--s3-poll", "1", *args], env=s3["env"])
        m.store = "s3://%s/lib" % bucket
        made.append(m)
        return m.start()

    yield make
    problems = []
    for m in made:
        died = m.proc is not None and not m.alive()
        rc = m.stop()
        log = m.log()
        if any(mark in log for mark in SANITIZER_MARKS):
            problems.append("sanitizer report:\n" + log[-4000:])
        elif rc not in (0, None, -9) and not died:
            problems.append("mintfs exit status %s: %s" % (rc, log[-2000:]))
    if problems:
        pytest.fail("\n".join(problems))


def png(seed, w=48, h=32):
    from PIL import Image
    img = Image.new("RGB", (w, h), ((seed * 37) % 256, (seed * 91) % 256,
                                    (seed * 13) % 256))
    img.putpixel((seed % w, 0), (1, 2, 3))
    b = io.BytesIO()
    img.save(b, "PNG")
    return b.getvalue()


def write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def until(cond, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_changes_show_on_the_other_mount(s3mounts, bucket):
    a = s3mounts(bucket, "a")
    b = s3mounts(bucket, "b")
    one, two = png(1), png(2)
    write(os.path.join(a.im, "cat.png"), one)
    until(lambda: read(os.path.join(b.im, "cat.png")) == one, "cp on b")
    until(lambda: "cat" in os.listdir(b.images), "Images/cat on b")
    orig = os.path.join(b.images, "cat", "original")
    until(lambda: os.listdir(orig), "cat/original on b")
    # rename
    os.rename(os.path.join(a.im, "cat.png"), os.path.join(a.im, "dog.png"))
    until(lambda: read(os.path.join(b.im, "dog.png")) == one and
          read(os.path.join(b.im, "cat.png")) is None, "rename on b")
    # replace, from the other side
    write(os.path.join(b.im, "dog.png"), two)
    until(lambda: read(os.path.join(a.im, "dog.png")) == two, "replace on a")
    # folders
    os.mkdir(os.path.join(b.im, "pets"))
    write(os.path.join(b.im, "pets", "fish.png"), one)
    until(lambda: read(os.path.join(a.im, "pets", "fish.png")) == one,
          "a file in a folder on a")
    # delete: b keeps looking dog.png up meanwhile, so its kernel holds
    # the name when it goes; nothing is served from that entry, and an
    # O_CREAT open through it makes the file again
    gone = os.path.join(b.im, "dog.png")
    os.unlink(os.path.join(a.im, "dog.png"))
    until(lambda: not os.path.exists(gone), "delete on b")
    write(gone, two)
    until(lambda: read(os.path.join(a.im, "dog.png")) == two,
          "made again from b, on a")
    os.unlink(gone)
    until(lambda: sorted(os.listdir(a.im)) == ["pets"], "delete on a")
    # a third mount with a new cache folder starts with the whole library
    c = s3mounts(bucket, "c")
    assert sorted(os.listdir(c.im)) == ["pets"]
    assert read(os.path.join(c.im, "pets", "fish.png")) == one


def test_concurrent_writers_agree(s3mounts, bucket):
    a = s3mounts(bucket, "a")
    b = s3mounts(bucket, "b")
    names = ["n%d.png" % i for i in range(4)]
    contents = {}
    errors = []

    def writer(m, base):
        i = 0
        end = time.monotonic() + STRESS_SECONDS
        while time.monotonic() < end:
            data = png(base + i)
            contents[data] = True
            try:
                write(os.path.join(m.im, names[i % len(names)]), data)
            except OSError as e:
                errors.append(e)
            i += 1

    ts = [threading.Thread(target=writer, args=(a, 0)),
          threading.Thread(target=writer, args=(b, 100000))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors

    def agree():
        for n in names:
            x = read(os.path.join(a.im, n))
            y = read(os.path.join(b.im, n))
            if x is None or x != y:
                return False
        return True
    until(agree, "both mounts hold the same bytes")
    for n in names:
        assert read(os.path.join(a.im, n)) in contents


def test_kill9_loses_nothing_acknowledged(s3mounts, bucket, tmp_path):
    a = s3mounts(bucket, "a")
    acked = {}
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            name, data = "k%d.png" % i, png(1000 + i)
            try:
                write(os.path.join(a.im, name), data)
            except OSError:
                return
            acked[name] = data
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    until(lambda: len(acked) >= 5, "some writes acknowledged")
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait()
    stop.set()
    t.join()
    a.stop()                    # the dead mount goes
    # the same cache folder, and a new one: both see every acked write
    a2 = s3mounts(bucket, "a", cache=str(tmp_path / "a" / "cache"))
    fresh = s3mounts(bucket, "fresh")
    for m in (a2, fresh):
        for name, data in acked.items():
            assert read(os.path.join(m.im, name)) == data, name


def test_server_paused(s3mounts, bucket, s3):
    a = s3mounts(bucket, "a", "--s3-timeout", "3")
    one = png(7)
    write(os.path.join(a.im, "keep.png"), one)
    cached = os.path.join(a.images, "keep", "original")
    until(lambda: os.listdir(cached), "keep/original")
    first = os.path.join(cached, os.listdir(cached)[0])
    before = read(first)
    pid = radosgw_pid(s3)
    os.kill(pid, signal.SIGSTOP)
    try:
        assert read(os.path.join(a.im, "keep.png")) == one
        assert read(first) == before
        assert "keep.png" in os.listdir(a.im)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            write(os.path.join(a.im, "new.png"), png(8))
        took = time.monotonic() - t0
        assert e.value.errno == errno.EIO
        print("write with the server paused failed after %.1f s" % took)
        assert "new.png" not in os.listdir(a.im)
    finally:
        os.kill(pid, signal.SIGCONT)
    # back: a write works again (the first tries may still time out
    # while the gateway catches up)
    def works():
        try:
            write(os.path.join(a.im, "new.png"), png(8))
            return True
        except OSError:
            return False
    until(works, "a write after the server returns")
    assert read(os.path.join(a.im, "new.png")) == png(8)
    assert "cannot store" in a.log()


def test_restart_while_server_paused(s3mounts, bucket, s3, tmp_path):
    """A cache folder that has caught up before mounts without the bucket,
    serves what it has, and follows the log again once the bucket is
    back."""
    cache = str(tmp_path / "a" / "cache")
    a = s3mounts(bucket, "a", "--s3-timeout", "2")
    one = png(31)
    write(os.path.join(a.im, "old.png"), one)
    a.stop()
    b = s3mounts(bucket, "b")
    pid = radosgw_pid(s3)
    os.kill(pid, signal.SIGSTOP)
    try:
        a = s3mounts(bucket, "a", "--s3-timeout", "2", cache=cache)
        assert read(os.path.join(a.im, "old.png")) == one
        assert "cannot be reached" in a.log()
    finally:
        os.kill(pid, signal.SIGCONT)
    two = png(32)
    write(os.path.join(b.im, "new.png"), two)
    until(lambda: read(os.path.join(a.im, "new.png")) == two,
          "a follows the log once the bucket is back")
    until(lambda: "the bucket answers again" in a.log(),
          "a says the bucket is back")


def ctl(s3, bucket, cache, *args):
    return subprocess.run(
        [MINTCTL, "--store", "s3://%s/lib" % bucket, "--cache-dir", cache,
         "--s3-endpoint", s3["endpoint"], "--s3-path-style", *args],
        capture_output=True, env=dict(os.environ, **s3["env"]), timeout=120)


def test_mintctl_same_bucket_and_gc(s3mounts, bucket, s3, tmp_path):
    a = s3mounts(bucket, "a")
    one, two = png(21), png(22)
    write(os.path.join(a.im, "x.png"), one)
    cache = str(tmp_path / "ctl")
    r = ctl(s3, bucket, cache, "ls", "Image Manager")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [b"x.png"]
    src = tmp_path / "y.png"
    src.write_bytes(two)
    r = ctl(s3, bucket, cache, "add", str(src), "y.png")
    assert r.returncode == 0, r.stderr
    until(lambda: read(os.path.join(a.im, "y.png")) == two, "mintctl add")
    # x.png replaced: its first blob is named by nothing
    write(os.path.join(a.im, "x.png"), two)
    r = ctl(s3, bucket, cache, "gc")            # within the grace
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"removed 0 blobs, kept 2\n"
    r = ctl(s3, bucket, cache, "gc", "--grace", "0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"removed 1 blobs, kept 1\n"
    r = ctl(s3, bucket, cache, "gc", "--grace", "soon")
    assert r.returncode == 2
    assert read(os.path.join(a.im, "x.png")) == two
    c = s3mounts(bucket, "c")
    assert read(os.path.join(c.im, "x.png")) == two


def test_bad_settings_clear_errors(tmp_path, s3):
    m = Mount(tmp_path / "m", ["--cache-dir", str(tmp_path / "cache"),
                               "--s3-endpoint", s3["endpoint"],
                               "--s3-path-style"],
              env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                   "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                   "HOME": str(tmp_path)})
    m.store = "s3://somebucket"
    with pytest.raises(RuntimeError) as e:
        m.start()
    assert "no credentials" in str(e.value)
    r = subprocess.run(
        [MINTCTL, "--store", "s3://somebucket", "--cache-dir",
         str(tmp_path / "ctlcache"), "ls"], capture_output=True, text=True,
        env=dict(os.environ, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                 AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
                 HOME=str(tmp_path)))
    assert r.returncode == 1
    assert r.stderr.startswith("mintctl: s3://somebucket: no credentials")
    assert r.stderr.count("\n") == 1
    # wrong secret: refused at mount, and the secret is in no output
    m = Mount(tmp_path / "m2", ["--cache-dir", str(tmp_path / "cache2"),
                                "--s3-endpoint", s3["endpoint"],
                                "--s3-path-style"],
              env=dict(s3["env"], AWS_SECRET_ACCESS_KEY="wrongsecret123"))
    m.store = "s3://somebucket"
    with pytest.raises(RuntimeError) as e:
        m.start()
    assert "access denied" in str(e.value)
    assert "wrongsecret123" not in str(e.value)
