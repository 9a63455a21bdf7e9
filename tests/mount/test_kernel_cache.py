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
    top = os.path.join(images, folder)
    return [top, os.path.join(top, "original"),
            os.path.join(top, "original", name + ".png"),
            os.path.join(top, "counter", name + "_3.jpeg")]


def test_deleted_original(mount1, originals):
    src, _ = originals
    m = mount1
    shutil.copy(os.path.join(src, "rgba.png"), os.path.join(m.im, "x.png"))
    top, orig, png, jpeg = paths_of(m.images, "x", "x")
    held([top, orig, png, jpeg])
    os.unlink(os.path.join(m.im, "x.png"))
    assert os.listdir(m.images) == []
    for p in (png, jpeg):
        assert_gone(p)
    for p in (orig, top):
        assert_dir_gone(p)
    # the name is new again: a new original's folder and sizes, at once
    shutil.copy(os.path.join(src, "plasma.jpg"), os.path.join(m.im, "x.png"))
    assert dims(png) == (320, 200)
    with open(png, "rb") as f:
        assert len(f.read()) == os.stat(png).st_size


def test_renamed_original(mount1, originals):
    src, _ = originals
    m = mount1
    shutil.copy(os.path.join(src, "rgba.png"), os.path.join(m.im, "a.png"))
    old = paths_of(m.images, "a", "a")
    held(old)
    size = os.stat(old[2]).st_size
    os.rename(os.path.join(m.im, "a.png"), os.path.join(m.im, "b.png"))
    assert os.listdir(m.images) == ["b"]
    for p in old[2:]:
        assert_gone(p)
    for p in old[:2]:
        assert_dir_gone(p)
    new = paths_of(m.images, "b", "b")
    assert os.stat(new[2]).st_size == size
    assert dims(new[3]) == (120, 90)


def test_replaced_original(mount1, originals):
    src, _ = originals
    m = mount1
    shutil.copy(os.path.join(src, "rgba.png"), os.path.join(m.im, "r.png"))
    paths = paths_of(m.images, "r", "r")
    held(paths)
    before = {p: os.stat(p) for p in paths[2:]}
    shutil.copy(os.path.join(src, "plasma.jpg"), os.path.join(m.im, "r.png"))
    for p in paths[2:]:
        st = os.stat(p)
        assert st.st_size != before[p].st_size, p
        assert dims(p) == (320, 200)
        with open(p, "rb") as f:
            assert len(f.read()) == st.st_size, p


def test_renamed_folder(mount1, originals):
    src, _ = originals
    m = mount1
    os.mkdir(os.path.join(m.im, "pets"))
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(m.im, "pets", "cat.png"))
    old = paths_of(os.path.join(m.images, "pets"), "cat", "cat")
    held([os.path.join(m.im, "pets", "cat.png")] + old)
    os.rename(os.path.join(m.im, "pets"), os.path.join(m.im, "animals"))
    assert os.listdir(m.images) == ["animals"]
    for p in old[2:]:
        assert_gone(p)
    for p in old[:2] + [os.path.join(m.images, "pets")]:
        assert_dir_gone(p)
    assert dims(paths_of(os.path.join(m.images, "animals"), "cat",
                         "cat")[2]) == (120, 90)
