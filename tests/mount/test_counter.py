"""counter/: ten numbered, deterministic copies in three formats; and sizes
remembered so that listing after a remount encodes nothing."""
import hashlib
import os
import re
import shutil

import pytest

from images import FORMATS, VARIANT_FILES, dims, make_all
from rawpix import differing, rgb



@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def cfile(m, stem, i, fmt):
    return m.path("Images", stem, "counter", "%s_%d.%s" % (stem, i, fmt))


def test_thirty_files_decode(mount, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount.im)
    d = mount.path("Images", "plasma", "counter")
    assert sorted(os.listdir(d)) == sorted(
        "plasma_%d.%s" % (i, f) for i in range(10) for f in FORMATS)
    for fmt in FORMATS:
        sums = set()
        for i in range(10):
            p = cfile(mount, "plasma", i, fmt)
            data = open(p, "rb").read()
            assert len(data) == os.stat(p).st_size
            assert open(p, "rb").read() == data          # deterministic
            sums.add(hashlib.md5(data).digest())
            assert dims(p) == (320, 200)
        assert len(sums) == 10


def test_number_only_in_the_corner(mount1, originals, tmp_path):
    shutil.copy(os.path.join(originals[0], "photo.jpg")
                if os.path.exists(os.path.join(originals[0], "photo.jpg"))
                else os.path.join(originals[0], "plasma.jpg"),
                os.path.join(mount1.im, "pic.jpg"))
    c = tmp_path / "c.png"
    c.write_bytes(open(cfile(mount1, "pic", 4, "png"), "rb").read())
    o = tmp_path / "o.png"
    o.write_bytes(open(mount1.path("Images", "pic", "original", "pic.png"),
                       "rb").read())
    w, h, pc = rgb(str(c))
    _, _, po = rgb(str(o))
    diff = differing(pc, po, w, h)
    assert diff
    box = int(0.15 * max(w, h)) + 2
    # the box sits in the bottom-right corner
    assert all(x >= w - box and y >= h - box for x, y in diff)


def test_tiny_and_text_originals(mount1, tmp_path):
    import subprocess
    p = tmp_path / "dot.png"
    subprocess.run(["convert", "-size", "3x2", "xc:blue", str(p)],
                   check=True)
    shutil.copy(p, mount1.im)
    with open(os.path.join(mount1.im, "hello 64x64.txt"), "w") as f:
        f.write("hello")
    for fmt in FORMATS:
        assert dims(cfile(mount1, "dot", 9, fmt)) == (3, 2)
        assert dims(cfile(mount1, "hello 64x64", 0, fmt)) == (64, 64)


def made_lines(m):
    return len(re.findall(r"cache: made ", m.log()))


def test_bmp_sizes_make_no_copy(mount_factory, originals):
    # a BMP copy has its base's length: a stat makes none (counter.c)
    m = mount_factory("-d", "--no-eager")
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), m.im)
    size = {i: os.stat(cfile(m, "plasma", i, "bmp")).st_size
            for i in range(10)}
    assert len(set(size.values())) == 1
    assert not re.findall(r"cache: made \S+:counter:bmp:", m.log())
    for i in (0, 7):
        data = open(cfile(m, "plasma", i, "bmp"), "rb").read()
        assert len(data) == size[i]
    assert len(re.findall(r"cache: made \S+:counter:bmp:", m.log())) == 2
    # the other formats' sizes are known once a copy is made
    os.stat(cfile(m, "plasma", 3, "png"))
    assert re.findall(r"cache: made \S+:counter:png:3", m.log())


def test_ls_after_remount_encodes_nothing(mount_factory, originals):
    m = mount_factory("-d")
    src = originals[0]
    for i in range(100):
        shutil.copy(os.path.join(src, "gray.jpg"),
                    os.path.join(m.im, "g%03d.jpg" % i))
    # different bytes per original, so nothing is shared by content
        with open(os.path.join(m.im, "g%03d.jpg" % i), "ab") as f:
            f.write(b"%d" % i)

    def list_all():
        sizes = {}
        for root, dirs, files in os.walk(m.images):
            # sized/ makes what its names ask when asked: test_sized.py
            dirs[:] = [d for d in dirs if d != "sized"]
            for f in files:
                p = os.path.join(root, f)
                sizes[p] = os.stat(p).st_size
        return sizes
    first = list_all()
    assert len(first) == 100 * sum(VARIANT_FILES.values())
    assert made_lines(m) > 0
    m.restart()
    before = made_lines(m)
    again = list_all()
    assert again == first
    assert made_lines(m) == before       # ls -l after remount: no encode
    # remembered under the library versions that made the bytes
    import sqlite3
    db = sqlite3.connect("file:%s/catalog.db?mode=ro" % m.store, uri=True)
    keys = [k for (k,) in db.execute("SELECT key FROM sizes LIMIT 5")]
    db.close()
    assert keys and all(" png" in k and " webp" in k for k in keys), keys
