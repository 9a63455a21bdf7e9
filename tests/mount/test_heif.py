"""HEIC and AVIF through a real mount: grids of tiles that decoders we did
not write read (libheif's heif-convert, libavif's avifdec with dav1d,
ImageMagick built with libheif), always_random changing only the last
tile, one length for every open, and HEIC/AVIF originals made by libheif
kept byte for byte."""
import errno
import os
import shutil
import struct
import subprocess

import pytest

from images import dims, put
from rawpix import rgb

FORMATS = ("heic", "avif")
SQUARE = 16


def tiles(f, w, h):
    """(tile width, tile height, columns, rows) of the grid in file f, from
    its ispe properties: the tiles' spatial extent is the one that is not
    the picture's (one tile: the picture's own)."""
    data = open(f, "rb").read()
    sizes = set()
    at = data.find(b"ispe")
    while at >= 0:
        sizes.add(struct.unpack(">II", data[at + 8:at + 16]))
        at = data.find(b"ispe", at + 4)
    tile = [s for s in sizes if s != (w, h)]
    assert len(tile) <= 1, sizes
    tw, th = tile[0] if tile else (w + (w & 1), h + (h & 1))
    return tw, th, (w + tw - 1) // tw, (h + th - 1) // th


def path(m, stem, variant, name):
    return m.path("Images", stem, variant, name)


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, (cmd, r.stdout, r.stderr)
    return r


