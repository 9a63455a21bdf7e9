"""Hostile and odd input: truncated, corrupt and bomb images, odd formats,
tiny, empty and huge files, bad text, odd names, and bit rot in the store.

Every file gets a correct output or a clear error at commit (close fails
with the documented errno, quickly, with exactly one log line naming it),
and the filesystem keeps answering. The test files are made here, from
ImageMagick, cwebp and img2webp output, patched by hand where needed.
"""
import errno
import os
import sqlite3
import struct
import subprocess
import time
import zlib

import pytest

from images import dims, file_stem, put, wait_until
from rawpix import rgb

FORMATS = ("png", "jpeg", "webp")
QUICK = 5.0     # seconds a refusal may take, even under ASan


def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))


def png_bomb(w, h):
    """A PNG whose IHDR (with a valid CRC) claims w x h RGB pixels."""
    row = b"\0" + b"\0" * 3 * 16
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(row * 16)) + chunk(b"IEND", b""))


def jpeg_patch_size(data, w, h):
    """The JPEG with its SOF0/SOF2 header claiming w x h."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        i = data.find(marker)
        if i > 0:
            return (data[:i + 5] + struct.pack(">HH", h, w) +
                    data[i + 9:])
    raise AssertionError("no SOF marker")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every test file, made once: {name: bytes}."""
    d = str(tmp_path_factory.mktemp("hostile"))

    def path(n):
        return os.path.join(d, n)

    run("convert", "-size", "160x120", "plasma:red-blue", "-quality", "90",
        path("plasma.jpg"))
    run("convert", "-size", "160x120", "plasma:green-yellow",
        path("plasma.png"))
    run("cwebp", "-quiet", "-q", "80", path("plasma.png"), "-o",
        path("plasma.webp"))
    run("convert", path("plasma.jpg"), "-colorspace", "CMYK",
        path("cmyk.jpg"))
    run("convert", path("plasma.png"), "-interlace", "JPEG",
        path("progressive.jpg"))
    run("convert", "-size", "50x40", "gradient:blue-green", "-depth", "16",
        path("deep.png"))
    run("convert", "-size", "64x48", "gradient:red-yellow", "-colors", "16",
        "-type", "Palette", path("palette.png"))
    run("convert", "-size", "40x30", "gradient:", "-alpha", "set",
        "-channel", "A", "-evaluate", "set", "50%", "+channel", "-type",
        "GrayscaleAlpha", path("graya.png"))
    run("convert", "-size", "70x33", "plasma:", "-interlace", "PNG",
        path("interlaced.png"))
    run("convert", "-size", "1x1", "xc:red", path("one.png"))
    run("convert", "-size", "5x7", "xc:blue", "-quality", "95",
        path("tiny.jpg"))
    run("convert", "-size", "15x15", "xc:green", path("small.png"))
    run("cwebp", "-quiet", "-lossless", path("small.png"), "-o",
        path("small.webp"))
    run("convert", "-size", "32x32", "xc:red", path("f1.png"))
    run("convert", "-size", "32x32", "xc:blue", path("f2.png"))
    run("img2webp", "-loop", "0", "-lossless", path("f1.png"),
        path("f2.png"), "-o", path("anim.webp"))
    out = {n: read(path(n)) for n in os.listdir(d)}
    png, jpg, webp = out["plasma.png"], out["plasma.jpg"], out["plasma.webp"]

    corrupt_png = bytearray(png)        # IDAT bytes changed: CRC error
    i = png.find(b"IDAT") + 40
    corrupt_png[i:i + 16] = b"\x55" * 16
    out["corrupt.png"] = bytes(corrupt_png)
    out["truncated.png"] = png[:len(png) // 2]
    out["corrupt.jpg"] = jpeg_patch_size(jpg, 0, 0)     # empty image
    out["truncated.jpg"] = jpg[:len(jpg) // 2]
    corrupt_webp = bytearray(webp)      # the VP8 frame start code broken
    i = webp.find(b"\x9d\x01\x2a")
    assert i > 0
    corrupt_webp[i:i + 3] = b"\0\0\0"
    out["corrupt.webp"] = bytes(corrupt_webp)
    out["truncated.webp"] = webp[:len(webp) // 2]
    out["bomb.png"] = png_bomb(100000, 100000)
    out["bomb.jpg"] = jpeg_patch_size(jpg, 60000, 60000)
    out["bad-utf8.txt"] = b"caf\xc3\xa9 ok, then \xff\xfe broken\n"
    return out


def answers(m):
    """The filesystem is up and answers the next request."""
    assert sorted(os.listdir(m.mnt)) == ["Image Manager", "Images"]
    with open(os.path.join(m.im, "probe.txt"), "w") as f:
        f.write("still here")
    assert read(os.path.join(m.im, "probe.txt")) == b"still here"
    assert "probe" in os.listdir(m.images)
    os.unlink(os.path.join(m.im, "probe.txt"))
    assert m.alive()


def log_lines(m, name):
    return [ln for ln in m.log().splitlines() if name in ln]


REFUSED = [
    ("truncated.png", errno.EINVAL), ("corrupt.png", errno.EINVAL),
    ("truncated.jpg", errno.EINVAL), ("corrupt.jpg", errno.EINVAL),
    ("truncated.webp", errno.EINVAL), ("corrupt.webp", errno.EINVAL),
    ("bomb.png", errno.EFBIG), ("bomb.jpg", errno.EFBIG),
    ("anim.webp", errno.EINVAL), ("bad-utf8.txt", errno.EINVAL),
]


def test_refused_at_close(mount1, made):
    m = mount1
    for name, want in REFUSED:
        t0 = time.monotonic()
        got = put(os.path.join(m.im, name), made[name])
        took = time.monotonic() - t0
        assert got == want, "%s: %s" % (name, os.strerror(got))
        assert took < QUICK, "%s took %.1f s" % (name, took)
        assert name not in os.listdir(m.im)
        assert name.rsplit(".", 1)[0] not in os.listdir(m.images)
        assert len(log_lines(m, name)) == 1, (name, log_lines(m, name))
        assert os.listdir(os.path.join(m.store, "staging")) == []
        answers(m)
    # over an existing original: refused, the old bytes stay
    good = os.path.join(m.im, "keep.png")
    assert put(good, made["plasma.png"]) == 0
    assert put(good, made["bomb.png"]) == errno.EFBIG
    assert read(good) == made["plasma.png"]
    assert dims(os.path.join(m.images, "keep", "original", "keep.webp")) \
        == (160, 120)
    answers(m)


def test_content_decides_not_the_name(mount1, made):
    m = mount1
    assert put(os.path.join(m.im, "photo.png"), made["plasma.jpg"]) == 0
    for fmt in FORMATS:
        p = os.path.join(m.images, "photo", "original", "photo." + fmt)
        assert dims(p) == (160, 120)
    answers(m)


ODD_FORMATS = {"deep.png": (50, 40), "palette.png": (64, 48),
               "graya.png": (40, 30), "interlaced.png": (70, 33),
               "cmyk.jpg": (160, 120), "progressive.jpg": (160, 120)}


def test_odd_formats(mount1, made, tmp_path):
    m = mount1
    for name, wh in ODD_FORMATS.items():
        assert put(os.path.join(m.im, name), made[name]) == 0, name
        stem = name.rsplit(".", 1)[0]
        for fmt in FORMATS:
            for var, f in (("original", stem), ("always_random", stem),
                           ("counter", stem + "_3")):
                p = os.path.join(m.images, stem, var, "%s.%s" % (f, fmt))
                out = tmp_path / ("%s-%s.%s" % (stem, var, fmt))
                out.write_bytes(read(p))
                assert dims(str(out)) == wh, p
    answers(m)


def test_cmyk_colours_survive(mount1, made, tmp_path):
    """CMYK converted back to RGB, not inverted: close to the RGB file."""
    m = mount1
    assert put(os.path.join(m.im, "cmyk.jpg"), made["cmyk.jpg"]) == 0
    ref = tmp_path / "plasma.jpg"
    ref.write_bytes(made["plasma.jpg"])
    w, h, want = rgb(str(ref))
    got = rgb(os.path.join(m.images, "cmyk", "original", "cmyk.png"))
    assert got[:2] == (w, h)
    diff = sum(abs(a - b) for a, b in zip(got[2], want)) / len(want)
    assert diff < 16, diff      # inverted would be about 128 away


TINY = {"one.png": (1, 1), "tiny.jpg": (5, 7), "small.webp": (15, 15)}


def test_tiny_images(mount1, made, tmp_path):
    m = mount1
    for name, wh in TINY.items():
        assert put(os.path.join(m.im, name), made[name]) == 0, name
        stem = name.rsplit(".", 1)[0]
        for fmt in FORMATS:
            seen = set()
            for var, f in (("original", stem), ("always_random", stem),
                           ("always_random", stem), ("counter", stem + "_0"),
                           ("counter", stem + "_9")):
                p = os.path.join(m.images, stem, var, "%s.%s" % (f, fmt))
                data = read(p)
                assert len(data) == os.stat(p).st_size, p
                out = tmp_path / ("x." + fmt)
                out.write_bytes(data)
                assert dims(str(out)) == wh, p
                seen.add(data)
            assert len(seen) >= 3      # always_random differs per open
    answers(m)


def test_zero_byte_file_is_empty_text(mount1):
    """Accepted, as empty text: a black 800x600 page. An empty file named
    like an image (what a failed copy leaves) stays in Image Manager but
    gets no folder (docs/ARCHITECTURE.md)."""
    m = mount1
    for name in ("empty.png", "void.txt"):
        assert put(os.path.join(m.im, name), b"") == 0
        assert os.stat(os.path.join(m.im, name)).st_size == 0
    assert sorted(os.listdir(m.im)) == ["empty.png", "void.txt"]
    # nothing was written: the commit is the RELEASE after close() returns
    wait_until(lambda: os.listdir(m.images) == ["void"], "Images/void")
    for fmt in FORMATS:
        p = os.path.join(m.images, "void", "original", "void." + fmt)
        assert dims(p) == (800, 600)
        out = subprocess.run(["convert", p, "-format", "%[fx:maxima]",
                              "info:"], capture_output=True, text=True,
                             check=True).stdout
        assert float(out) < 0.05, fmt      # black (JPEG/WebP: nearly)
    assert dims(os.path.join(m.images, "void", "counter", "void_1.webp")) \
        == (800, 600)
    answers(m)


def test_fifty_megabyte_text(mount1):
    m = mount1
    line = b"The quick brown fox jumps over the lazy dog. 0123456789\n"
    data = line * (50 * 1000 * 1000 // len(line) + 1)
    assert len(data) > 50 * 1000 * 1000
    t0 = time.monotonic()
    assert put(os.path.join(m.im, "big.txt"), data) == 0
    took = time.monotonic() - t0
    assert os.stat(os.path.join(m.im, "big.txt")).st_size == len(data)
    assert dims(os.path.join(m.images, "big", "original", "big.png")) == \
        (800, 600)
    assert time.monotonic() - t0 < 60, "50 MB of text took %.1f s" % took
    print("50 MB text: committed in %.1f s" % took)
    answers(m)


ODD_NAMES = ["with spaces.png", "new\nline.png", "\u00fcnic\u00f8d\u00e9 "
             "\u732b.png", "x" * 251 + ".png"]


def test_odd_names(mount1, made):
    m = mount1
    for name in ODD_NAMES:
        assert len(name.encode()) <= 255
        assert put(os.path.join(m.im, name), made["plasma.png"]) == 0, name
    assert sorted(os.listdir(m.im)) == sorted(ODD_NAMES)
    for name in ODD_NAMES:
        stem = name[:-4]
        assert dims(os.path.join(m.images, stem, "original",
                                 file_stem(stem) + ".png")) == (160, 120)
    assert put(os.path.join(m.im, "y" * 256), made["plasma.png"]) \
        == errno.ENAMETOOLONG
    m.restart()
    assert sorted(os.listdir(m.im)) == sorted(ODD_NAMES)
    for name in ODD_NAMES:
        assert read(os.path.join(m.im, name)) == made["plasma.png"]
    answers(m)


def blob_of(m, name):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(m.store,
                                                         "catalog.db"),
                         uri=True)
    try:
        (h,) = db.execute("SELECT hash FROM originals WHERE name = ?",
                          (name,)).fetchone()
    finally:
        db.close()
    return os.path.join(m.store, "blobs", h[:2], h)


def flip(path, off):
    os.chmod(path, 0o600)
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0xff]))


