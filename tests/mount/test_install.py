"""Installed like a system tool: make install/uninstall with DESTDIR, and
mounting through mount(8): an fstab entry and `mount -t fuse.mintfs`."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import MINTFS, ROOT, fuse_available

BUILD = os.path.relpath(os.path.dirname(MINTFS), ROOT)


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT,
                           "BUILD=" + BUILD, *args],
                          capture_output=True, text=True)


def test_install_and_uninstall(tmp_path):
    dest = str(tmp_path / "dest")
    r = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    binary = os.path.join(dest, "usr/bin/mintfs")
    page = os.path.join(dest, "usr/share/man/man1/mintfs.1")
    assert os.access(binary, os.X_OK)
    assert os.stat(page).st_mode & 0o777 == 0o644
    out = subprocess.run([binary, "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.startswith("mintfs ")
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", page], capture_output=True,
                           text=True, env=dict(os.environ, MANPAGER="cat",
                                               PAGER="cat"))
        assert "endless unique images" in r.stdout
    r = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(binary) and not os.path.exists(page)


def wait_gone(pattern, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["pgrep", "-f", pattern], capture_output=True)
        if r.returncode != 0:
            return True
        time.sleep(0.1)
    return False


def mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


@pytest.fixture
def root_fuse():
    if not fuse_available() or os.geteuid() != 0:
        pytest.skip("needs root and /dev/fuse for mount(8)")


def test_fstab_entry(tmp_path, root_fuse):
    """An fstab line, mounted with `mount` and a private fstab (-T)."""
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    mnt.mkdir()
    fstab = tmp_path / "fstab"
    # absolute program path: mount(8) runs helpers with a fixed PATH
    fstab.write_text("%s#%s  %s  fuse  defaults,cache_size=32M  0 0\n"
                     % (MINTFS, store, mnt))
    r = subprocess.run(["mount", "-T", str(fstab), str(mnt)],
                       capture_output=True, text=True)
    try:
        assert r.returncode == 0, r.stderr
        assert mounted(str(mnt))
        assert sorted(os.listdir(mnt)) == ["Image Manager", "Images"]
        assert (store / "catalog.db").exists()
        with open("/proc/mounts") as f:
            line = [ln for ln in f if ln.split()[1] == str(mnt)][0]
        assert line.split()[2] == "fuse.mintfs"
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
    assert not mounted(str(mnt))
    assert wait_gone(str(mnt))


def test_mount_type_fuse_mintfs(tmp_path, root_fuse):
    """`mount -t fuse.mintfs STORE MNT` finds mintfs on the system PATH:
    put it there for the test if nothing is installed already."""
    link = "/usr/local/bin/mintfs"
    if os.path.lexists(link):
        pytest.skip("a mintfs is installed in /usr/local/bin already")
    store, mnt = tmp_path / "store", tmp_path / "mnt"
    mnt.mkdir()
    os.symlink(MINTFS, link)
    try:
        r = subprocess.run(["mount", "-t", "fuse.mintfs", "-o",
                            "cache_size=16M", str(store), str(mnt)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert mounted(str(mnt))
        shutil.copy(os.path.join(ROOT, "assets", "badge.png"),
                    mnt / "Image Manager")
        assert os.listdir(mnt / "Images") == ["badge"]
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        os.unlink(link)
    assert not mounted(str(mnt))
    assert wait_gone(str(mnt))
