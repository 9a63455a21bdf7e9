"""Images/: folders per original, every file decodes to the original's
dimensions, sizes tell the truth, and nothing under it can be changed."""
import errno
import os
import shutil
import subprocess

import pytest

from images import (FORMATS, FOLDER_ENTRIES, UNDECODABLE, dims, make_all,
                    shown_dims, stem, wait_until)



@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    return str(d), make_all(str(d))


def copy_in(m, src_dir, names):
    for n in names:
        shutil.copy(os.path.join(src_dir, n), m.im)


def test_top_level(mount):
    assert sorted(os.listdir(mount.mnt)) == ["Image Manager", "Images"]
    st = os.stat(mount.mnt)
    assert st.st_nlink >= 2 and (st.st_mode & 0o222) == 0
    assert os.listdir(mount.images) == []
    assert os.listdir(mount.im) == []


def test_every_original_file_decodes(mount, originals):
    src, made = originals
    copy_in(mount, src, made)
    folders = sorted(os.listdir(mount.images))
    assert folders == sorted(stem(n) for n in made)
    for name, (w, h) in made.items():
        folder = os.path.join(mount.images, stem(name))
        assert sorted(os.listdir(folder)) == sorted(FOLDER_ENTRIES)
        files = sorted(os.listdir(os.path.join(folder, "original")))
        assert files == sorted("%s.%s" % (stem(name), f) for f in FORMATS)
        for f in files:
            p = os.path.join(folder, "original", f)
            assert dims(p) == (w, h), p


def test_stat_size_equals_bytes_read(mount, originals):
    src, made = originals
    copy_in(mount, src, ["rgba.png", "lossy.webp"])
    for root, dirs, files in os.walk(mount.images):
        # sized/ makes what its names ask when asked: test_sized.py
        dirs[:] = [d for d in dirs if d != "sized"]
        for f in files:
            p = os.path.join(root, f)
            size = os.stat(p).st_size
            with open(p, "rb") as fh:
                data = fh.read()
            assert size == len(data), p
            # broken/ has an empty file, by design
            assert size > 0 or os.path.basename(root) in UNDECODABLE, p
            assert os.stat(p).st_size == size


def test_deterministic_bytes(mount, originals):
    src, _ = originals
    copy_in(mount, src, ["plasma.jpg"])
    d = os.path.join(mount.images, "plasma", "original")
    for f in os.listdir(d):
        with open(os.path.join(d, f), "rb") as a:
            first = a.read()
        with open(os.path.join(d, f), "rb") as b:
            assert b.read() == first


def test_formats_are_what_they_say(mount, originals):
    src, _ = originals
    copy_in(mount, src, ["rgba.png"])
    d = os.path.join(mount.images, "rgba", "original")
    out = subprocess.run(["file", "-b"] + [os.path.join(d, "rgba." + f)
                                           for f in FORMATS],
                         capture_output=True, text=True).stdout
    assert "PNG" in out and "JPEG" in out and "Web/P" in out
    r = subprocess.run(["pngcheck", os.path.join(d, "rgba.png")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("first", ["cat.jpg", "cat.png"])
def test_paths_never_move_for_another_original(mount1, originals, first):
    """The first original with a stem is Images/<stem>; one that comes
    later uses its full name; neither path changes while it exists, in
    either order, across a remount, and when the other goes."""
    src, _ = originals
    second = "cat.png" if first == "cat.jpg" else "cat.jpg"
    bytes_of = {"cat.jpg": "plasma.jpg", "cat.png": "rgba.png"}
    dims_of = {"cat.jpg": (320, 200), "cat.png": (120, 90)}
    shutil.copy(os.path.join(src, bytes_of[first]),
                os.path.join(mount1.im, first))
    assert os.listdir(mount1.images) == ["cat"]
    held = os.path.join(mount1.images, "cat", "original", "cat.png")
    assert dims(held) == dims_of[first]
    shutil.copy(os.path.join(src, bytes_of[second]),
                os.path.join(mount1.im, second))
    assert sorted(os.listdir(mount1.images)) == ["cat", second]
    assert dims(held) == dims_of[first]
    assert sorted(os.listdir(os.path.join(mount1.images, second,
                                          "original"))) \
        == sorted("%s.%s" % (second, f) for f in FORMATS)
    assert dims(os.path.join(mount1.images, second, "original",
                             second + ".png")) == dims_of[second]
    mount1.restart()
    assert sorted(os.listdir(mount1.images)) == ["cat", second]
    assert dims(held) == dims_of[first]
    # the first goes: the second keeps its path
    os.unlink(os.path.join(mount1.im, first))
    assert os.listdir(mount1.images) == [second]
    assert dims(os.path.join(mount1.images, second, "original",
                             second + ".png")) == dims_of[second]


def test_dotfiles_get_no_folder(mount1, originals):
    src, _ = originals
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(mount1.im, ".hidden.png"))
    assert os.listdir(mount1.images) == []
    assert os.listdir(mount1.im) == [".hidden.png"]


def test_backups_and_empty_images_get_no_folder(mount1, originals):
    src, _ = originals
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(mount1.im, "cat.png"))
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(mount1.im, "cat.png~"))
    open(os.path.join(mount1.im, "empty.jpg"), "wb").close()
    open(os.path.join(mount1.im, "empty.txt"), "wb").close()
    # nothing written: committed at the release, just after close()
    wait_until(lambda: sorted(os.listdir(mount1.images)) ==
               ["cat", "empty"], "empty.txt has a folder")
    assert dims(os.path.join(mount1.images, "empty", "original",
                             "empty.png")) == (800, 600)
    with open(os.path.join(mount1.im, "empty.jpg"), "wb") as f:
        f.write(open(os.path.join(src, "plasma.jpg"), "rb").read())
    assert sorted(os.listdir(mount1.images)) == ["cat", "empty",
                                                 "empty.jpg"]


