"""Decoded pixels of an image file, through ImageMagick, for comparisons."""
import subprocess

from images import dims


def rgb(path):
    """(width, height, bytes of packed 8-bit RGB) as ImageMagick decodes."""
    w, h = dims(path)
    data = subprocess.run(["convert", path, "-alpha", "off", "-depth", "8",
                           "rgb:-"], check=True, capture_output=True).stdout
    assert len(data) == w * h * 3, path
    return w, h, data


def differing(a, b, w, h, tolerance=0):
    """Pixels (x, y) where two RGB buffers differ by more than tolerance."""
    out = []
    for y in range(h):
        row = y * w * 3
        ra, rb = a[row:row + w * 3], b[row:row + w * 3]
        if ra == rb:
            continue
        for x in range(w):
            pa, pb = ra[x * 3:x * 3 + 3], rb[x * 3:x * 3 + 3]
            if max(abs(i - j) for i, j in zip(pa, pb)) > tolerance:
                out.append((x, y))
    return out
