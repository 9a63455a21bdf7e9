"""A JPEG whose only defect is a missing EOI marker is accepted by cp into
Image Manager; one cut inside its image data is refused with EINVAL and
nothing of it is kept (generators/jpeg.c, docs/SECURITY.md).

The files are made here with ImageMagick: a baseline and a progressive
JPEG, then cut.
"""
import os
import subprocess

import pytest

from images import dims
from rawpix import rgb

W, H = 240, 160


def make_jpeg(tmp_path, name, *args):
    path = str(tmp_path / name)
    subprocess.run(["convert", "-seed", "3", "-size", "%dx%d" % (W, H),
                    "plasma:red-blue", "-quality", "90", *args, path],
                   check=True, capture_output=True)
    with open(path, "rb") as f:
        data = f.read()
    assert data[-2:] == b"\xff\xd9"
    return data


def markers(data):
    """Offsets of the markers after SOI, leaving out RSTn inside scans."""
    out, i = [], 2
    while i + 2 <= len(data) and data[i] == 0xff:
        m = data[i + 1]
        out.append(i)
        if m == 0xd9:
            break
        i += 2 + (data[i + 2] << 8 | data[i + 3])
        if m == 0xda:
            while not (data[i] == 0xff and data[i + 1] != 0 and
                       not 0xd0 <= data[i + 1] <= 0xd7):
                i += 1
    return out


@pytest.fixture(scope="module")
def jpegs(tmp_path_factory):
    d = tmp_path_factory.mktemp("eoi")
    return {"baseline": make_jpeg(d, "b.jpg"),
            "progressive": make_jpeg(d, "p.jpg", "-interlace", "Plane")}


def cp(tmp_path, data, dest):
    src = tmp_path / os.path.basename(dest)
    src.write_bytes(data)
    return subprocess.run(["cp", str(src), dest], capture_output=True,
                          text=True)


@pytest.mark.parametrize("kind", ["baseline", "progressive"])
def test_jpeg_without_eoi_accepted(mount, jpegs, tmp_path, kind):
    m = mount
    data = jpegs[kind]
    r = cp(tmp_path, data, os.path.join(m.im, "whole.jpg"))
    assert r.returncode == 0, r.stderr
    r = cp(tmp_path, data[:-2], os.path.join(m.im, "noeoi.jpg"))
    assert r.returncode == 0, r.stderr
    with open(os.path.join(m.im, "noeoi.jpg"), "rb") as f:
        assert f.read() == data[:-2]
    png = os.path.join(m.images, "noeoi", "original", "noeoi.png")
    assert dims(png) == (W, H)
    # the same pixels as the file with its EOI
    ref = os.path.join(m.images, "whole", "original", "whole.png")
    assert rgb(png) == rgb(ref)


def refused(m, tmp_path, data, name):
    r = cp(tmp_path, data, os.path.join(m.im, name))
    assert r.returncode != 0
    assert "Invalid argument" in r.stderr, r.stderr
    stem = name.rsplit(".", 1)[0]
    assert name not in os.listdir(m.im)
    assert stem not in os.listdir(m.images)
    assert os.listdir(os.path.join(m.store, "staging")) == []


def test_jpeg_cut_mid_scan_refused(mount1, jpegs, tmp_path):
    m = mount1
    for kind, data in jpegs.items():
        last_sos = markers(data)[-2]
        assert data[last_sos + 1] == 0xda
        mid = (last_sos + len(data)) // 2
        refused(m, tmp_path, data[:mid], kind + "-mid.jpg")
        refused(m, tmp_path, data[:-3], kind + "-minus3.jpg")
    assert m.alive()


def test_jpeg_cut_between_scans_refused(mount1, jpegs, tmp_path):
    """A progressive file that ends after a complete scan is a blurred
    picture, not the one that was meant: refused."""
    m = mount1
    data = jpegs["progressive"]
    at = markers(data)
    sos = [i for i in at if data[i + 1] == 0xda]
    assert len(sos) >= 3
    refused(m, tmp_path, data[:sos[1]], "first-scan.jpg")
    refused(m, tmp_path, data[:sos[-1]], "all-but-last.jpg")
    assert m.alive()
