"""always_random and counter/ WebPs made by re-coding the last macroblocks
of original/'s VP8 frame (splice/webp.c, splice/vp8*.c), through a real
mount: every open new bytes of one length, decoded cleanly by libwebp's
dwebp and by ImageMagick, equal to original/ outside the re-coded
macroblocks and the loop filter's fringe."""
import hashlib
import math
import os
import shutil
import subprocess

import pytest

from images import dims, make_all
from rawpix import differing, rgb

FRINGE = 8          # loop filter (3 luma, 3 chroma pixels) and upsampling


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    made = make_all(str(d))
    for w, h in ((1, 1), (17, 17), (33, 9), (4097, 31), (31, 4097)):
        name = "odd%dx%d.png" % (w, h)
        subprocess.run(["convert", "-size", "%dx%d" % (w, h),
                        "gradient:orange-navy", os.path.join(str(d), name)],
                       check=True)
        made[name] = (w, h)
    return str(d), made


def ar(m, stem):
    return m.path("Images", stem, "always_random", stem + ".webp")


def og(m, stem):
    return m.path("Images", stem, "original", stem + ".webp")


def cf(m, stem, i):
    return m.path("Images", stem, "counter", "%s_%d.webp" % (stem, i))


def noise_block(w, h):
    """The re-coded block's top-left pixel (splice/vp8.h) and where its
    lower row's left neighbour starts (its prediction reads the block)."""
    mbw, mbh = (w + 15) // 16, (h + 15) // 16
    cols = 2 if w - 16 * (mbw - 1) < 16 and mbw > 1 else 1
    rows = 2 if h - 16 * (mbh - 1) < 8 and mbh > 1 else 1
    x0, y0 = 16 * (mbw - cols), 16 * (mbh - rows)
    return x0, y0, (x0 - 16 if rows == 2 and x0 else x0)


def may_differ(x, y, block):
    x0, y0, xl = block
    if x + FRINGE >= x0 and y + FRINGE >= y0:
        return True
    return x + FRINGE >= xl and y + FRINGE >= y0 + 16


def counter_box(w, h):
    """mint_counter_box: the digit's box, in the bottom-right corner."""
    by = max(int(math.floor(max(w, h) * 0.15 + 0.5)), 12)
    by = min(by, h)
    bx = min(int(math.floor(by * 0.75 + 0.5)), w)
    return bx, by


def checked(path, tmp_path, name):
    """A copy of path, decoded cleanly by dwebp and by ImageMagick."""
    out = tmp_path / name
    out.write_bytes(open(path, "rb").read())
    r = subprocess.run(["dwebp", "-quiet", str(out), "-o", os.devnull],
                       capture_output=True, text=True)
    assert r.returncode == 0, (path, r.stderr)
    r = subprocess.run(["convert", str(out), "null:"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and not r.stderr, (path, r.stderr)
    return str(out)


def test_ten_thousand_opens(mount1, originals):
    shutil.copy(os.path.join(originals[0], "gray.jpg"), mount1.im)
    p = ar(mount1, "gray")
    size = os.stat(p).st_size
    sums = set()
    for _ in range(10000):
        with open(p, "rb") as f:
            data = f.read()
        assert len(data) == size
        sums.add(hashlib.md5(data).digest())
    assert len(sums) == 10000


@pytest.mark.parametrize("name", [
    "lossy.webp", "lossless-alpha.webp", "rgba.png", "gray.jpg",
    "plasma.jpg", "odd1x1.png", "odd17x17.png", "odd33x9.png",
    "odd4097x31.png", "odd31x4097.png"])
def test_decodes_and_only_the_block_changes(mount1, originals, tmp_path,
                                            name):
    src, made = originals
    shutil.copy(os.path.join(src, name), mount1.im)
    stem = name.rsplit(".", 1)[0]
    w, h = made[name]
    o = checked(og(mount1, stem), tmp_path, "o.webp")
    _, _, po = rgb(o)
    block = noise_block(w, h)
    inside = 0
    for i in range(3):
        a = checked(ar(mount1, stem), tmp_path, "a%d.webp" % i)
        assert dims(a) == (w, h)
        assert os.path.getsize(a) == os.stat(ar(mount1, stem)).st_size
        _, _, pa = rgb(a)
        diff = differing(pa, po, w, h)
        assert all(may_differ(x, y, block) for x, y in diff), diff[:10]
        inside += len(diff)
    # noise: the block decodes differently from original/ (unless it is
    # transparent, which ImageMagick's -alpha off still shows as colour)
    assert inside > 0


@pytest.mark.parametrize("name", ["plasma.jpg", "rgba.png",
                                  "lossless-alpha.webp", "odd33x9.png"])
def test_counter_copies_differ_only_in_the_box(mount1, originals, tmp_path,
                                               name):
    src, made = originals
    shutil.copy(os.path.join(src, name), mount1.im)
    stem = name.rsplit(".", 1)[0]
    w, h = made[name]
    bw, bh = counter_box(w, h)
    # the box's MBs: from the MB holding its top-left pixel (one column
    # further left where the row above it is partly past the picture)
    c0, r0 = (w - bw) // 16, (h - bh) // 16
    if c0 and r0 and 16 * c0 + 16 > w and 16 * r0 + 16 > h:
        c0 -= 1
    o = checked(og(mount1, stem), tmp_path, "o.webp")
    _, _, po = rgb(o)
    sums = set()
    for i in range(10):
        c = checked(cf(mount1, stem, i), tmp_path, "c%d.webp" % i)
        assert os.path.getsize(c) == os.stat(cf(mount1, stem, i)).st_size
        sums.add(hashlib.md5(open(c, "rb").read()).digest())
        _, _, pc = rgb(c)
        diff = differing(pc, po, w, h)
        assert all(x + FRINGE >= 16 * c0 and y + FRINGE >= 16 * r0
                   for x, y in diff), diff[:10]
    assert len(sums) == 10
