"""Test originals, made by the tests themselves with ImageMagick and cwebp
(plus one real photo when Debian's mate-backgrounds is installed)."""
import os
import subprocess

PHOTO = "/usr/share/backgrounds/mate/nature/FreshFlower.jpg"

# The output formats, in the order of encode.h's enum: every Images file
# of original/, always_random/, counter/ and distinct/ is one of these.
FORMATS = ("png", "jpeg", "webp", "heic", "avif", "gif", "bmp", "tiff")
# An original's variant folders, in listing order (mint_variants[]), and
# how many files each lists.
VARIANT_FILES = {"original": len(FORMATS), "always_random": len(FORMATS),
                 "counter": 10 * len(FORMATS), "exif": 27, "broken": 10,
                 "animated": 2, "distinct": len(FORMATS)}
VARIANTS = list(VARIANT_FILES)
# What an original's Images folder lists besides the variants: sized/,
# whose names are typed (sizedir.c); a walk of all of Images skips it,
# since a stat there may make an 8000x8000 picture.
EXTRA_FOLDERS = ["sized"]
FOLDER_ENTRIES = VARIANTS + EXTRA_FOLDERS
# Folders whose files are new on every open; every other one is made once
# and kept in the memory and disk caches (the variants' flags).
PER_OPEN = {"always_random", "distinct"}
CACHED = [v for v in VARIANTS if v not in PER_OPEN]
# Folders whose files are made not to decode (docs/TEST_CASES.md): the one
# rule every test that decodes Images files follows.
UNDECODABLE = {"broken"}
# exif/ and animated/ pictures: the longer side at most this (scaled.h).
CASES_MAX_SIDE = 1024


def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def make_all(d):
    """Write the test originals into directory d; returns {name: (w, h)}."""
    made = {}

    def im(name, w, h, *args):
        run("convert", *args, os.path.join(d, name))
        made[name] = (w, h)

    im("plasma.jpg", 320, 200, "-size", "320x200", "plasma:red-blue",
       "-quality", "90")
    im("gray.jpg", 97, 61, "-size", "97x61", "gradient:", "-colorspace",
       "Gray", "-type", "Grayscale")
    im("rgba.png", 120, 90, "-size", "120x90", "xc:none", "-fill",
       "rgba(255,0,0,0.5)", "-draw", "circle 60,45 60,5", "-depth", "8",
       "-define", "png:color-type=6")
    im("palette.png", 64, 48, "-size", "64x48", "gradient:red-yellow",
       "-colors", "16", "-type", "Palette")
    im("deep.png", 50, 40, "-size", "50x40", "gradient:blue-green",
       "-depth", "16")
    im("interlaced.png", 70, 33, "-size", "70x33", "plasma:", "-interlace",
       "PNG")
    im("graya.png", 40, 30, "-size", "40x30", "gradient:", "-alpha", "set",
       "-channel", "A", "-evaluate", "set", "50%", "+channel",
       "-type", "GrayscaleAlpha")
    run("convert", "-size", "150x100", "plasma:green-yellow",
        os.path.join(d, "src-webp.png"))
    run("cwebp", "-quiet", "-q", "80", os.path.join(d, "src-webp.png"),
        "-o", os.path.join(d, "lossy.webp"))
    made["lossy.webp"] = (150, 100)
    run("cwebp", "-quiet", "-lossless", os.path.join(d, "rgba.png"),
        "-o", os.path.join(d, "lossless-alpha.webp"))
    made["lossless-alpha.webp"] = (120, 90)
    os.unlink(os.path.join(d, "src-webp.png"))
    # GIF (its first frame), BMP and TIFF originals
    im("frames.gif", 60, 40, "-size", "60x40", "plasma:", "-size", "60x40",
       "xc:blue", "-loop", "0")
    im("scan.bmp", 71, 45, "-size", "71x45", "gradient:white-navy",
       "-type", "TrueColor")
    im("office.tiff", 66, 50, "-size", "66x50", "plasma:orange-purple",
       "-compress", "LZW")
    if os.path.exists(PHOTO):
        run("convert", PHOTO, "-resize", "800x", os.path.join(d, "photo.jpg"))
        made["photo.jpg"] = tuple(int(x) for x in subprocess.run(
            ["identify", "-format", "%w %h", os.path.join(d, "photo.jpg")],
            check=True, capture_output=True, text=True).stdout.split())
    return made


def dims(path):
    """(width, height) as ImageMagick's identify reads the file."""
    out = subprocess.run(["identify", "-format", "%w %h\n", path],
                         check=True, capture_output=True, text=True).stdout
    w, h = out.split("\n")[0].split()
    return int(w), int(h)


def shown_dims(variant, path, wh):
    """(width, height) a decoder shows for `path` in `variant` made from a
    w x h original, and what ImageMagick shows of its first frame, with
    the EXIF orientation applied (PIL reads it in every format)."""
    from PIL import Image
    w, h = wh
    if variant in ("exif", "animated") and max(w, h) > CASES_MAX_SIDE:
        if w >= h:
            w, h = CASES_MAX_SIDE, (h * CASES_MAX_SIDE + w // 2) // w
        else:
            w, h = (w * CASES_MAX_SIDE + h // 2) // h, CASES_MAX_SIDE
    sw, sh = dims(path + "[0]")
    o = 1   # our HEIC and AVIF files carry no EXIF, and PIL reads neither
    if not path.endswith((".heic", ".avif")):
        with Image.open(path) as im:
            o = im.getexif().get(0x0112, 1)
    return ((sh, sw) if o in (5, 6, 7, 8) else (sw, sh)), (w, h)


def stem(name):
    i = name.rfind(".")
    return name[:i] if i > 0 else name


def put(path, data, step=1 << 16):
    """Write data to a new or replaced file as a program would: 0, or the
    errno of the open, write or close that failed (close is what reports
    a refused original)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as e:
        return e.errno
    try:
        for off in range(0, len(data), step):
            os.write(fd, data[off:off + step])
    except OSError as e:
        try:
            os.close(fd)
        except OSError:
            pass
        return e.errno
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return 0


def file_stem(folder):
    """The part of an Images folder name its files are named after: at
    most 223 bytes, cut before a character (names.h)."""
    b = folder.encode("utf-8", "surrogateescape")
    if len(b) <= 223:
        return folder
    cut = 223
    while cut > 220 and b[cut] & 0xC0 == 0x80:
        cut -= 1
    if b[cut] & 0xC0 != 0xC0:
        cut = 223
    return b[:cut].decode("utf-8", "surrogateescape")


def wait_until(cond, what, timeout=10):
    """Poll cond() until true: for what the kernel does after close()
    returns (the RELEASE that commits a file nothing was written to)."""
    import time
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)
