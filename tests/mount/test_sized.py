"""sized/: files named for a size in pixels and an exact length, new bytes
on every open, read by decoders we did not write without a warning."""
import hashlib
import os
import re
import shutil
import subprocess

import pytest

from images import dims, make_all

FORMATS = ("png", "jpeg", "webp")
# every format with a rule (src/sizerule.c): its pixel presets are listed
RASTER = ("gif", "bmp", "tiff")
LISTED = FORMATS + ("heic", "avif") + RASTER


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
    elif fmt == "webp":
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


DIM_PRESETS = ((1, 1), (200, 200), (1920, 1080), (4000, 3000), (8000, 8000))
LEN_PRESETS = {"1MB": 10**6, "5MB": 5 * 10**6, "10MB": 10**7,
               "5MB-1B": 5 * 10**6 - 1, "5MB+1B": 5 * 10**6 + 1}


def rule_length(fmt, w, h):
    """The length of a name in pixels only (src/sizerule.c's table): PNG
    the stored-deflate bound of RGBA rows, GIF 12-bit LZW codes in
    sub-blocks, BMP 4 bytes a pixel, TIFF RGBA strips through zlib,
    lossy formats 4 bits a pixel, each plus a fixed allowance."""
    if fmt == "png":
        raw = h * (1 + 4 * w)
        return 8192 + raw + raw // 1024
    if fmt == "gif":
        n = w * h
        return 2048 + n + n // 2 + n // 128
    if fmt == "bmp":
        return 1024 + 4 * w * h
    if fmt == "tiff":
        raw = 4 * w * h
        return 2048 + raw + raw // 2048 + 2 * h
    return 16384 + (w * h * 4 + 7) // 8


def made_lines(m):
    """What the cache made, but the original's size (a few bytes read off
    its pixels, which its commit decoded)."""
    return [k for k in re.findall(r"cache: made (\S+)", m.log())
            if not k.endswith(":sized:dims")]


def test_listing_presets(mount_factory, originals):
    # --no-eager: nothing made in the background; -d logs what is made
    m = mount_factory("-d", "--no-eager")
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), m.im)
    d = m.path("Images", "plasma")
    assert "sized" in os.listdir(d)
    before = made_lines(m)
    out = subprocess.run(["ls", "-lR", os.path.join(d, "sized")],
                         check=True, capture_output=True, text=True)
    assert not out.stderr
    names = os.listdir(os.path.join(d, "sized"))
    want = {}
    for fmt in LISTED:
        for w, h in DIM_PRESETS:
            want["plasma %dx%d.%s" % (w, h, fmt)] = rule_length(fmt, w, h)
    for fmt in ("png", "jpeg"):
        for spec, n in LEN_PRESETS.items():
            want["plasma %s.%s" % (spec, fmt)] = n
    assert sorted(names) == sorted(want)
    for n in names:
        assert os.stat(os.path.join(d, "sized", n)).st_size == want[n], n
    # the listing, ls -lR and every stat made nothing at all
    assert made_lines(m) == before, made_lines(m)[len(before):]
    # opening one preset: one resample and one base, then cached
    p = os.path.join(d, "sized", "plasma 1920x1080.png")
    for _ in range(3):
        with open(p, "rb") as f:
            assert len(f.read()) == want[os.path.basename(p)]
    made = made_lines(m)[len(before):]
    assert len([k for k in made if k.endswith(":sized:1920x1080:pixels")]) \
        == 1, made
    assert len([k for k in made if k.endswith(":sized:1920x1080:png:prep")]) \
        == 1, made
    assert not [k for k in made if ":fit:" in k], made
    assert dims(p) == (1920, 1080)
    clean_decode(p, "png")


