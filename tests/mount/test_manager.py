"""Image Manager: a real read-write folder, driven by ordinary programs and
by syscalls, whose originals survive a remount byte for byte."""
import errno
import filecmp
import os
import shutil
import stat
import subprocess
import time

import pytest

from images import dims, file_stem, make_all, wait_until


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def src(originals, name):
    return os.path.join(originals[0], name)


def same(a, b):
    return filecmp.cmp(a, b, shallow=False)


def test_cp_reads_back_identical(mount, originals):
    for name in originals[1]:
        subprocess.run(["cp", src(originals, name), mount.im + "/"],
                       check=True)
    for name in originals[1]:
        assert same(src(originals, name), os.path.join(mount.im, name))
        subprocess.run(["cmp", src(originals, name),
                        os.path.join(mount.im, name)], check=True)
    assert sorted(os.listdir(mount.im)) == sorted(originals[1])


def test_mv_from_another_filesystem(mount, originals, tmp_path):
    tmp = tmp_path / "moving.png"
    shutil.copy(src(originals, "rgba.png"), tmp)
    subprocess.run(["mv", str(tmp), mount.im + "/"], check=True)
    assert not tmp.exists()
    assert same(src(originals, "rgba.png"),
                os.path.join(mount.im, "moving.png"))
    assert dims(mount.path("Images", "moving", "original",
                           "moving.webp")) == (120, 90)


