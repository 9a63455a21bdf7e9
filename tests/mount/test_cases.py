"""exif/, broken/ and animated/ (docs/TEST_CASES.md), read by real
decoders: exiftool shows the tags, ImageMagick's -auto-orient and PIL's
exif_transpose show every orientation upright; libjpeg-turbo (djpeg),
libpng (through ImageMagick, and pngcheck), libwebp (dwebp), ImageMagick
and PIL refuse each broken file with an error, never a crash; the
animations have ten one-second frames that loop and count 0 to 9. The
files are the same bytes on every read and in another mount."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageOps

from images import run, shown_dims

W, H = 320, 200


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    """A picture no flip or turn maps onto itself: plasma with a red block
    top-left and a blue one bottom-right of another size."""
    d = tmp_path_factory.mktemp("src")
    p = str(d / "pic.jpg")
    run("convert", "-size", "%dx%d" % (W, H), "plasma:green-yellow",
        "-seed", "3", "-fill", "red", "-draw", "rectangle 0,0 90,40",
        "-fill", "blue", "-draw", "rectangle 280,150 319,199", "-quality",
        "92", p)
    return p


@pytest.fixture
def pic(mount1, src):
    shutil.copy(src, mount1.im)
    return mount1


def folder(m, variant):
    return os.path.join(m.images, "pic", variant)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def rgb(im):
    return np.asarray(im.convert("RGB"), dtype=np.int16)


def test_listings(pic):
    exif = ["pic_orientation_%d.%s" % (o, f) for f in ("jpeg", "png", "webp")
            for o in range(1, 9)] + ["pic_gps.%s" % f
                                     for f in ("jpeg", "png", "webp")]
    broken = ["pic_truncated.jpeg", "pic_truncated.png", "pic_truncated.webp",
              "pic_bad_crc.png", "pic_no_eoi.jpeg", "pic_png_bytes.jpeg",
              "pic_jpeg_bytes.png", "pic_empty.png",
              "pic_decompression_bomb.png", "pic_65500x65500.jpeg"]
    want = {"exif": exif, "broken": broken,
            "animated": ["pic.gif", "pic.webp"]}
    inodes = set()
    for v, names in want.items():
        d = folder(pic, v)
        assert sorted(os.listdir(d)) == sorted(names), v
        for n in names:
            p = os.path.join(d, n)
            st = os.stat(p)
            assert st.st_size == len(read(p)), p
            inodes.add(st.st_ino)
    assert len(inodes) == sum(len(n) for n in want.values())
    # a name that is not listed is not there
    for v, n in (("exif", "pic_orientation_9.jpeg"), ("broken", "pic.png"),
                 ("animated", "pic.png"), ("animated", "pic_0.gif")):
        assert not os.path.exists(os.path.join(folder(pic, v), n))


def test_exif_tags(pic):
    d = folder(pic, "exif")
    names = sorted(os.listdir(d))
    out = subprocess.run(["exiftool", "-j", "-n", "-Orientation",
                          "-GPSLatitude", "-GPSLongitude", "-Make", "-Model",
                          "-DateTimeOriginal", "-ThumbnailImage"] +
                         [os.path.join(d, n) for n in names],
                         check=True, capture_output=True, text=True).stdout
    tags = {os.path.basename(t["SourceFile"]): t for t in json.loads(out)}
    assert sorted(tags) == names
    for n, t in tags.items():
        if "_gps." in n:
            assert t["Orientation"] == 1, n
            assert abs(t["GPSLatitude"] - 48.8582) < 0.001, n
            assert abs(t["GPSLongitude"] - 2.2945) < 0.001, n
            assert t["Make"] and t["Model"], n
            assert t["DateTimeOriginal"] == "2024:06:01 12:34:56", n
            assert "ThumbnailImage" in t, n
        else:
            o = int(n.split("_orientation_")[1].split(".")[0])
            assert t["Orientation"] == o, n
            assert "GPSLatitude" not in t and "Make" not in t, n


def test_exif_upright(pic):
    """Every file upright where the tag is applied (PIL, any format;
    ImageMagick -auto-orient, JPEG) and, but for orientation 1, not where
    it is ignored."""
    up = rgb(Image.open(os.path.join(folder(pic, "original"), "pic.png")))
    d = folder(pic, "exif")
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        with Image.open(p) as im:
            raw = rgb(im)
            shown = rgb(ImageOps.exif_transpose(im))
        assert shown.shape == up.shape, n
        assert np.abs(shown - up).mean() < 6, n
        o = 1 if "_gps." in n else int(n.split("_")[-1].split(".")[0])
        if o == 1:
            assert raw.shape == up.shape
        elif raw.shape == up.shape:
            assert np.abs(raw - up).mean() > 20, n
        if n.endswith(".jpeg"):
            ppm = subprocess.run(["convert", p, "-auto-orient", "ppm:-"],
                                 check=True, capture_output=True).stdout
            im = Image.open(__import__("io").BytesIO(ppm))
            assert np.abs(rgb(im) - up).mean() < 6, n


def decode(cmd, timeout=60):
    """Run a decoder: its exit status (negative: killed by a signal) and
    stderr."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stderr