def test_unknown_names(mount1, originals):
    src, _ = originals
    copy_in(mount1, src, ["rgba.png"])
    for p in ("nope", "Images/nope", "Images/rgba/nope",
              "Images/rgba/original/rgba.svg",
              "Image Manager/nope.png"):
        with pytest.raises(FileNotFoundError):
            os.stat(mount1.path(p))
    with pytest.raises(NotADirectoryError):
        os.stat(mount1.path("Images/rgba/original/rgba.png/x"))


def test_images_is_read_only(mount, originals):
    src, _ = originals
    copy_in(mount, src, ["rgba.png"])
    f = mount.path("Images", "rgba", "original", "rgba.png")
    before = open(f, "rb").read()
    attempts = [
        lambda: open(f, "r+b"),
        lambda: open(f, "wb"),
        lambda: open(mount.path("Images", "rgba", "original", "new.png"),
                     "wb"),
        lambda: open(mount.path("Images", "new"), "wb"),
        lambda: open(mount.path("new"), "wb"),
        lambda: os.unlink(f),
        lambda: os.rename(f, f + ".x"),
        lambda: os.rename(f, mount.path("Image Manager", "x.png")),
        lambda: os.rename(mount.path("Image Manager", "rgba.png"),
                          mount.path("Images", "x.png")),
        lambda: os.mkdir(mount.path("Images", "d")),
        lambda: os.mkdir(mount.path("d")),
        lambda: os.rmdir(mount.path("Images", "rgba", "original")),
        lambda: os.rmdir(mount.path("Images")),
        lambda: os.chmod(f, 0o666),
        lambda: os.utime(f, (0, 0)),
        lambda: os.truncate(f, 0),
        lambda: os.symlink("x", mount.path("Images", "l")),
        lambda: os.unlink(mount.path("Images")),
    ]
    for i, attempt in enumerate(attempts):
        with pytest.raises(OSError) as e:
            attempt()
        assert e.value.errno in (errno.EROFS, errno.EACCES, errno.EPERM,
                                 errno.EISDIR, errno.EXDEV), i
    assert open(f, "rb").read() == before
    assert os.listdir(mount.im) == ["rgba.png"]


def test_replace_is_seen_at_once(mount1, originals):
    src, _ = originals
    shutil.copy(os.path.join(src, "rgba.png"),
                os.path.join(mount1.im, "x.png"))
    p = mount1.path("Images", "x", "original", "x.png")
    assert dims(p) == (120, 90)
    old_size = os.stat(p).st_size
    shutil.copy(os.path.join(src, "plasma.jpg"),
                os.path.join(mount1.im, "x.png"))
    assert dims(p) == (320, 200)
    assert os.stat(p).st_size != old_size
    assert os.stat(p).st_size == len(open(p, "rb").read())


@pytest.mark.parametrize("order", ["sized-first", "plain-first"])
def test_same_text_two_sizes(mount1, order):
    """Two text originals with the same bytes are two pictures when their
    names ask for two sizes: pixels, files and remembered sizes are kept
    apart, also after a remount."""
    names = ["banner 300x200.txt", "plain.txt"]
    if order == "plain-first":
        names.reverse()
    for n in names:
        with open(os.path.join(mount1.im, n), "wb") as f:
            f.write(b"The same words in two files\n")
    want = {"banner 300x200": (300, 200), "plain": (800, 600)}

    def check():
        for folder, wh in want.items():
            for fmt in ("png", "jpeg", "webp"):
                p = os.path.join(mount1.images, folder, "original",
                                 "%s.%s" % (folder, fmt))
                assert dims(p) == wh, p
                with open(p, "rb") as f:
                    assert len(f.read()) == os.stat(p).st_size, p
            p = os.path.join(mount1.images, folder, "always_random",
                             folder + ".png")
            assert dims(p) == wh
            with open(p, "rb") as f:
                assert len(f.read()) == os.stat(p).st_size, p
    check()
    mount1.restart()
    check()


def test_every_variant_file(mount1, originals):
    """Whatever the variants are: every file each variant folder lists
    stats, reads to exactly its stat size, and decodes to the original's
    dimensions, upright (a new variant or format is covered without a
    change); but the files of UNDECODABLE folders, made not to."""
    src, made = originals
    copy_in(mount1, src, ["plasma.jpg"])
    folder = os.path.join(mount1.images, "plasma")
    variants = sorted(os.listdir(folder))
    assert len(variants) >= 3
    seen = 0
    for v in variants:
        if v == "sized":
            continue    # sizes its names ask for: test_sized.py
        files = sorted(os.listdir(os.path.join(folder, v)))
        assert files, v
        for f in files:
            p = os.path.join(folder, v, f)
            with open(p, "rb") as fh:
                assert len(fh.read()) == os.stat(p).st_size, p
            seen += 1
            if v in UNDECODABLE:
                continue
            shown, want = shown_dims(v, p, made["plasma.jpg"])
            assert shown == want, p
    assert seen >= len(variants) * len(FORMATS)
