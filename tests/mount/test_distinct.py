"""distinct/: every open a visibly different variation, far apart in
perceptual hashes (dHash and pHash, computed here with PIL and numpy),
padded to one length per (original, format)."""
import hashlib
import io
import os
import shutil
import subprocess

import pytest

from images import dims, make_all

np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

FORMATS = ("png", "jpeg", "webp")
OPENS = 50
BOUND = 12


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def hashes(data):
    """(dHash, pHash) as 64-bit ints, as the imagehash package makes them."""
    with Image.open(io.BytesIO(data)) as im:
        g = im.convert("L")
    d = np.asarray(g.resize((9, 8), Image.LANCZOS), dtype=float)
    dbits = (d[:, 1:] > d[:, :-1]).flatten()
    p = np.asarray(g.resize((32, 32), Image.LANCZOS), dtype=float)
    n = np.arange(32)
    dct = np.cos(np.pi * np.outer(n, 2 * n + 1) / 64)
    low = (dct @ p @ dct.T)[:8, :8]
    pbits = (low > np.median(low)).flatten()
    return (sum(1 << i for i, b in enumerate(dbits) if b),
            sum(1 << i for i, b in enumerate(pbits) if b))


def dist(a, b):
    return bin(a ^ b).count("1")


@pytest.mark.parametrize("name", ["plasma.jpg", "photo.jpg", "rgba.png"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_fifty_opens_far_apart(mount1, originals, fmt, name):
    src, made = originals
    if name not in made:
        pytest.skip("no photo (mate-backgrounds)")
    shutil.copy(os.path.join(src, name), mount1.im)
    stem = name.rsplit(".", 1)[0]
    p = mount1.path("Images", stem, "distinct", "%s.%s" % (stem, fmt))
    size = os.stat(p).st_size
    with open(mount1.path("Images", stem, "original",
                          "%s.%s" % (stem, fmt)), "rb") as f:
        orig = hashes(f.read())
    seen, sums = [], set()
    for _ in range(OPENS):
        with open(p, "rb") as f:
            data = f.read()
        assert len(data) == size
        sums.add(hashlib.md5(data).hexdigest())
        h = hashes(data)
        assert dist(h[0], orig[0]) >= BOUND and dist(h[1], orig[1]) >= BOUND
        for o in seen:
            assert dist(h[0], o[0]) >= BOUND, (h, o)
            assert dist(h[1], o[1]) >= BOUND, (h, o)
        seen.append(h)
    assert len(sums) == OPENS
    tmp = os.path.join(src, "d.%s" % fmt)
    with open(tmp, "wb") as f:
        f.write(data)
    assert dims(tmp) == made[name]
    r = subprocess.run(["convert", tmp, "-regard-warnings", "null:"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


def test_every_original(mount1, originals):
    src, made = originals
    for n in made:
        shutil.copy(os.path.join(src, n), mount1.im)
    for n, wh in made.items():
        stem = n.rsplit(".", 1)[0]
        for fmt in FORMATS:
            p = mount1.path("Images", stem, "distinct", "%s.%s" % (stem, fmt))
            a = open(p, "rb").read()
            b = open(p, "rb").read()
            assert len(a) == len(b) == os.stat(p).st_size
            assert a != b
            with Image.open(io.BytesIO(a)) as im:
                im.load()
                assert im.size == wh