def test_rsync_temp_name_then_rename(mount, originals):
    names = ["plasma.jpg", "lossy.webp", "palette.png"]
    r = subprocess.run(["rsync", "-a"] + [src(originals, n) for n in names]
                       + [mount.im + "/"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(mount.im)) == sorted(names)
    for n in names:
        assert same(src(originals, n), os.path.join(mount.im, n))
    # rsync again: unchanged files are skipped, changed ones replaced
    r = subprocess.run(["rsync", "-a", "--checksum",
                        src(originals, "rgba.png"),
                        os.path.join(mount.im, "plasma.jpg")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert same(src(originals, "rgba.png"),
                os.path.join(mount.im, "plasma.jpg"))
    assert sorted(os.listdir(mount.im)) == sorted(names)


def test_writes_at_offsets(mount, originals):
    data = open(src(originals, "plasma.jpg"), "rb").read()
    p = os.path.join(mount.im, "pieces.jpg")
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        chunk = 4096
        offsets = list(range(0, len(data), chunk))
        for off in reversed(offsets):           # back to front
            assert os.pwrite(fd, data[off:off + chunk], off) == \
                len(data[off:off + chunk])
        assert os.fstat(fd).st_size == len(data)
    finally:
        os.close(fd)
    assert open(p, "rb").read() == data
    # overwrite a middle piece with the same bytes through O_RDWR
    fd = os.open(p, os.O_RDWR)
    os.pwrite(fd, data[100:200], 100)
    assert os.pread(fd, 100, 100) == data[100:200]
    os.close(fd)
    assert open(p, "rb").read() == data


def test_sparse_write_beyond_end(mount1):
    p = os.path.join(mount1.im, "sparse.txt")
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
    os.pwrite(fd, b"end", 10)
    # a hole of NUL bytes is not UTF-8 text: refused at close
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EINVAL
    assert not os.path.exists(p)


def test_truncate(mount, originals):
    p = os.path.join(mount.im, "notes.txt")
    with open(p, "w") as f:
        f.write("hello world, this is a text original\n")
    os.truncate(p, 5)
    assert open(p).read() == "hello"
    with open(p, "r+") as f:
        f.truncate(2)
    assert open(p).read() == "he"
    # cutting an image in half makes it invalid: refused, old bytes kept
    q = os.path.join(mount.im, "cut.png")
    shutil.copy(src(originals, "rgba.png"), q)
    with pytest.raises(OSError) as e:
        os.truncate(q, 100)
    assert e.value.errno == errno.EINVAL
    assert same(src(originals, "rgba.png"), q)


def test_o_trunc_rewrite(mount1, originals):
    p = os.path.join(mount1.im, "x.png")
    shutil.copy(src(originals, "rgba.png"), p)
    with open(p, "wb") as f:            # O_TRUNC on an existing original
        f.write(open(src(originals, "palette.png"), "rb").read())
    assert same(src(originals, "palette.png"), p)
    assert dims(mount1.path("Images", "x", "original", "x.png")) == (64, 48)


def test_rename_and_rename_over(mount, originals):
    a = os.path.join(mount.im, "a.png")
    b = os.path.join(mount.im, "b.jpg")
    shutil.copy(src(originals, "rgba.png"), a)
    shutil.copy(src(originals, "plasma.jpg"), b)
    ino = os.stat(a).st_ino
    os.rename(a, os.path.join(mount.im, "c.png"))
    assert sorted(os.listdir(mount.im)) == ["b.jpg", "c.png"]
    assert os.stat(os.path.join(mount.im, "c.png")).st_ino == ino
    assert sorted(os.listdir(mount.images)) == ["b", "c"]
    os.rename(os.path.join(mount.im, "c.png"), b)          # over existing
    assert os.listdir(mount.im) == ["b.jpg"]
    assert same(src(originals, "rgba.png"), b)
    assert os.listdir(mount.images) == ["b"]
    assert dims(mount.path("Images", "b", "original", "b.png")) == (120, 90)
    with pytest.raises(FileNotFoundError):
        os.rename(os.path.join(mount.im, "missing"), b)


def test_rename_noreplace(mount1, originals):
    a = os.path.join(mount1.im, "a.png")
    b = os.path.join(mount1.im, "b.png")
    shutil.copy(src(originals, "rgba.png"), a)
    shutil.copy(src(originals, "palette.png"), b)
    r = subprocess.run(["mv", "--no-clobber", "-T", a, b],
                       capture_output=True)
    assert same(src(originals, "palette.png"), b)
    assert os.path.exists(a)
    del r


def test_unlink(mount, originals):
    p = os.path.join(mount.im, "gone.png")
    shutil.copy(src(originals, "rgba.png"), p)
    assert os.listdir(mount.images) == ["gone"]
    os.unlink(p)
    assert os.listdir(mount.im) == []
    assert os.listdir(mount.images) == []
    with pytest.raises(FileNotFoundError):
        os.unlink(p)


def test_unlink_while_open(mount1, originals):
    p = os.path.join(mount1.im, "open.png")
    data = open(src(originals, "rgba.png"), "rb").read()
    with open(p, "wb") as f:
        f.write(data)
    f = open(p, "rb")
    os.unlink(p)
    assert f.read() == data         # an open file keeps its bytes
    f.close()
    assert os.listdir(mount1.im) == []


def test_non_image_refused_at_close(mount, originals, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(bytes(range(256)) * 8)
    r = subprocess.run(["cp", str(junk), mount.im + "/"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "Invalid argument" in r.stderr
    assert os.listdir(mount.im) == []
    assert os.listdir(mount.images) == []
    assert "junk.png" in mount.log()
    # over an existing original: refused, the old content stays
    good = os.path.join(mount.im, "good.png")
    shutil.copy(src(originals, "rgba.png"), good)
    fd = os.open(good, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EINVAL
    assert same(src(originals, "rgba.png"), good)
    assert os.stat(good).st_size == os.path.getsize(src(originals,
                                                        "rgba.png"))
    assert os.listdir(os.path.join(mount.store, "staging")) == []


def test_fsync_commits(mount1, originals):
    p = os.path.join(mount1.im, "synced.jpg")
    data = open(src(originals, "plasma.jpg"), "rb").read()
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, data)
    os.fsync(fd)
    assert os.listdir(mount1.images) == ["synced"]     # visible before close
    os.close(fd)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600


def test_chmod_utimens_and_remount_keeps_everything(mount, originals):
    for name in originals[1]:
        shutil.copy(src(originals, name), mount.im)
    p = os.path.join(mount.im, "rgba.png")
    os.chmod(p, 0o640)
    os.utime(p, ns=(1_500_000_000_123_456_789, 1_600_000_000_987_654_321))
    before = {}
    for name in originals[1]:
        d = mount.path("Images", name.rsplit(".", 1)[0], "original")
        for f in os.listdir(d):
            before[os.path.join(d, f)] = open(os.path.join(d, f),
                                              "rb").read()
    ino = os.stat(p).st_ino
    mount.restart()
    assert sorted(os.listdir(mount.im)) == sorted(originals[1])
    for name in originals[1]:
        assert same(src(originals, name), os.path.join(mount.im, name))
    st = os.stat(p)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime_ns == 1_600_000_000_987_654_321
    assert st.st_atime_ns == 1_500_000_000_123_456_789
    assert st.st_ino == ino
    for path, data in before.items():
        assert open(path, "rb").read() == data, path


def test_cp_preserve_and_touch(mount1, originals):
    subprocess.run(["cp", "-p", src(originals, "gray.jpg"), mount1.im],
                   check=True)
    a = os.stat(src(originals, "gray.jpg"))
    b = os.stat(os.path.join(mount1.im, "gray.jpg"))
    assert int(a.st_mtime) == int(b.st_mtime)
    assert stat.S_IMODE(a.st_mode) == stat.S_IMODE(b.st_mode)
    subprocess.run(["touch", os.path.join(mount1.im, "gray.jpg")],
                   check=True)
    assert os.stat(os.path.join(mount1.im, "gray.jpg")).st_mtime > \
        time.time() - 60


def test_text_original(mount1):
    p = os.path.join(mount1.im, "banner 300x200.txt")
    with open(p, "w") as f:
        f.write("Hello from a text original\n")
    folder = mount1.path("Images", "banner 300x200", "original")
    for f in os.listdir(folder):
        assert dims(os.path.join(folder, f)) == (300, 200)
    q = os.path.join(mount1.im, "plain.txt")
    open(q, "w").close()                      # empty text: a black image
    # nothing written: committed at the release, just after close()
    wait_until(lambda: "plain" in os.listdir(mount1.images), "plain")
    assert dims(mount1.path("Images", "plain", "original",
                            "plain.png")) == (800, 600)


def test_text_in_every_script(mount1):
    # Every script of the sample finds a font; a private-use character
    # does not, and is named in one log line.
    p = os.path.join(mount1.im, "scripts 640x360.txt")
    with open(p, "w", encoding="utf-8") as f:
        f.write("Hello, \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8, "
                "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639"
                "\u0627\u0644\u0645, \u041f\u0440\u0438\u0432\u0435\u0442 "
                "\u043c\u0438\u0440, emoji \U0001f600 \U0001f389\n"
                "\u05e9\u05dc\u05d5\u05dd \u0939\u093f\u0928\u094d\u0926"
                "\u0940 \ud55c\uad6d\uc5b4\n")
    folder = mount1.path("Images", "scripts 640x360", "original")
    for f in os.listdir(folder):
        assert dims(os.path.join(folder, f)) == (640, 360)
    assert "no font has" not in mount1.log()
    with open(os.path.join(mount1.im, "pua.txt"), "w") as f:
        f.write("private \ue000 use\n")
    assert dims(mount1.path("Images", "pua", "original",
                            "pua.png")) == (800, 600)
    assert "pua.txt: no font has U+E000" in mount1.log()


def test_odd_names(mount1, originals):
    names = ["with space.png", "ünïcødé 名前.png", "new\nline.png",
             "x" * 251 + ".png"]
    for n in names:
        shutil.copy(src(originals, "rgba.png"), os.path.join(mount1.im, n))
    assert sorted(os.listdir(mount1.im)) == sorted(names)
    for n in names:
        stem = n[:-4]
        assert dims(os.path.join(mount1.images, stem, "original",
                                 file_stem(stem) + ".png")) == (120, 90)
    with pytest.raises(OSError) as e:
        open(os.path.join(mount1.im, "y" * 256), "wb")
    assert e.value.errno == errno.ENAMETOOLONG


def test_mkdir_over_a_name_refused(mount1, originals):
    # folders are made (test_folders.py), but not over an original
    shutil.copy(src(originals, "rgba.png"), os.path.join(mount1.im, "x"))
    with pytest.raises(FileExistsError):
        os.mkdir(os.path.join(mount1.im, "x"))
    assert os.listdir(mount1.im) == ["x"]


def test_statfs(mount1):
    sv = os.statvfs(mount1.mnt)
    assert sv.f_bsize > 0 and sv.f_blocks > 0
    assert sv.f_namemax == 255


def test_exclusive_create(mount1, originals):
    p = os.path.join(mount1.im, "x.png")
    shutil.copy(src(originals, "rgba.png"), p)
    with pytest.raises(FileExistsError):
        os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY)


def test_store_layout(mount1, originals):
    shutil.copy(src(originals, "rgba.png"), os.path.join(mount1.im, "a.png"))
    shutil.copy(src(originals, "rgba.png"), os.path.join(mount1.im, "b.png"))
    assert stat.S_IMODE(os.stat(mount1.store).st_mode) == 0o700
    blobs = [f for _, _, fs in os.walk(os.path.join(mount1.store, "blobs"))
             for f in fs]
    assert len(blobs) == 1              # identical originals stored once
    os.unlink(os.path.join(mount1.im, "a.png"))
    assert same(src(originals, "rgba.png"), os.path.join(mount1.im, "b.png"))
    os.unlink(os.path.join(mount1.im, "b.png"))
    blobs = [f for _, _, fs in os.walk(os.path.join(mount1.store, "blobs"))
             for f in fs]
    assert blobs == []


def test_limits_from_the_command_line(mount_factory, originals):
    m = mount_factory("--max-text=16", "--max-pixels=1000")
    p = os.path.join(m.im, "long.txt")
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"more than sixteen bytes of text")
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EFBIG
    with open(os.path.join(m.im, "short 20x20.txt"), "w") as f:
        f.write("short")            # 400 pixels: under both limits
    r = subprocess.run(["cp", src(originals, "plasma.jpg"), m.im],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "too large" in r.stderr.lower()
    assert sorted(os.listdir(m.im)) == ["short 20x20.txt"]


def test_max_file_size(mount_factory, tmp_path):
    m = mount_factory("--max-file-size=64K")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (200 << 10))
    r = subprocess.run(["cp", str(big), m.im], capture_output=True,
                       text=True)
    assert r.returncode != 0 and "too large" in r.stderr.lower()
    assert os.listdir(m.im) == []
    assert "max-file-size" in m.log()
    with open(os.path.join(m.im, "t.txt"), "w") as f:
        with pytest.raises(OSError) as e:
            f.truncate(1 << 20)
        assert e.value.errno == errno.EFBIG


FOLDER_TIME = 1643760000        # 2022-02-02, the source folder's mtime


@pytest.mark.parametrize("tool", ["rsync", "cp", "tar"])
def test_copy_a_folder_sets_image_managers_times(mount1, originals,
                                                 tmp_path, tool):
    """rsync -a, cp -a and tar set the times (and mode) of the folder they
    copy into; Image Manager keeps them, across a remount."""
    d = tmp_path / "d"
    d.mkdir()
    os.chmod(d, 0o750)
    shutil.copy(src(originals, "plasma.jpg"), d / "Aqua.jpg")
    os.utime(d / "Aqua.jpg", (FOLDER_TIME, FOLDER_TIME))
    os.utime(d, (FOLDER_TIME, FOLDER_TIME))
    if tool == "rsync":
        cmd = ["rsync", "-a", str(d) + "/", mount1.im + "/"]
    elif tool == "cp":
        cmd = ["cp", "-a", str(d) + "/.", mount1.im + "/"]
    else:
        subprocess.run(["tar", "-c", "-f", str(tmp_path / "d.tar"), "-C",
                        str(d), "."], check=True)
        cmd = ["tar", "-x", "-f", str(tmp_path / "d.tar"), "-C", mount1.im]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert same(src(originals, "plasma.jpg"),
                os.path.join(mount1.im, "Aqua.jpg"))
    st = os.stat(mount1.im)
    assert st.st_mtime == FOLDER_TIME
    assert stat.S_IMODE(st.st_mode) == 0o750
    assert os.stat(os.path.join(mount1.im, "Aqua.jpg")).st_mtime \
        == FOLDER_TIME
    mount1.restart()
    st = os.stat(mount1.im)
    assert st.st_mtime == FOLDER_TIME
    assert stat.S_IMODE(st.st_mode) == 0o750


def test_image_manager_times_follow_its_names(mount1, originals):
    """Like any directory: a new name, a rename and an unlink move its
    mtime; utimens and chmod set it; the owner keeps rwx."""
    im = mount1.im
    os.utime(im, (FOLDER_TIME, FOLDER_TIME))
    assert os.stat(im).st_mtime == FOLDER_TIME
    shutil.copy(src(originals, "rgba.png"), os.path.join(im, "a.png"))
    t1 = os.stat(im).st_mtime
    assert t1 > FOLDER_TIME
    os.utime(im, (FOLDER_TIME, FOLDER_TIME))
    os.rename(os.path.join(im, "a.png"), os.path.join(im, "b.png"))
    assert os.stat(im).st_mtime > FOLDER_TIME
    os.utime(im, (FOLDER_TIME, FOLDER_TIME))
    # a new content under the same name is no change of the folder
    shutil.copy(src(originals, "palette.png"), os.path.join(im, "b.png"))
    assert os.stat(im).st_mtime == FOLDER_TIME
    os.unlink(os.path.join(im, "b.png"))
    assert os.stat(im).st_mtime > FOLDER_TIME
    os.chmod(im, 0o700)
    assert stat.S_IMODE(os.stat(im).st_mode) == 0o700
    with pytest.raises(PermissionError):
        os.chmod(im, 0o555)
    assert stat.S_IMODE(os.stat(im).st_mode) == 0o700
    with pytest.raises(OSError) as e:
        os.utime(mount1.images, (FOLDER_TIME, FOLDER_TIME))
    assert e.value.errno == errno.EROFS
