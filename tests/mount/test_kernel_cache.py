"""The kernel keeps looked-up names for a second (ARCHITECTURE.md, "Kernel
caches"), yet a name that goes without the kernel seeing it is never
served: Images/X when X's original is deleted, renamed or replaced, and a
file in a folder that is renamed. Each case first looks the old paths up,
so the kernel holds them, then checks at once, with the calls programs
make: stat, access (test -r), open, listdir and chdir. (An O_CREAT open
of a name gone behind the kernel's back is in test_s3.py: only the team
store's poller removes an Image Manager name that way.)"""
import os
import shutil
import subprocess

import pytest

from images import dims, make_all


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def held(paths):
    """Look every path up, so the kernel holds its entries."""
    for p in paths:
        os.stat(p)


def assert_gone(path):
    with pytest.raises(FileNotFoundError):
        os.stat(path)
    assert not os.access(path, os.F_OK)
    assert not os.access(path, os.R_OK)
    assert subprocess.run(["test", "-r", path]).returncode == 1
    with pytest.raises(FileNotFoundError):
        open(path, "rb")


def assert_dir_gone(path):
    assert_gone(path)
    with pytest.raises(FileNotFoundError):
        os.listdir(path)
    with pytest.raises(FileNotFoundError):
        os.chdir(path)


def paths_of(images, folder, name):
    """Images/<folder> itself, its original/, and two of its files."""
    top = os.path.join(images, folder)
    return [top, os.path.join(top, "original"),
            os.path.join(top, "original", name + ".png"),
            os.path.join(top, "counter", name + "_3.jpeg")]


def copied_and_held(m, src, name, sub=""):
    """Copy the test picture in as Image Manager/<sub>/<name>.png and look
    its Images paths up (paths_of), so the kernel holds them."""
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(m.im, sub, name + ".png"))
    paths = paths_of(os.path.join(m.images, sub), name, name)
    held(paths)
    return paths


def assert_all_gone(paths):
    """paths_of()'s two folders and two files, all gone."""
    for p in paths[2:]:
        assert_gone(p)
    for p in paths[:2]:
        assert_dir_gone(p)


def test_deleted_original(mount1, originals):
    src, _ = originals
    m = mount1
    paths = copied_and_held(m, src, "x")
    os.unlink(os.path.join(m.im, "x.png"))
    assert os.listdir(m.images) == []
    assert_all_gone(paths)
    # the name is new again: a new original's folder and sizes, at once
    shutil.copy(os.path.join(src, "plasma.jpg"), os.path.join(m.im, "x.png"))
    png = paths[2]
    assert dims(png) == (320, 200)
    with open(png, "rb") as f:
        assert len(f.read()) == os.stat(png).st_size


def test_renamed_original(mount1, originals):
    src, _ = originals
    m = mount1
    old = copied_and_held(m, src, "a")
    size = os.stat(old[2]).st_size
    os.rename(os.path.join(m.im, "a.png"), os.path.join(m.im, "b.png"))
    assert os.listdir(m.images) == ["b"]
    assert_all_gone(old)
    new = paths_of(m.images, "b", "b")
    assert os.stat(new[2]).st_size == size
    assert dims(new[3]) == (120, 90)


def test_replaced_original(mount1, originals):
    src, _ = originals
    m = mount1
    files = copied_and_held(m, src, "r")[2:]
    before = {p: os.stat(p) for p in files}
    shutil.copy(os.path.join(src, "plasma.jpg"), os.path.join(m.im, "r.png"))
    for p in files:
        st = os.stat(p)
        assert st.st_size != before[p].st_size, p
        assert dims(p) == (320, 200)
        with open(p, "rb") as f:
            assert len(f.read()) == st.st_size, p


def test_renamed_folder(mount1, originals):
    src, _ = originals
    m = mount1
    os.mkdir(os.path.join(m.im, "pets"))
    old = copied_and_held(m, src, "cat", "pets")
    held([os.path.join(m.im, "pets", "cat.png")])
    os.rename(os.path.join(m.im, "pets"), os.path.join(m.im, "animals"))
    assert os.listdir(m.images) == ["animals"]
    assert_all_gone(old)
    assert_dir_gone(os.path.join(m.images, "pets"))
    assert dims(paths_of(os.path.join(m.images, "animals"), "cat",
                         "cat")[2]) == (120, 90)
