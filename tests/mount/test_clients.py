"""Real writers put originals into Image Manager: GNOME's `gio copy` (a new
file directly; over an existing one a `.goutputstream-XXXXXX` temp file,
fsync, rename while still open), Python's shutil.copy2 (times, mode and an
xattr copy that may be refused), `install -m 644` and `cp --reflink=auto`.
Each lands byte for byte, shows up under Images/ with decodable files, and
no temporary name is left behind in Image Manager, Images/ or the store."""
import os
import shutil
import sqlite3
import stat
import subprocess

import pytest

from images import FOLDER_ENTRIES, dims, run, stem

FORMATS = ("png", "jpeg", "webp")


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    """Originals on another filesystem: {name: (path, (w, h))}."""
    d = tmp_path_factory.mktemp("client-src")
    made = {}

    def im(name, w, h, *args):
        p = str(d / name)
        run("convert", *args, p)
        made[name] = (p, (w, h))

    im("plasma.jpg", 320, 200, "-size", "320x200", "plasma:red-blue",
       "-quality", "90")
    im("plasma-v2.jpg", 200, 100, "-size", "200x100", "plasma:green-yellow",
       "-quality", "90")
    im("rgba.png", 120, 90, "-size", "120x90", "xc:none", "-fill",
       "rgba(255,0,0,0.5)", "-draw", "circle 60,45 60,5",
       "-define", "png:color-type=6")
    im("gradient.png", 97, 61, "-size", "97x61", "gradient:blue-red")
    run("cwebp", "-quiet", "-q", "80", made["gradient.png"][0],
        "-o", str(d / "lossy.webp"))
    made["lossy.webp"] = (str(d / "lossy.webp"), (97, 61))
    return made


def read(path):
    with open(path, "rb") as f:
        return f.read()


def landed(m, name, src_path, wh):
    """`name` in Image Manager has src_path's bytes, and Images/ shows it
    with every original/ file, every always_random file and one counter
    file decoding to wh."""
    assert read(os.path.join(m.im, name)) == read(src_path), name
    s = stem(name)
    folder = m.path("Images", s)
    assert sorted(os.listdir(folder)) == sorted(FOLDER_ENTRIES), name
    paths = [os.path.join(folder, kind, "%s.%s" % (s, f))
             for kind in ("original", "always_random") for f in FORMATS]
    paths += [os.path.join(folder, "counter", "%s_0.%s" % (s, f))
              for f in FORMATS]
    for p in paths:
        assert dims(p) == wh, p


def nothing_left(m, names):
    """Image Manager holds exactly `names`, Images/ one folder each, the
    catalog the same names and the store no staging file."""
    assert sorted(os.listdir(m.im)) == sorted(names)
    assert sorted(os.listdir(m.images)) == sorted(stem(n) for n in names)
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(m.store,
                                                          "catalog.db"),
                         uri=True)
    try:
        rows = [r[0] for r in db.execute("SELECT name FROM originals")]
    finally:
        db.close()
    assert sorted(rows) == sorted(names)
    assert os.listdir(os.path.join(m.store, "staging")) == []


