"""GIF, BMP and TIFF: every output decodes with tools we did not write
(giflib's giftext, libtiff's tiffinfo and tiffcp, ImageMagick, PIL);
always_random differs from original/ only in its bottom-right 16x16
square and gives a new file of one length on every open; GIF, BMP and
TIFF originals made here round-trip through Image Manager byte for byte
and get their Images folder, upright by a TIFF's orientation."""
import errno
import io
import os
import shutil
import subprocess

import pytest

from images import make_all, put

NEW = ("gif", "bmp", "tiff")
SQ = 16


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def path(m, stem, variant, name):
    return m.path("Images", stem, variant, name)


def check_tools(fmt, data, tmp_path):
    """Each tool reads the file without an error or a warning."""
    from PIL import Image
    f = tmp_path / ("x." + fmt)
    f.write_bytes(data)
    cmds = [["identify", "-regard-warnings", str(f)]]
    if fmt == "gif":
        cmds.append(["giftext", str(f)])
    if fmt == "tiff":
        cmds.append(["tiffinfo", "-D", str(f)])
        cmds.append(["tiffcp", str(f), str(tmp_path / "cp.tiff")])
    for cmd in cmds:
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, (cmd, r.stderr[-500:])
        assert "arning" not in r.stderr, (cmd, r.stderr[-500:])
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.convert("RGB")


def test_outputs_decode(mount1, originals, tmp_path):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in NEW:
        for variant, name in (("original", "plasma." + fmt),
                              ("always_random", "plasma." + fmt),
                              ("counter", "plasma_0." + fmt),
                              ("counter", "plasma_7." + fmt),
                              ("distinct", "plasma." + fmt)):
            p = path(mount1, "plasma", variant, name)
            data = open(p, "rb").read()
            assert len(data) == os.stat(p).st_size, p
            im = check_tools(fmt, data, tmp_path)
            assert im.size == (320, 200), p


def test_only_the_square_changes(mount1, originals, tmp_path):
    from PIL import Image
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in NEW:
        o = Image.open(path(mount1, "plasma", "original", "plasma." + fmt))
        a = Image.open(path(mount1, "plasma", "always_random",
                            "plasma." + fmt))
        o, a = o.convert("RGBA"), a.convert("RGBA")
        w, h = o.size
        po, pa = o.load(), a.load()
        inside = outside = 0
        for y in range(h):
            for x in range(w):
                if po[x, y] != pa[x, y]:
                    if x >= w - SQ and y >= h - SQ:
                        inside += 1
                    else:
                        outside += 1
        assert inside and not outside, (fmt, inside, outside)


def test_tiny_original(mount1, tmp_path):
    p = tmp_path / "dot.png"
    subprocess.run(["convert", "-size", "1x1", "xc:orange", str(p)],
                   check=True)
    shutil.copy(p, mount1.im)
    for fmt in NEW:
        q = path(mount1, "dot", "always_random", "dot." + fmt)
        datas = [open(q, "rb").read() for _ in range(50)]
        assert len(set(datas)) == 50
        assert {len(d) for d in datas} == {os.stat(q).st_size}
        assert check_tools(fmt, datas[0], tmp_path).size == (1, 1)


def test_originals_round_trip(mount1, originals):
    from PIL import Image
    src, made = originals
    for name in ("frames.gif", "scan.bmp", "office.tiff"):
        shutil.copy(os.path.join(src, name), mount1.im)
    for name in ("frames.gif", "scan.bmp", "office.tiff"):
        stem = name.rsplit(".", 1)[0]
        assert open(os.path.join(mount1.im, name), "rb").read() == \
            open(os.path.join(src, name), "rb").read()
        with Image.open(path(mount1, stem, "original", stem + ".png")) as im:
            assert im.size == made[name]
    # a GIF gives its first frame: plasma, not the second's blue
    with Image.open(path(mount1, "frames", "original", "frames.png")) as im:
        colours = im.convert("RGB").getcolors(10000)
        assert len(colours) > 2


@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation(mount1, tmp_path, orientation):
    """A TIFF with an Orientation tag comes out as ImageMagick's
    -auto-orient shows it: upright."""
    from PIL import Image
    stored = Image.new("RGB", (20, 40), "white")
    for y in range(40):
        stored.putpixel((19, y), (255, 0, 0))   # the stored right column
    for x in range(20):
        stored.putpixel((x, 0), (0, 0, 255))    # the stored top row
    p = tmp_path / "turned.tiff"
    stored.save(str(p), tiffinfo={274: orientation})
    up = tmp_path / "up.png"
    subprocess.run(["convert", str(p), "-auto-orient", str(up)], check=True)
    shutil.copy(str(p), mount1.im)
    with Image.open(str(up)) as want, \
            Image.open(path(mount1, "turned", "original",
                            "turned.png")) as got:
        assert got.size == want.size
        assert got.convert("RGB").tobytes() == \
            want.convert("RGB").tobytes()


def test_bad_originals_refused(mount1, originals):
    src = originals[0]
    for name in ("scan.bmp", "office.tiff", "frames.gif"):
        data = open(os.path.join(src, name), "rb").read()
        cut = "cut-" + name
        assert put(os.path.join(mount1.im, cut), data[:len(data) // 2]) \
            == errno.EINVAL, name
        assert not os.path.exists(os.path.join(mount1.im, cut))
    # and the filesystem is still up
    shutil.copy(os.path.join(src, "scan.bmp"), mount1.im)
    assert os.path.isdir(mount1.path("Images", "scan"))
