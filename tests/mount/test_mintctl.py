"""mintctl: the mintfs tree as a command, without a mount (docs/MINTCTL.md).

Runs build/mintctl (or $MINTCTL; by default the mintctl next to $MINTFS, so
the sanitizer build tests its own pair). Only the last two tests mount.
"""
import os
import subprocess
import tempfile

import pytest

from conftest import MINTFS, SANITIZER_MARKS
from images import FOLDER_ENTRIES, FORMATS, dims, run as sh

MINTCTL = os.environ.get("MINTCTL") or os.path.join(
    os.path.dirname(MINTFS), "mintctl")

pytestmark = pytest.mark.skipif(not os.path.exists(MINTCTL),
                                reason="no mintctl built")


def ctl(store, *args, input=None, env=None, **kw):
    """Run mintctl on `store` (None: no --store); bytes out, text err."""
    cmd = [MINTCTL] + (["--store", str(store)] if store else []) + list(args)
    r = subprocess.run(cmd, input=input, capture_output=True, timeout=60,
                       env=env, **kw)
    r.err = r.stderr.decode(errors="replace")
    assert not any(m in r.err for m in SANITIZER_MARKS), r.err
    return r


def ok(store, *args, **kw):
    r = ctl(store, *args, **kw)
    assert r.returncode == 0 and r.err == "", r.err
    return r.stdout


def error(r, status=1):
    """The one line a failure prints, checked for shape and status."""
    assert r.returncode == status, (r.returncode, r.err)
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mintctl: "), r.err
    assert r.stdout == b""
    return lines[0]


def lines(out):
    return out.decode().splitlines()