def test_listing_leaves_out_png_lengths_too_short(mount_factory, tmp_path):
    """A PNG length the original's own picture cannot have is not listed
    (nor found); the listing asks always_random's parts, nothing of its
    own, and logs nothing for what it leaves out."""
    m = mount_factory("-d", "--no-eager")
    noise = tmp_path / "noise.png"
    subprocess.run(["convert", "-size", "1000x1000", "xc:", "+noise",
                    "Random", str(noise)], check=True)
    shutil.copy(str(noise), m.im)
    d = m.path("Images", "noise", "sized")
    before = len(made_lines(m))
    names = os.listdir(d)
    # random pixels: the PNG is some 3 MB, which no padding shortens
    want = ["noise %dx%d.%s" % (w, h, f) for f in LISTED
            for w, h in DIM_PRESETS]
    want += ["noise %s.%s" % (spec, f) for f in ("png", "jpeg")
             for spec in LEN_PRESETS]
    want.remove("noise 1MB.png")
    assert sorted(names) == sorted(want)
    assert "cannot be" not in m.log()
    made = made_lines(m)[before:]
    assert not [k for k in made if ":sized" in k], made
    with pytest.raises(FileNotFoundError):
        os.stat(os.path.join(d, "noise 1MB.png"))
    assert "sized/1000000B.png: cannot be 1000000 bytes long" in m.log()
    for n in names:
        assert os.stat(os.path.join(d, n)).st_size > 0


def test_rule_lengths_typed(mount1, originals):
    """Any name in pixels only has its rule's length, listed or typed."""
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in FORMATS:
        for w, h in ((64, 48), (320, 200), (1234, 777)):
            p = sz(mount1, "plasma", "%dx%d.%s" % (w, h, fmt))
            check(p, fmt, (w, h), rule_length(fmt, w, h), opens=3)


def test_raster_rule_lengths(mount1, originals):
    """GIF, BMP and TIFF in pixels only: the rule's length, padded inside
    the format, a new file per open, and every decoder reads it."""
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt in RASTER:
        for w, h in ((1, 1), (64, 48), (1234, 777)):
            p = sz(mount1, "plasma", "%dx%d.%s" % (w, h, fmt))
            check(p, fmt, (w, h), rule_length(fmt, w, h), opens=3)


def test_big_png_preset_is_not_allocated(mount1, originals):
    """A padded 8000x8000 PNG (about 256 MB) is shared zeros (its memory:
    test_sized.c): reading it whole works and its tail is IEND."""
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    p = sz(mount1, "plasma", "8000x8000.png")
    n = rule_length("png", 8000, 8000)
    assert os.stat(p).st_size == n
    h = hashlib.md5()
    got = 0
    with open(p, "rb") as f:
        head = f.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert head[16:24] == (8000).to_bytes(4, "big") * 2
        h.update(head)
        got = len(head)
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            got += len(b)
            tail = b[-12:]
    assert got == n
    assert tail == b"\0\0\0\0IEND\xaeB`\x82"
    assert mount1.alive()


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


def test_original_size_shares_always_random(mount_factory, originals):
    m = mount_factory("-d", "--no-eager")
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), m.im)
    for fmt in FORMATS:
        with open(m.path("Images", "plasma", "always_random",
                         "plasma.%s" % fmt), "rb") as f:
            f.read()
        before = len(made_lines(m))
        p = sz(m, "plasma", "320x200.%s" % fmt)
        check(p, fmt, (320, 200), rule_length(fmt, 320, 200), opens=3)
        # the original's own size: always_random's parts, nothing new
        assert not [k for k in made_lines(m)[before:] if ":sized" in k]


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
    # a PNG cannot shrink: the lookup itself answers, with one log line
    p = sz(mount1, "plasma", "2000x2000 60KB.png")
    with pytest.raises(FileNotFoundError):
        os.stat(p)
    log = mount1.log()
    lines = [ln for ln in log.splitlines()
             if "sized/2000x2000 60000B.png: cannot be 60000 bytes" in ln]
    assert len(lines) == 1, log[-3000:]
    smallest = int(re.search(r"the smallest is (\d+) bytes", lines[0])[1])
    assert smallest > 60000
    # the smallest length is a file, one byte less is none
    check(sz(mount1, "plasma", "2000x2000 %dB.png" % smallest), "png",
          (2000, 2000), smallest, opens=3)
    with pytest.raises(FileNotFoundError):
        os.stat(sz(mount1, "plasma", "2000x2000 %dB.png" % (smallest - 1)))
    # the original's own size, a length only
    with pytest.raises(FileNotFoundError):
        os.stat(sz(mount1, "plasma", "100B.png"))
    assert "sized/100B.png: cannot be 100 bytes long" in mount1.log()
    # far too short for any quality: ENOENT at lookup too
    for fmt in ("jpeg", "webp"):
        with pytest.raises(FileNotFoundError):
            os.stat(sz(mount1, "plasma", "4000x3000 100B.%s" % fmt))
    assert mount1.alive()


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
