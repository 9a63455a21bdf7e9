"""always_random: a new valid image on every open, fixed per handle, with a
true size, made through a real mount."""
import concurrent.futures
import hashlib
import os
import shutil
import subprocess

import pytest

from images import FORMATS as ALL_FORMATS, dims, make_all
from rawpix import differing, rgb

FORMATS = ("png", "jpeg", "webp")


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def ar(m, stem, fmt):
    return m.path("Images", stem, "always_random", "%s.%s" % (stem, fmt))


def og(m, stem, fmt):
    return m.path("Images", stem, "original", "%s.%s" % (stem, fmt))


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def test_listing_and_sizes(mount, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount.im)
    d = mount.path("Images", "plasma", "always_random")
    assert sorted(os.listdir(d)) == sorted("plasma." + f
                                           for f in ALL_FORMATS)
    for fmt in FORMATS:
        p = ar(mount, "plasma", fmt)
        before = os.stat(p).st_size
        with open(p, "rb") as f:
            assert os.fstat(f.fileno()).st_size == before
            data = f.read()
        assert len(data) == before
        assert os.stat(p).st_size == before


def test_every_open_differs_and_decodes(mount, originals, tmp_path):
    src, made = originals
    names = ["rgba.png", "gray.jpg", "lossy.webp", "palette.png"]
    for n in names:
        shutil.copy(os.path.join(src, n), mount.im)
    for n in names:
        stem = n.rsplit(".", 1)[0]
        for fmt in FORMATS:
            p = ar(mount, stem, fmt)
            a = open(p, "rb").read()
            b = open(p, "rb").read()
            assert a != b
            assert len(a) == len(b) == os.stat(p).st_size
            out = tmp_path / ("%s.%s" % (stem, fmt))
            out.write_bytes(a)
            assert dims(str(out)) == made[n], out


def test_checked_by_format_tools(mount1, originals, tmp_path):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    for fmt, cmd in (("png", ["pngcheck", "-q"]),
                     ("jpeg", ["djpeg", "-outfile", os.devnull]),
                     ("webp", ["dwebp", "-quiet", "-o", os.devnull])):
        out = tmp_path / ("x." + fmt)
        out.write_bytes(open(ar(mount1, "plasma", fmt), "rb").read())
        r = subprocess.run(cmd + [str(out)], capture_output=True, text=True)
        assert r.returncode == 0, (fmt, r.stdout, r.stderr)


def test_five_parallel_md5sums(mount, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount.im)
    for fmt in FORMATS:
        p = ar(mount, "plasma", fmt)
        procs = [subprocess.Popen(["md5sum", p], stdout=subprocess.PIPE,
                                  text=True) for _ in range(5)]
        sums = [pr.communicate()[0].split()[0] for pr in procs]
        assert all(pr.returncode == 0 for pr in procs)
        assert len(set(sums)) == 5, sums


def test_thousand_sequential_opens(mount1, originals):
    shutil.copy(os.path.join(originals[0], "gray.jpg"), mount1.im)
    for fmt in FORMATS:
        p = ar(mount1, "gray", fmt)
        size = os.stat(p).st_size
        sums = set()
        for _ in range(1000):
            with open(p, "rb") as f:
                data = f.read()
            assert len(data) == size
            sums.add(hashlib.md5(data).digest())
        assert len(sums) == 1000, fmt