@pytest.fixture(scope="module")
def pics(tmp_path_factory):
    d = tmp_path_factory.mktemp("pics")
    sh("convert", "-size", "64x48", "plasma:red-blue", str(d / "cat.png"))
    sh("convert", "-size", "90x30", "gradient:", "-quality", "90",
       str(d / "dog.jpg"))
    sh("convert", "-size", "1200x900", "plasma:", str(d / "big.png"))
    (d / "junk.png").write_bytes(os.urandom(300) + b"\xff")
    full = (d / "cat.png").read_bytes()
    (d / "cut.png").write_bytes(full[:len(full) // 2])
    return d


@pytest.fixture
def store(tmp_path, pics):
    """A store holding cat.png (64x48) and dog.jpg (90x30)."""
    s = tmp_path / "store"
    ok(s, "add", str(pics / "cat.png"))
    ok(s, "add", str(pics / "dog.jpg"))
    return s


def save(tmp_path, data, name="out"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_help_and_version():
    r = ctl(None, "--help")
    assert r.returncode == 0 and b"cat PATH" in r.stdout
    assert b"exit status" in r.stdout
    r = ctl(None, "--version")
    assert r.returncode == 0 and r.stdout.startswith(b"mintctl ")


@pytest.mark.parametrize("args", [
    [], ["frob"], ["--bogus", "ls"], ["--store"], ["cat"],
    ["cat", "a", "b"], ["ls", "-x"], ["ls", "a", "b"], ["add"],
    ["add", "-"], ["add", "f", "a//b"], ["rm", "/a"], ["stat"],
    ["--max-pixels", "lots", "ls"], ["--max-pixels", "0", "ls"],
    ["--max-text", "0", "ls"], ["--cache-size", "-1", "ls"],
])
def test_usage_errors(tmp_path, args):
    s = tmp_path / "store"
    error(ctl(s, *args), status=2)
    assert not s.exists()		# nothing is touched on a usage error


def test_empty_store(tmp_path):
    s = tmp_path / "store"
    assert lines(ok(s, "ls")) == ["Image Manager", "Images"]
    assert lines(ok(s, "ls", "/")) == ["Image Manager", "Images"]
    assert ok(s, "ls", "Images") == b""
    assert ok(s, "ls", "Image Manager") == b""
    assert (os.stat(s).st_mode & 0o777) == 0o700


def test_add_and_views(store, pics):
    assert lines(ok(store, "ls", "Image Manager")) == ["cat.png", "dog.jpg"]
    assert lines(ok(store, "ls", "Images")) == ["cat", "dog"]
    assert lines(ok(store, "ls", "Images/cat")) == FOLDER_ENTRIES
    assert lines(ok(store, "ls", "/Images/cat/original/")) == [
        "cat." + f for f in FORMATS]
    assert len(lines(ok(store, "ls", "Images/dog/counter"))) == \
        10 * len(FORMATS)
    # the stored bytes are the file's bytes
    assert ok(store, "cat", "Image Manager/cat.png") == \
        (pics / "cat.png").read_bytes()


def test_ls_l_sizes_are_cat_sizes(store):
    folders = ["Image Manager"] + [
        "Images/%s/%s" % (o, v) for o in ("cat", "dog")
        for v in ("original", "always_random", "counter")]
    for folder in folders:
        for line in lines(ok(store, "ls", "-l", folder)):
            size, name = line.split("\t")
            data = ok(store, "cat", folder + "/" + name)
            assert int(size) == len(data), (folder, name)
            assert ok(store, "stat", folder + "/" + name).split(
                b"\t")[1] == size.encode()


def test_sized_names(store):
    """sized/ offers the mount's names: every preset, with its length."""
    out = lines(ok(store, "ls", "-l", "Images/cat/sized"))
    # five sizes in pixels in each of the eight formats, five lengths in
    # PNG and JPEG
    assert len(out) == 5 * 8 + 5 * 2
    sizes = dict(reversed(ln.split("\t")) for ln in out)
    assert sizes["cat 200x200.png"] == "168548"
    assert sizes["cat 200x200.gif"] == "62360"
    assert sizes["cat 200x200.tiff"] == "162526"
    assert sizes["cat 5MB-1B.jpeg"] == "4999999"
    assert len(ok(store, "cat", "Images/cat/sized/cat 200x200.png")) == \
        168548
    # a length no file can have: ENOENT, one line saying the smallest
    line = error(ctl(store, "cat", "Images/cat/sized/cat 100B.png"))
    assert "cannot be 100 bytes long; the smallest is" in line


def test_original_and_counter_are_deterministic(store, tmp_path):
    for path in ("Images/cat/original/cat.png", "Images/dog/original/dog.webp",
                 "Images/cat/counter/cat_7.jpeg"):
        a, b = ok(store, "cat", path), ok(store, "cat", path)
        assert a == b, path
    c3 = ok(store, "cat", "Images/dog/counter/dog_3.png")
    c4 = ok(store, "cat", "Images/dog/counter/dog_4.png")
    assert c3 != c4
    assert dims(save(tmp_path, c3)) == (90, 30)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_always_random_differs_every_call(store, tmp_path, fmt):
    path = "Images/cat/always_random/cat." + fmt
    got = [ok(store, "cat", path) for _ in range(3)]
    assert len(set(got)) == 3
    assert len({len(g) for g in got}) == 1
    for i, g in enumerate(got):
        assert dims(save(tmp_path, g, "r%d.%s" % (i, fmt))) == (64, 48)


def test_refused_content(store, pics):
    for name in ("junk.png", "cut.png"):
        line = error(ctl(store, "add", str(pics / name)))
        assert line.startswith("mintctl: %s: refused: " % name), line
    assert lines(ok(store, "ls", "Image Manager")) == ["cat.png", "dog.jpg"]
    # refused content over an existing name keeps the older bytes
    line = error(ctl(store, "add", str(pics / "junk.png"), "cat.png"))
    assert "refused" in line and "Invalid argument" in line
    assert ok(store, "cat", "Image Manager/cat.png") == \
        (pics / "cat.png").read_bytes()


def test_pixel_limit(store, pics):
    line = error(ctl(store, "--max-pixels", "3000", "add",
                     str(pics / "cat.png"), "small.png"))
    assert "refused" in line and "pixel limit" in line, line
    assert "small.png" not in lines(ok(store, "ls", "Image Manager"))
    ok(store, "--max-pixels", "4K", "add", str(pics / "cat.png"), "small.png")
    assert "small" in lines(ok(store, "ls", "Images"))


def test_add_from_stdin(tmp_path, pics):
    s = tmp_path / "store"
    data = (pics / "cat.png").read_bytes()
    ok(s, "add", "-", "piped.png", input=data)
    assert ok(s, "cat", "Image Manager/piped.png") == data
    ok(s, "add", "-", "note 120x80.txt", input="héllo\n".encode())
    out = ok(s, "cat", "Images/note 120x80/original/note 120x80.png")
    assert dims(save(tmp_path, out, "n.png")) == (120, 80)


def test_add_replaces_and_warnings_are_lines(tmp_path, pics):
    s = tmp_path / "store"
    ok(s, "add", str(pics / "cat.png"), "x.png")
    ok(s, "add", str(pics / "dog.jpg"), "x.png")	# like cp over a file
    assert ok(s, "cat", "Image Manager/x.png") == \
        (pics / "dog.jpg").read_bytes()
    # a core warning on success: passed on as one mintctl line
    r = ctl(s, "add", "-", "odd 5x5.txt", input=b"hi")
    assert r.returncode == 0
    assert [ln[:9] for ln in r.err.splitlines()] == ["mintctl: "], r.err


def test_rm(store):
    ok(store, "rm", "cat.png")
    assert lines(ok(store, "ls", "Images")) == ["dog"]
    line = error(ctl(store, "rm", "cat.png"))
    assert line == "mintctl: cat.png: No such file or directory"
    error(ctl(store, "cat", "Images/cat/original/cat.png"))


def test_unknown_paths_and_wrong_types(store):
    for args in (["cat", "Images/nope/original/nope.png"],
                 ["ls", "Images/nope"], ["stat", "nope"],
                 ["cat", "Images/cat/original/cat.svg"]):
        assert error(ctl(store, *args)).endswith(
            ": No such file or directory"), args
    assert error(ctl(store, "cat", "Images")).endswith(": Is a directory")
    assert error(ctl(store, "ls", "Images/cat/original/cat.png")).endswith(
        ": Not a directory")
    assert error(ctl(store, "add", "/nonexistent/x.png")) == \
        "mintctl: /nonexistent/x.png: No such file or directory"


def test_stat(store):
    kind, size, mode, mtime = ok(store, "stat", "Images").decode().rstrip(
        "\n").split("\t")
    assert kind == "directory" and mode == "0555"
    kind, size, mode, mtime = ok(
        store, "stat", "Images/cat/original/cat.png").decode().rstrip(
        "\n").split("\t")
    assert kind == "file" and mode == "0444"
    assert int(size) == len(ok(store, "cat", "Images/cat/original/cat.png"))
    assert len(mtime) == 20 and mtime.endswith("Z") and mtime[10] == "T"


def test_unusable_store(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    line = error(ctl(f / "store", "ls"))
    assert line.endswith("Not a directory"), line
    wide = tmp_path / "wide"
    wide.mkdir()
    os.chmod(wide, 0o777)
    assert "chmod 700" in error(ctl(wide, "ls"))


def test_store_without_permission(tmp_path):
    """A store the user may not create or open: one line, status 1."""
    parent = tempfile.mkdtemp()
    try:
        os.chmod(parent, 0o555)
        kw = {}
        if os.geteuid() == 0:	# root ignores modes: be nobody
            kw["preexec_fn"] = lambda: (os.setgid(65534), os.setuid(65534))
            if ctl(None, "--version", **kw).returncode != 0:
                pytest.skip("nobody cannot run " + MINTCTL)
        line = error(ctl(os.path.join(parent, "store"), "ls", **kw))
        assert line.endswith("Permission denied"), line
    finally:
        os.chmod(parent, 0o755)
        os.rmdir(parent)


def test_default_store(tmp_path, pics):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    ok(None, "add", str(pics / "cat.png"), env=env)
    assert os.path.isdir(tmp_path / "xdg" / "mintfs" / "blobs")
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    env.pop("XDG_DATA_HOME", None)
    ok(None, "add", str(pics / "cat.png"), env=env)
    assert lines(ok(tmp_path / "home/.local/share/mintfs", "ls",
                    "Images")) == ["cat"]


def test_sigpipe(tmp_path, pics):
    """A reader that stops early ends mintctl quietly, with status 0."""
    s = tmp_path / "store"
    ok(s, "add", str(pics / "big.png"))
    for path in ("Images/big/always_random/big.png",
                 "Images/big/original/big.png", "Image Manager/big.png"):
        r = subprocess.run(
            ["bash", "-o", "pipefail", "-c",
             '"$0" --store "$1" cat "$2" | head -c 10 >/dev/null',
             MINTCTL, str(s), path], capture_output=True, timeout=60)
        assert r.returncode == 0 and r.stderr == b"", r.stderr


def test_refuses_a_mounted_store(mount_factory, tmp_path, pics):
    m = mount_factory()
    line = error(ctl(m.store, "add", str(pics / "cat.png")))
    assert "in use by a mounted mintfs" in line, line
    assert os.listdir(m.im) == []		# and changed nothing
    assert m.alive()


def test_store_made_by_mintctl_mounts(mount_factory, tmp_path, pics):
    store = tmp_path / "m" / "store"	# where mount_factory looks
    ok(store, "add", str(pics / "cat.png"))
    ok(store, "add", "-", "note.txt", input=b"hello")
    orig = ok(store, "cat", "Images/cat/original/cat.webp")
    m = mount_factory(name="m")
    assert sorted(os.listdir(m.im)) == ["cat.png", "note.txt"]
    assert sorted(os.listdir(m.images)) == ["cat", "note"]
    with open(m.path("Images/cat/original/cat.webp"), "rb") as f:
        assert f.read() == orig
    with open(m.path("Image Manager/cat.png"), "rb") as f:
        assert f.read() == (pics / "cat.png").read_bytes()
