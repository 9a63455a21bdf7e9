"""The command line: one clear line and a non-zero exit for every mistake."""
import os
import subprocess
import tempfile

import pytest

from conftest import MINTFS


def run(*args, timeout=20):
    """mintfs with an empty HOME of its own: a run without --store must
    neither touch nor be refused by the store of whoever runs the tests."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home)
        env.pop("XDG_DATA_HOME", None)
        return subprocess.run([MINTFS, *args], capture_output=True,
                              text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)


def one_line_error(r):
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0
    assert "--store" in r.stdout and "--cache-size" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("mintfs ")


def test_no_mountpoint():
    assert "mount point" in one_line_error(run())


def test_bad_option(tmp_path):
    line = one_line_error(run("--bogus", str(tmp_path)))
    assert "bogus" in line
    # libfuse's options are checked before any store is opened
    store = tmp_path / "store"
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    line = one_line_error(run("--store", str(store), "-o", "bogus", str(mnt)))
    assert "bogus" in line
    assert not store.exists()


def test_bad_cache_size(tmp_path):
    line = one_line_error(run("--cache-size", "lots", str(tmp_path)))
    assert "cache-size" in line


def test_mountpoint_not_a_directory(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert "not a directory" in one_line_error(
        run("--store", str(tmp_path / "s"), str(f)))
    assert "No such file" in one_line_error(
        run("--store", str(tmp_path / "s"), str(tmp_path / "missing")))


def test_unusable_store(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    f = tmp_path / "file"
    f.write_text("x")
    assert "store" in one_line_error(run("--store", str(f), str(mnt)))
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    assert "store" in one_line_error(run("--store", str(open_dir), str(mnt)))
    assert not os.path.ismount(mnt)


def test_busy_mountpoint_and_store(mount_factory, tmp_path):
    m = mount_factory()
    line = one_line_error(run("--store", str(tmp_path / "other"), m.mnt))
    assert "busy" in line or "mount point" in line
    other = tmp_path / "mnt2"
    other.mkdir()
    line = one_line_error(run("--store", m.store, str(other)))
    assert "store" in line
    assert not os.path.ismount(other)
    assert os.listdir(m.mnt) == ["Image Manager", "Images"]


def test_store_created_private(mount_factory):
    m = mount_factory()
    assert os.stat(m.store).st_mode & 0o777 == 0o700
    assert {"blobs", "catalog.db", "cache"} <= set(os.listdir(m.store))


@pytest.mark.parametrize("opt", ["-o", "--store"])
def test_store_given_as_mount_option(tmp_path, opt):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    store = tmp_path / "st"
    args = (["-o", "store=" + str(store)] if opt == "-o"
            else ["--store=" + str(store)])
    p = subprocess.Popen([MINTFS, "-f", *args, str(mnt)],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if os.path.ismount(mnt):
                break
            if p.poll() is not None:
                break
            import time
            time.sleep(0.02)
        assert os.path.ismount(mnt), p.stderr.read() if p.poll() else ""
        assert os.path.isdir(store / "blobs")
    finally:
        subprocess.run(["fusermount3", "-u", str(mnt)], capture_output=True)
        p.wait(timeout=20)
        p.stderr.close()