def pil_error(p):
    try:
        with Image.open(p) as im:
            im.load()
    except Exception as e:      # what PIL raises is the point
        return type(e).__name__
    return None


def test_broken_refused(pic):
    d = folder(pic, "broken")
    f = lambda n: os.path.join(d, "pic_" + n)     # noqa: E731
    orig = {e: read(os.path.join(folder(pic, "original"), "pic." + e))
            for e in ("png", "jpeg", "webp")}
    for e in ("jpeg", "png", "webp"):
        assert read(f("truncated." + e)) == orig[e][:len(orig[e]) // 2]
    assert read(f("png_bytes.jpeg")) == orig["png"]
    assert read(f("jpeg_bytes.png")) == orig["jpeg"]
    assert read(f("no_eoi.jpeg")) == orig["jpeg"][:-2]
    assert os.path.getsize(f("empty.png")) == 0
    bomb = os.path.getsize(f("decompression_bomb.png"))
    assert bomb < 1 << 20

    # libjpeg-turbo: an error, or the warning of data that ends early
    for n, why in (("truncated.jpeg", "Premature end"),
                   ("no_eoi.jpeg", "Premature end"),
                   ("png_bytes.jpeg", "Not a JPEG file"),
                   ("empty.png", "Empty input")):
        rc, err = decode(["djpeg", "-outfile", os.devnull, f(n)])
        assert rc > 0 and why in err, (n, rc, err)
    # libpng, through ImageMagick's PNG coder
    for n in ("truncated.png", "bad_crc.png", "empty.png", "jpeg_bytes.png"):
        rc, err = decode(["convert", "png:" + f(n), "ppm:" + os.devnull])
        assert rc > 0 and err, (n, rc, err)
    rc, out = decode(["pngcheck", f("bad_crc.png")])
    assert rc > 0
    # libwebp
    for n in ("truncated.webp", "empty.png", "png_bytes.jpeg"):
        rc, err = decode(["dwebp", "-quiet", f(n), "-o", os.devnull])
        assert rc > 0, (n, rc, err)
    # ImageMagick refuses the huge ones before allocating (its policy);
    # every broken file leaves it with an error or a warning, but the
    # misnamed ones, which it reads by their bytes, as a careful pipeline
    # does
    for n in ("decompression_bomb.png", "65500x65500.jpeg"):
        rc, err = decode(["convert", f(n), "ppm:" + os.devnull])
        assert rc > 0 and err, (n, rc, err)
    for n in os.listdir(d):
        rc, err = decode(["convert", os.path.join(d, n),
                          "ppm:" + os.devnull])
        if "_bytes." in n:
            assert rc == 0, (n, rc, err)
        else:
            assert rc >= 0 and (rc > 0 or err), (n, rc, err)
    # what they declare, read from the headers alone
    out = subprocess.run(["identify", "-ping", "-format", "%w %h",
                          f("65500x65500.jpeg")], capture_output=True,
                         text=True, timeout=60).stdout
    assert out == "65500 65500"
    out = subprocess.run(["pngcheck", f("decompression_bomb.png")],
                         capture_output=True, text=True, timeout=60).stdout
    assert "50000x50000" in out and "OK" in out, out
    # PIL: every one refused, the huge ones as bombs; the misnamed ones
    # are their real format whatever the name says. A JPEG missing only
    # its EOI is not here: libjpeg has every MCU by then and only warns
    # (djpeg's "Premature end" above), and whether PIL then raises depends
    # on where its 64 KiB reads end in the file.
    for n in ("truncated.jpeg", "truncated.png", "truncated.webp",
              "bad_crc.png", "empty.png"):
        assert pil_error(f(n)), n
    for n in ("decompression_bomb.png", "65500x65500.jpeg"):
        assert pil_error(f(n)) == "DecompressionBombError", n
    assert Image.open(f("png_bytes.jpeg")).format == "PNG"
    assert Image.open(f("jpeg_bytes.png")).format == "JPEG"


def frames(p):
    """[(duration ms, RGB array)] of every frame, and the loop count."""
    out = []
    with Image.open(p) as im:
        loop = im.info.get("loop")
        for i in range(im.n_frames):
            im.seek(i)
            a = rgb(im)         # PIL's WebP sets the duration on load
            out.append((im.info.get("duration"), a))
    return out, loop


def test_animated(pic):
    up = rgb(Image.open(os.path.join(folder(pic, "original"), "pic.png")))
    box = os.path.join(folder(pic, "counter"), "pic_%d.png")
    for ext in ("gif", "webp"):
        fr, loop = frames(os.path.join(folder(pic, "animated"), "pic." + ext))
        assert loop == 0, ext
        assert len(fr) == 10, ext
        for i, (ms, a) in enumerate(fr):
            assert ms == 1000, (ext, i, ms)
            assert a.shape == up.shape, ext
            # frame i is counter/'s copy i, in colours GIF or WebP can hold
            c = rgb(Image.open(box % i))
            assert np.abs(a - c).mean() < 12, (ext, i)
            # the digits differ in the bottom-right corner
            for j in range(i):
                assert np.abs(a[-40:, -40:] -
                              fr[j][1][-40:, -40:]).max() > 60
    out = subprocess.run(["webpmux", "-info",
                          os.path.join(folder(pic, "animated"), "pic.webp")],
                         check=True, capture_output=True, text=True).stdout
    assert "Number of frames: 10" in out and "Loop Count : 0" in out, out
    out = subprocess.run(["identify", "-format", "%T ",
                          os.path.join(folder(pic, "animated"), "pic.gif")],
                         check=True, capture_output=True, text=True).stdout
    assert out.split() == ["100"] * 10


def test_same_bytes_everywhere(mount_factory, src):
    """Made twice by two mintfs processes on two stores, and read twice:
    the same bytes (cached on disk, so they must not depend on the run)."""
    got = []
    for name in ("a", "b"):
        m = mount_factory(name=name)
        shutil.copy(src, m.im)
        files = {}
        for v in ("exif", "broken", "animated"):
            for n in sorted(os.listdir(folder(m, v))):
                p = os.path.join(folder(m, v), n)
                files[(v, n)] = read(p)
                assert read(p) == files[(v, n)]
        got.append(files)
    assert got[0] == got[1]


@pytest.mark.parametrize("w,h", [(1, 1), (5, 7), (1500, 90)])
def test_tiny_and_wide(mount1, tmp_path, w, h):
    """A 1x1, a 5x7 and a 1500x90 original (scaled to 1024 wide): every
    exif/ and animated/ file decodes, upright, at the size it should."""
    p = str(tmp_path / "t.png")
    run("convert", "-size", "%dx%d" % (w, h), "gradient:red-blue", p)
    shutil.copy(p, mount1.im)
    for v in ("exif", "animated"):
        d = os.path.join(mount1.images, "t", v)
        for n in sorted(os.listdir(d)):
            shown, want = shown_dims(v, os.path.join(d, n), (w, h))
            assert shown == want, (v, n, shown, want)
            with Image.open(os.path.join(d, n)) as im:
                im.load()