def assert_eio(m, stem):
    for fmt in FORMATS:
        with pytest.raises(OSError) as e:
            read(os.path.join(m.images, stem, "original",
                              "%s.%s" % (stem, fmt)))
        assert e.value.errno == errno.EIO, fmt


def test_bit_rot(mount_factory, made):
    # Eager work off: with it, every Images file is made at commit and
    # kept in the disk cache, and those bytes (made before the damage)
    # are served without reading the blob again. This is about the blob.
    m = mount_factory("--no-eager")
    for n in ("rot.png", "fine.jpg", "later.webp"):
        src = {"rot.png": "plasma.png", "fine.jpg": "plasma.jpg",
               "later.webp": "plasma.webp"}[n]
        assert put(os.path.join(m.im, n), made[src]) == 0
    # between mounts: the cache cannot hide it after a remount
    m.stop()
    flip(blob_of(m, "rot.png"), 100)
    m.start()
    assert_eio(m, "rot")
    assert "damaged" in m.log()
    # Image Manager refuses the damaged bytes too, at open
    with pytest.raises(OSError) as e:
        read(os.path.join(m.im, "rot.png"))
    assert e.value.errno == errno.EIO
    assert os.stat(os.path.join(m.im, "rot.png")).st_size == \
        len(made["plasma.png"])
    # while mounted, on a blob this mount has not read yet
    flip(blob_of(m, "later.webp"), 60)
    assert_eio(m, "later")
    with pytest.raises(OSError) as e:
        read(os.path.join(m.im, "later.webp"))
    assert e.value.errno == errno.EIO
    # the others still read fine, and the filesystem answers
    for fmt in FORMATS:
        p = os.path.join(m.images, "fine", "original", "fine." + fmt)
        assert dims(p) == (160, 120)
    assert read(os.path.join(m.im, "fine.jpg")) == made["plasma.jpg"]
    answers(m)


def test_refusals_say_what_is_wrong(mount1):
    """A text with NUL bytes is not called "not UTF-8": the log says what
    is wrong with each refused file."""
    m = mount1
    assert put(os.path.join(m.im, "nul.txt"), b"two\0words") == errno.EINVAL
    assert put(os.path.join(m.im, "latin1.txt"), b"caf\xe9") == errno.EINVAL
    (nul,) = log_lines(m, "nul.txt")
    assert "NUL bytes" in nul and "UTF-8" not in nul, nul
    (latin1,) = log_lines(m, "latin1.txt")
    assert "not valid UTF-8" in latin1, latin1
    assert os.listdir(m.im) == []