def gio(*args):
    """Run `gio` as GNOME's file manager would copy, on the local VFS
    (no gvfs daemon or session bus needed for local files)."""
    if not shutil.which("gio"):
        pytest.skip("gio not installed (apt-get install libglib2.0-bin)")
    env = dict(os.environ, GIO_USE_VFS="local")
    r = subprocess.run(["gio", *args], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, (args, r.stderr)
    return r


def test_gio_copy(mount1, src):
    m = mount1
    p, wh = src["plasma.jpg"]
    gio("copy", p, src["rgba.png"][0], src["lossy.webp"][0], m.im)
    for n in ("plasma.jpg", "rgba.png", "lossy.webp"):
        landed(m, n, src[n][0], src[n][1])
    assert os.stat(os.path.join(m.im, "plasma.jpg")).st_mtime_ns == \
        os.stat(p).st_mtime_ns

    # Over an existing name gio writes .goutputstream-XXXXXX, fsyncs it
    # and renames it over the target before closing it.
    v2, wh2 = src["plasma-v2.jpg"]
    gio("copy", "-T", v2, os.path.join(m.im, "plasma.jpg"))
    landed(m, "plasma.jpg", v2, wh2)
    nothing_left(m, ["plasma.jpg", "rgba.png", "lossy.webp"])

    # --preserve: every attribute gio can copy (times, mode; the xattr is
    # refused with ENOTSUP, which gio ignores as on any such filesystem).
    os.chmod(src["gradient.png"][0], 0o640)
    os.utime(src["gradient.png"][0], ns=(1_400_000_000_111_111_111,
                                         1_500_000_000_222_222_222))
    try:
        os.setxattr(src["gradient.png"][0], "user.xdg.origin.url",
                    b"https://example.org/gradient.png")
    except OSError:
        pass
    gio("copy", "--preserve", src["gradient.png"][0], m.im)
    landed(m, "gradient.png", *src["gradient.png"])
    st = os.stat(os.path.join(m.im, "gradient.png"))
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime_ns == 1_500_000_000_222_222_222
    nothing_left(m, ["plasma.jpg", "rgba.png", "lossy.webp", "gradient.png"])


def test_gio_replace_trace(mount_factory, src):
    """The same overwrite with mintfs -d: the trace shows gio's temp file,
    its fsync and the rename while open, and the temp name never gets a
    folder under Images/."""
    m = mount_factory("-d")
    gio("copy", src["plasma.jpg"][0], m.im)
    gio("copy", "-T", src["plasma-v2.jpg"][0],
        os.path.join(m.im, "plasma.jpg"))
    landed(m, "plasma.jpg", *src["plasma-v2.jpg"])
    log = m.log()
    assert "create   /Image Manager/.goutputstream-" in log
    assert "rename   /Image Manager/.goutputstream-" in log
    nothing_left(m, ["plasma.jpg"])


def test_shutil_copy2(mount1, src):
    m = mount1
    p, wh = src["rgba.png"]
    local = os.path.join(os.path.dirname(p), "copy2-me.png")
    shutil.copy(p, local)
    os.chmod(local, 0o604)
    os.utime(local, ns=(1_300_000_000_123_456_789, 1_200_000_000_987_654_321))
    try:
        # copy2 also copies xattrs; mintfs refuses them (ENOTSUP), which
        # copy2 ignores, as on any filesystem without xattrs.
        os.setxattr(local, "user.mime_type", b"image/png")
    except OSError:
        pass
    dst = shutil.copy2(local, m.im)
    assert dst == os.path.join(m.im, "copy2-me.png")
    # Before any read moves atime (copy2's own read of `local` moved its
    # atime before the times were copied).
    a, b = os.stat(local), os.stat(dst)
    assert stat.S_IMODE(b.st_mode) == 0o604
    assert b.st_mtime_ns == 1_200_000_000_987_654_321
    assert b.st_atime_ns == a.st_atime_ns
    landed(m, "copy2-me.png", local, wh)
    # copy2 over the existing name: replaced, times copied again.
    v2, wh2 = src["plasma-v2.jpg"]
    shutil.copy2(v2, os.path.join(m.im, "copy2-me.png"))
    assert read(dst) == read(v2)
    assert dims(m.path("Images", "copy2-me", "original",
                       "copy2-me.png")) == wh2
    assert os.stat(dst).st_mtime_ns == os.stat(v2).st_mtime_ns
    nothing_left(m, ["copy2-me.png"])


def test_install(mount1, src):
    m = mount1
    p, wh = src["plasma.jpg"]
    local = os.path.join(os.path.dirname(p), "install-me.jpg")
    shutil.copy(p, local)
    os.chmod(local, 0o600)
    dst = os.path.join(m.im, "installed.jpg")
    subprocess.run(["install", "-m", "644", local, dst], check=True,
                   capture_output=True)
    landed(m, "installed.jpg", local, wh)
    assert stat.S_IMODE(os.stat(dst).st_mode) == 0o644
    # install over an existing file unlinks it first, then writes anew.
    subprocess.run(["install", "-m", "600", src["lossy.webp"][0], dst],
                   check=True, capture_output=True)
    assert read(dst) == read(src["lossy.webp"][0])
    assert stat.S_IMODE(os.stat(dst).st_mode) == 0o600
    for f in FORMATS:
        assert dims(m.path("Images", "installed", "original",
                           "installed." + f)) == src["lossy.webp"][1]
    nothing_left(m, ["installed.jpg"])


def test_cp_reflink_auto(mount1, src):
    m = mount1
    for n in ("plasma.jpg", "rgba.png", "lossy.webp"):
        subprocess.run(["cp", "--reflink=auto", src[n][0], m.im],
                       check=True, capture_output=True)
        landed(m, n, *src[n])
    # Again over the existing names (O_TRUNC rewrites).
    subprocess.run(["cp", "--reflink=auto", src["plasma-v2.jpg"][0],
                    os.path.join(m.im, "plasma.jpg")], check=True,
                   capture_output=True)
    landed(m, "plasma.jpg", *src["plasma-v2.jpg"])
    nothing_left(m, ["plasma.jpg", "rgba.png", "lossy.webp"])
