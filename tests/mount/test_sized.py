"""sized/: files named for a size in pixels and an exact length, new bytes
on every open, read by decoders we did not write without a warning."""
import hashlib
import os
import shutil
import subprocess

import pytest

from images import dims, make_all

FORMATS = ("png", "jpeg", "webp")


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def sz(m, stem, name):
    return m.path("Images", stem, "sized", "%s %s" % (stem, name))


def clean_decode(path, fmt):
    """Each decoder reads the file with nothing on stderr."""
    cmds = [["convert", path, "-regard-warnings", "null:"]]
    if fmt == "png":
        cmds.append(["pngcheck", "-q", path])
    elif fmt == "jpeg":
        cmds.append(["djpeg", "-outfile", os.devnull, path])
    else:
        cmds.append(["dwebp", "-quiet", path, "-o", os.devnull])
    for cmd in cmds:
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), \
            (cmd, r.returncode, r.stderr)
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        im.load()


def check(path, fmt, want_dims=None, want_len=None, opens=5):
    st = os.stat(path).st_size
    if want_len is not None:
        assert st == want_len
    sums = set()
    for i in range(opens):
        with open(path, "rb") as f:
            data = f.read()
        assert len(data) == st
        sums.add(hashlib.md5(data).hexdigest())
    assert len(sums) == opens
    if want_dims is not None:
        assert dims(path) == want_dims
    clean_decode(path, fmt)
    return st


def test_listing_presets(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    d = mount1.path("Images", "plasma")
    assert "sized" in os.listdir(d)
    names = os.listdir(os.path.join(d, "sized"))
    # only the presets whose stat makes nothing; sizes in pixels are typed
    assert "plasma 1920x1080.webp" not in names
    assert "plasma 5MB-1B.jpeg" in names
    assert "plasma 5MB+1B.png" in names
    assert "plasma 5MB.webp" not in names
    assert len(names) == 5 * 2
    # the sizes of the length presets come without making anything
    for n in names:
        if "MB" in n:
            want = {"1MB": 10**6, "5MB": 5 * 10**6, "10MB": 10**7,
                    "5MB-1B": 5 * 10**6 - 1, "5MB+1B": 5 * 10**6 + 1}
            key = n.split(" ", 1)[1].rsplit(".", 1)[0]
            assert os.stat(os.path.join(d, "sized", n)).st_size == want[key]


@pytest.mark.parametrize("fmt", FORMATS)
def test_dimensions_and_lengths(mount1, originals, fmt):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    check(sz(mount1, "plasma", "300x1000.%s" % fmt), fmt, (300, 1000))
    check(sz(mount1, "plasma", "1x1.%s" % fmt), fmt, (1, 1))
    check(sz(mount1, "plasma", "200x200 100KB.%s" % fmt), fmt, (200, 200),
          100000)
    check(sz(mount1, "plasma", "333KiB+3B.%s" % fmt), fmt, (320, 200),
          333 * 1024 + 3)
    check(sz(mount1, "plasma", "1MB+1B.%s" % fmt), fmt, (320, 200),
          10**6 + 1)
    check(sz(mount1, "plasma", "64x48 12345B.%s" % fmt), fmt, (64, 48),
          12345)


def test_original_size_shares_always_random(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in FORMATS:
        a = os.stat(mount1.path("Images", "plasma", "always_random",
                                "plasma.%s" % fmt)).st_size
        assert os.stat(sz(mount1, "plasma", "320x200.%s" % fmt)).st_size == a


def test_hundred_opens_distinct(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in FORMATS:
        p = sz(mount1, "plasma", "1920x1080 5MB-1B.%s" % fmt)
        sums = set()
        for _ in range(100):
            with open(p, "rb") as f:
                data = f.read()
            assert len(data) == 5 * 10**6 - 1
            sums.add(hashlib.md5(data).hexdigest())
        assert len(sums) == 100
        assert dims(p) == (1920, 1080)
        clean_decode(p, fmt)


def test_lossy_lowers_quality_png_refuses(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in ("jpeg", "webp"):
        check(sz(mount1, "plasma", "2000x2000 200KB.%s" % fmt), fmt,
              (2000, 2000), 200000)
    p = sz(mount1, "plasma", "2000x2000 60KB.png")
    assert os.stat(p).st_size == 60000      # by rule, before any work
    with pytest.raises(FileNotFoundError):
        open(p, "rb").read()
    assert "cannot be 60000 bytes long; the smallest is" in mount1.log()
    # far too short for any quality
    with pytest.raises(FileNotFoundError):
        open(sz(mount1, "plasma", "4000x3000 100B.jpeg"), "rb").read()


BAD = ["0x0", "99999999x1", "-5MB", "5MB-5MB", "5MB-6MB", "0B",
       "99999999999999999999B", "999999999999GiB", "1x1 1x1", "5MB 5MB",
       "1x1  5MB", " 1x1", "1x1 ", " " * 300, "", "1x", "x1", "01x1",
       "1X1", "5mb", "5 MB", "5MB+", "5MB-1B-1B", "40000x10",
       "20000x20000", "1x1 5MB.", "5TB"]


def test_bad_names(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for spec in BAD:
        for fmt in FORMATS + ("gif",):
            p = sz(mount1, "plasma", "%s.%s" % (spec, fmt))
            if len(os.path.basename(p).encode()) > 255:
                continue
            with pytest.raises(FileNotFoundError):
                os.stat(p)
    for p in ("plasma.png", "plasmax 1x1.png", "plasma 1x1", "cat 1x1.png"):
        with pytest.raises(FileNotFoundError):
            os.stat(mount1.path("Images", "plasma", "sized", p))
    assert mount1.alive()