def copy_out(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    assert len(data) == os.stat(src).st_size
    dst.write_bytes(data)
    return data


@pytest.fixture(scope="module")
def pics(tmp_path_factory):
    """A 120x96 picture (one tile: sides under 128 are not cut) and a 1100x700
    one (a grid: 224x176 tiles, counter's box in the last)."""
    d = tmp_path_factory.mktemp("heif-originals")
    made = {}
    for name, size in (("plasma.png", "120x96"), ("wide.png", "1100x700")):
        p = str(d / name)
        subprocess.run(["convert", "-seed", "3", "-size", size,
                        "plasma:red-blue", "-depth", "8", "PNG24:" + p],
                       check=True)
        made[name] = tuple(int(v) for v in size.split("x"))
    return str(d), made


def test_listed_in_every_folder(mount1, pics):
    shutil.copy(os.path.join(pics[0], "plasma.png"), mount1.im)
    for variant in ("original", "always_random", "distinct"):
        names = os.listdir(mount1.path("Images", "plasma", variant))
        assert "plasma.heic" in names and "plasma.avif" in names
    names = os.listdir(mount1.path("Images", "plasma", "counter"))
    for fmt in FORMATS:
        assert ["plasma_%d.%s" % (i, fmt) for i in range(10)] == \
            sorted(n for n in names if n.endswith("." + fmt))


def test_decoders_we_did_not_write(mount1, pics, tmp_path):
    """heif-convert (libheif: libde265, dav1d/aom), avifdec (libavif with
    dav1d) and ImageMagick read every file: original/, always_random/
    and counter/, at one tile and in a grid."""
    for name, (w, h) in pics[1].items():
        shutil.copy(os.path.join(pics[0], name), mount1.im)
        stem = name[:-4]
        for fmt in FORMATS:
            for variant, fname in (("original", stem), ("always_random", stem),
                                   ("counter", stem + "_7")):
                src = path(mount1, stem, variant, "%s.%s" % (fname, fmt))
                f = tmp_path / ("%s-%s.%s" % (stem, variant, fmt))
                copy_out(src, f)
                out = tmp_path / ("%s-%s-%s.png" % (stem, variant, fmt))
                run("heif-convert", str(f), str(out))
                assert dims(str(out)) == (w, h)
                if fmt == "avif":
                    out2 = tmp_path / ("%s-%s-avifdec.png" % (stem, variant))
                    run("avifdec", str(f), str(out2))
                    assert dims(str(out2)) == (w, h)
                assert dims(str(f)) == (w, h)


def test_only_the_last_tile_changes(mount1, pics, tmp_path):
    shutil.copy(os.path.join(pics[0], "wide.png"), mount1.im)
    w, h = pics[1]["wide.png"]
    for fmt in FORMATS:
        o = tmp_path / ("o." + fmt)
        copy_out(path(mount1, "wide", "original", "wide." + fmt), o)
        tw, th, cols, rows = tiles(str(o), w, h)
        assert cols * rows > 1
        x0, y0 = (cols - 1) * tw, (rows - 1) * th
        _, _, po = rgb(str(o))
        changed = False
        for i in range(3):
            a = tmp_path / ("a%d.%s" % (i, fmt))
            copy_out(path(mount1, "wide", "always_random", "wide." + fmt), a)
            _, _, pa = rgb(str(a))
            for y in range(h):
                row = slice(y * w * 3, (y * w + (x0 if y >= y0 else w)) * 3)
                assert pa[row] == po[row], (fmt, y)
            # the square's pixels: the noise shows in the corner
            sq = [(y * w + x) * 3 for y in range(h - SQUARE, h)
                  for x in range(w - SQUARE, w)]
            changed |= any(pa[k:k + 3] != po[k:k + 3] for k in sq)
        assert changed, fmt


def heif_original(src, dst, *args):
    """An original made by libheif (heif-enc, libheif-examples)."""
    run("heif-enc", "-q", "60", *args, src, "-o", dst)
    with open(dst, "rb") as f:
        return f.read()


def test_heif_originals_round_trip(mount1, pics, tmp_path):
    src = os.path.join(pics[0], "plasma.png")
    for name, args in (("shot.heic", ()), ("shot2.avif", ()),
                       ("alpha.heic", ()), ("alpha.avif", ())):
        s = src
        if name.startswith("alpha"):
            s = str(tmp_path / "alpha.png")
            subprocess.run(["convert", "-size", "120x90", "xc:none", "-fill",
                            "rgba(255,0,0,0.5)", "-draw", "circle 60,45 60,5",
                            "-depth", "8", "PNG32:" + s], check=True)
        data = heif_original(s, str(tmp_path / name), *args)
        assert put(os.path.join(mount1.im, name), data) == 0
        with open(os.path.join(mount1.im, name), "rb") as f:
            assert f.read() == data
        stem = name.rsplit(".", 1)[0]
        want = dims(str(tmp_path / name))
        for fmt in ("png", "heic", "avif"):
            out = tmp_path / ("%s-out.%s" % (stem, fmt))
            copy_out(path(mount1, stem, "original", "%s.%s" % (stem, fmt)),
                     out)
            assert dims(str(out)) == want


def children(data, start, end):
    """(offset, size, type) of the boxes in data[start:end]."""
    i = start
    while i < end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        assert size >= 8
        yield i, size, kind
        i += size


def box(kind, body):
    return struct.pack(">I4s", 8 + len(body), kind) + body


def with_irot(data, angle):
    """libheif's file of one image with an irot property (angle * 90
    degrees anticlockwise) on its primary item: the ipco and ipma of
    meta grow, and iloc's offsets into the mdat after it move along."""
    top = {k: (i, n) for i, n, k in children(data, 0, len(data))}
    mi, mn = top[b"meta"]
    assert mi < top[b"mdat"][0]
    meta = {k: (i, n) for i, n, k in children(data, mi + 12, mi + mn)}
    pi, _ = meta[b"pitm"]
    assert data[pi + 8] == 0
    primary = struct.unpack(">H", data[pi + 12:pi + 14])[0]
    ri, rn = meta[b"iprp"]
    iprp = {k: (i, n) for i, n, k in children(data, ri + 8, ri + rn)}
    ci, cn = iprp[b"ipco"]
    nprops = len(list(children(data, ci + 8, ci + cn)))
    ipco = box(b"ipco", data[ci + 8:ci + cn] + box(b"irot", bytes([angle])))
    ai, an = iprp[b"ipma"]
    ver, flags = data[ai + 8], int.from_bytes(data[ai + 9:ai + 12], "big")
    assert ver == 0 and not flags & 1
    k = ai + 12
    count = struct.unpack(">I", data[k:k + 4])[0]
    k += 4
    body = data[ai + 8:ai + 16]
    for _ in range(count):
        item, n = struct.unpack(">HB", data[k:k + 3])
        assoc = data[k + 3:k + 3 + n]
        if item == primary:
            assoc += bytes([nprops + 1])
        body += struct.pack(">HB", item, len(assoc)) + assoc
        k += 3 + n
    iprp_new = box(b"iprp", ipco + box(b"ipma", body))
    meta_body = bytearray(data[mi + 8:ri] + iprp_new + data[ri + rn:mi + mn])
    delta = len(meta_body) + 8 - mn
    # iloc (version 0 or 1): move each item's base offset, or each of
    # its extents' offsets when it has none
    lo = meta[b"iloc"][0] - (mi + 8)
    if lo > ri - (mi + 8):
        lo += len(iprp_new) - rn
    ver, sizes = meta_body[lo + 8], meta_body[lo + 12]
    osz, lsz, bsz = sizes >> 4, sizes & 15, meta_body[lo + 13] >> 4
    assert ver in (0, 1) and osz == 4 and bsz in (0, 4)

    def move(k):
        off = struct.unpack(">I", meta_body[k:k + 4])[0]
        meta_body[k:k + 4] = struct.pack(">I", off + delta)
    k = lo + 14
    items = struct.unpack(">H", meta_body[k:k + 2])[0]
    k += 2
    for _ in range(items):
        k += 2 + (2 if ver == 1 else 0) + 2
        if bsz:
            move(k)
            k += 4
        ext = struct.unpack(">H", meta_body[k:k + 2])[0]
        k += 2
        for _ in range(ext):
            if not bsz:
                move(k)
            k += 4 + lsz
    return data[:mi] + box(b"meta", bytes(meta_body)) + data[mi + mn:]


def test_rotated_original_is_upright(mount1, pics, tmp_path):
    """HEIC and AVIF originals whose irot turns them a quarter show
    upright: their sides swapped, as libheif shows them."""
    src = os.path.join(pics[0], "plasma.png")
    for fmt in FORMATS:
        flat = heif_original(src, str(tmp_path / ("flat." + fmt)))
        rot = tmp_path / ("rot." + fmt)
        rot.write_bytes(with_irot(flat, 1))
        assert "image: 96x120" in run("heif-info", str(rot)).stdout
        name = "rot-%s.%s" % (fmt, fmt)
        assert put(os.path.join(mount1.im, name), rot.read_bytes()) == 0
        out = tmp_path / ("rot-%s.png" % fmt)
        copy_out(path(mount1, "rot-" + fmt, "original",
                      "rot-%s.png" % fmt), out)
        assert dims(str(out)) == (96, 120)
        # and the same pixels as libheif's own upright decode
        ref = tmp_path / ("ref-%s.png" % fmt)
        run("heif-convert", str(rot), str(ref))
        assert rgb(str(out))[2] == rgb(str(ref))[2]


def test_broken_heif_refused(mount1, pics, tmp_path):
    data = heif_original(os.path.join(pics[0], "plasma.png"),
                         str(tmp_path / "ok.heic"))
    assert put(os.path.join(mount1.im, "cut.heic"),
               data[:len(data) // 2]) == errno.EINVAL
    assert not os.path.exists(os.path.join(mount1.im, "cut.heic"))
    assert put(os.path.join(mount1.im, "ok.heic"), data) == 0
    assert os.path.isdir(mount1.path("Images", "ok"))