def test_two_handles_interleaved(mount, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount.im)
    for fmt in FORMATS:
        p = ar(mount, "plasma", fmt)
        size = os.stat(p).st_size
        fa, fb = os.open(p, os.O_RDONLY), os.open(p, os.O_RDONLY)
        try:
            a, b = bytearray(), bytearray()
            step = 997                          # odd sizes, both handles
            while len(a) < size or len(b) < size:
                a += os.read(fa, step)
                b += os.read(fb, step * 3)
            assert len(a) == len(b) == size
            assert a != b
            # any order and size through the same handle: the same bytes
            for off, n in ((size // 2, 5000), (0, 100), (size - 7, 7),
                           (123, 1), (0, size)):
                assert os.pread(fa, n, off) == a[off:off + n]
                assert os.pread(fb, n, off) == b[off:off + n]
            assert os.pread(fa, 10, size) == b""
        finally:
            os.close(fa)
            os.close(fb)


def test_threads_in_one_process(mount1, originals):
    shutil.copy(os.path.join(originals[0], "rgba.png"), mount1.im)

    def one(fmt):
        with open(ar(mount1, "rgba", fmt), "rb") as f:
            return hashlib.md5(f.read()).hexdigest()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        sums = list(ex.map(one, [f for f in FORMATS for _ in range(20)]))
    assert len(set(sums)) == len(sums)


def outside_square(m, stem, fmt, tmp_path, allowed):
    """Pixels differing from original/ inside and outside the noise
    square, min(16, side) pixels at the bottom-right corner in every
    format. Also the square's top-left pixel (sx, sy)."""
    a = tmp_path / ("a." + fmt)
    a.write_bytes(open(ar(m, stem, fmt), "rb").read())
    o = tmp_path / ("o." + fmt)
    o.write_bytes(open(og(m, stem, fmt), "rb").read())
    w, h, pa = rgb(str(a))
    _, _, po = rgb(str(o))
    sx, sy = max(w - 16, 0), max(h - 16, 0)
    diff = differing(pa, po, w, h, tolerance=allowed)
    inside = [d for d in diff if d[0] >= sx and d[1] >= sy]
    outside = [d for d in diff if not (d[0] >= sx and d[1] >= sy)]
    return inside, outside, (sx, sy)


def whole_square(inside, sx, sy, w, h):
    """The noise shows over the whole square: it reaches each of its
    sides, and nearly every pixel differs (a random pixel rarely matches
    in all three channels)."""
    assert min(x for x, _ in inside) == sx
    assert min(y for _, y in inside) == sy
    assert max(x for x, _ in inside) == w - 1
    assert max(y for _, y in inside) == h - 1
    assert len(inside) >= (w - sx) * (h - sy) * 9 // 10


def test_only_the_square_changes(mount1, originals, tmp_path):
    # 320x200: the square spans two MCU rows in JPEG
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    inside, outside, (sx, sy) = outside_square(mount1, "plasma", "png",
                                               tmp_path, 0)
    assert inside and not outside
    whole_square(inside, sx, sy, 320, 200)
    inside, outside, (sx, sy) = outside_square(mount1, "plasma", "jpeg",
                                               tmp_path, 0)
    whole_square(inside, sx, sy, 320, 200)
    # the re-coded MCUs: lossy coding moves the pixels of 8x8 blocks the
    # square's edge cuts and their chroma; the decoder's chroma
    # upsampling smears at most two rows and columns up and left of them
    mx, my = sx // 16 * 16, sy // 16 * 16
    assert all(x >= mx - 2 and y >= my - 2 for x, y in outside), \
        outside[:10]
    # WebP: tests/mount/test_webp_noise.py


def test_tiny_original(mount1, tmp_path):
    p = tmp_path / "dot.png"
    subprocess.run(["convert", "-size", "5x3", "xc:orange", str(p)],
                   check=True)
    shutil.copy(p, mount1.im)
    for fmt in FORMATS:
        out = tmp_path / ("dot." + fmt)
        data = open(ar(mount1, "dot", fmt), "rb").read()
        assert len(data) == os.stat(ar(mount1, "dot", fmt)).st_size
        out.write_bytes(data)
        assert dims(str(out)) == (5, 3)


def test_size_survives_remount(mount1, originals):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    sizes = {f: os.stat(ar(mount1, "plasma", f)).st_size for f in FORMATS}
    mount1.restart()
    for f in FORMATS:
        assert os.stat(ar(mount1, "plasma", f)).st_size == sizes[f]
        assert len(open(ar(mount1, "plasma", f), "rb").read()) == sizes[f]


def test_tools_read_it(mount1, originals, tmp_path):
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), mount1.im)
    p = ar(mount1, "plasma", "png")
    size = os.stat(p).st_size
    out = tmp_path / "copy.png"
    subprocess.run(["cp", p, str(out)], check=True)
    assert out.stat().st_size == size
    r = subprocess.run(["dd", "if=" + p, "bs=333", "status=none"],
                       capture_output=True, check=True)
    assert len(r.stdout) == size
    r = subprocess.run(["cat", p], capture_output=True, check=True)
    assert len(r.stdout) == size and r.stdout != out.read_bytes()


def test_handle_memory_budget(mount_factory, originals):
    import errno
    m = mount_factory("--max-handle-memory=64K")
    shutil.copy(os.path.join(originals[0], "plasma.jpg"), m.im)
    p = ar(m, "plasma", "png")
    files, refused = [], None
    try:
        for _ in range(200):
            try:
                files.append(open(p, "rb"))
            except OSError as e:
                refused = e
                break
        assert refused is not None and refused.errno == errno.EMFILE
        assert 10 < len(files) < 200
        assert "max-handle-memory" in m.log()
    finally:
        for f in files:
            f.close()
    with open(p, "rb") as f:             # closing gave the budget back
        assert len(f.read()) == os.stat(p).st_size
