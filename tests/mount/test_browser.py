"""A real browser uploads files straight from the mount.

Debian's chromium, driven by playwright-core (tests/browser/upload.mjs),
opens a small upload page served by this test on 127.0.0.1, selects files
under Images/ by their real paths (so chromium itself opens and reads them
through FUSE, and sends Content-Length from stat) and uploads them twice:
once as one multipart form, once as one raw POST body per file. The server
keeps every body; the test then checks each one (length = stat size,
decodes to the original's dimensions, the two uploads of an always_random
file differ, original/ and counter/ uploads are the bytes on the mount),
what the browser itself decoded when it showed the uploads, and a
screenshot of the page. always_random's GIF and BMP go too. One file of each test-case folder goes too: an
exif/ file stored turned, which the browser shows upright; a broken/ file,
which arrives byte for byte and which the browser refuses or shows at the
size it declares; an animated/ GIF; a distinct/ file, new on every
open like always_random's; and always_random AVIFs, one a grid of tiles.

Needs node, chromium and `npm ci --prefix tests/browser` (all done by
`make deps`). Without them the test is skipped, or fails when
MINTFS_BROWSER=required.
"""
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from images import run

BROWSER_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_COPY = "/tmp/mintfs-browser.png"
FORMATS = ("png", "jpeg", "webp")
# ImageMagick names a BMP with a BITMAPINFOHEADER, as an RGB picture's is,
# by that version: BMP3; its HEIC coder reads AVIF
MAGICK_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF",
                 "bmp": "BMP3", "avif": "HEIC"}
CONTENT_TYPE = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
                "gif": "image/gif", "bmp": "image/bmp", "avif": "image/avif"}


def need_browser():
    """The node binary, or skip (fail with MINTFS_BROWSER=required)."""
    node = shutil.which("node")
    missing = []
    if not node:
        missing.append("node (apt-get install nodejs npm)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("%s (apt-get install chromium)" % CHROMIUM)
    if not os.path.exists(os.path.join(BROWSER_DIR, "node_modules",
                                       "playwright-core", "package.json")):
        missing.append("playwright-core (npm ci --prefix tests/browser)")
    if missing:
        why = "browser upload needs " + ", ".join(missing) + \
            "; `make deps` installs them"
        if os.environ.get("MINTFS_BROWSER") == "required":
            pytest.fail(why)
        pytest.skip(why)
    return node


def parse_form(ctype, body):
    """multipart/form-data -> {field name: (file name, bytes)}, exactly."""
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    assert m, ctype
    delim = b"\r\n--" + m.group(1).encode()
    pieces = (b"\r\n" + body).split(delim)
    assert pieces[0] == b"" and pieces[-1].startswith(b"--"), "bad form"
    parts = {}
    for piece in pieces[1:-1]:
        assert piece.startswith(b"\r\n")
        head, data = piece[2:].split(b"\r\n\r\n", 1)
        head = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', head).group(1)
        fname = re.search(r'\bfilename="([^"]*)"', head)
        parts[name] = (fname.group(1) if fname else None, data)
    return parts


class Server:
    """The upload page and an endpoint that keeps every body it gets."""

    def __init__(self):
        with open(os.path.join(BROWSER_DIR, "upload.html"), "rb") as f:
            self.page = f.read()
        self.got = {}            # (round, index) -> dict
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, *args):
                pass

            def reply(self, code, body, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                m = re.fullmatch(r"/got/(\d+)/(\d+)", url.path)
                if url.path == "/":
                    self.reply(200, server.page, "text/html; charset=utf-8")
                elif m and (int(m[1]), int(m[2])) in server.got:
                    g = server.got[(int(m[1]), int(m[2]))]
                    ext = g["name"].rsplit(".", 1)[-1]
                    self.reply(200, g["body"], CONTENT_TYPE.get(
                        ext, "application/octet-stream"))
                else:
                    self.reply(404, b"not found", "text/plain")

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                rnd = int(q["round"])
                if url.path == "/upload/form":
                    parts = parse_form(self.headers["Content-Type"], body)
                    urls = {}
                    for key, (fname, data) in parts.items():
                        i = int(key[1:])
                        with server.lock:
                            server.got[(rnd, i)] = {
                                "name": fname, "body": data, "length": None,
                                "kind": "form"}
                        urls[i] = "/got/%d/%d" % (rnd, i)
                    self.reply(200, json.dumps(urls).encode(),
                               "application/json")
                elif url.path == "/upload/raw":
                    i = int(q["i"])
                    with server.lock:
                        server.got[(rnd, i)] = {
                            "name": q["name"], "body": body,
                            "length": length, "kind": "raw"}
                    self.reply(200, json.dumps(
                        {"url": "/got/%d/%d" % (rnd, i)}).encode(),
                        "application/json")
                else:
                    self.reply(404, b"not found", "text/plain")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.url = "http://127.0.0.1:%d/" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def identify(paths):
    """[(format, width, height)] for each file (its first frame), in one
    identify call."""
    out = subprocess.run(["identify", "-format", "%m %w %h\n"] +
                         [p + "[0]" for p in paths],
                         check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


def drive(node, url, listing, shot, timeout=120):
    """Run upload.mjs in its own process group, so that a hung run takes
    chromium down with it."""
    p = subprocess.Popen([node, os.path.join(BROWSER_DIR, "upload.mjs"),
                          url, str(listing), str(shot)], cwd=BROWSER_DIR,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        stdout, stderr = p.communicate()
        stderr += "\n(killed after %d s)" % timeout
    return p.returncode, stdout, stderr


def test_browser_uploads_from_the_mount(mount_factory, tmp_path):
    node = need_browser()
    t0 = time.monotonic()
    # -d: the trace shows chromium's own opens and reads of each file.
    m = mount_factory("-d")
    src = tmp_path / "src"
    src.mkdir()
    originals = {"plasma.jpg": (320, 200), "rgba.png": (120, 90),
                 "big.jpg": (1600, 1000)}
    run("convert", "-size", "320x200", "plasma:red-blue", "-quality", "90",
        str(src / "plasma.jpg"))
    run("convert", "-size", "120x90", "xc:none", "-fill", "rgba(255,0,0,0.5)",
        "-draw", "circle 60,45 60,5", "-define", "png:color-type=6",
        str(src / "rgba.png"))
    run("convert", "-size", "1600x1000", "plasma:green-blue", "-quality",
        "92", str(src / "big.jpg"))
    for name in originals:
        shutil.copy(src / name, m.im)

    # (path, (w, h) as shown, always_random?)
    files = []
    for name, wh in originals.items():
        st = name.rsplit(".", 1)[0]
        for f in FORMATS:
            files.append((m.path("Images", st, "always_random",
                                 "%s.%s" % (st, f)), wh, True))
    # AVIF, which chromium decodes: one tile, and a grid of 4 x 2
    for st, wh in (("plasma", originals["plasma.jpg"]),
                   ("big", originals["big.jpg"])):
        files.append((m.path("Images", st, "always_random", st + ".avif"),
                      wh, True))
    plasma = originals["plasma.jpg"]
    # GIF and BMP as well, which chromium shows (TIFF it does not)
    for f in ("gif", "bmp"):
        files.append((m.path("Images", "plasma", "always_random",
                             "plasma." + f), plasma, True))
    # distinct/: a new variation on every open, at the original's size
    files.append((m.path("Images", "plasma", "distinct", "plasma.jpeg"),
                  plasma, True))
    for v, f in (("original", "plasma.png"), ("counter", "plasma_3.jpeg"),
                 ("exif", "plasma_orientation_6.jpeg"),
                 ("broken", "plasma_truncated.jpeg"),
                 ("animated", "plasma.gif")):
        files.append((m.path("Images", "plasma", v, f), plasma, False))
    # stored turned: (w, h) swapped until the tag is applied
    stored_wh = {p: (wh[1], wh[0]) if "/exif/" in p and "_6." in p else wh
                 for p, wh, _ in files}
    broken = {p for p, _, _ in files if "/broken/" in p}
    sizes = [os.stat(p).st_size for p, _, _ in files]
    fixed = {}
    for p, _, rnd in files:
        if not rnd:
            with open(p, "rb") as f:
                fixed[p] = f.read()
    listing = tmp_path / "files.json"
    listing.write_text(json.dumps([p for p, _, _ in files]))
    shot = tmp_path / "browser.png"
    t_ready = time.monotonic()

    with Server() as server:
        rc, stdout, stderr = drive(node, server.url, listing, shot)
    t_browser = time.monotonic()
    if os.path.exists(shot):
        shutil.copy(shot, SCREENSHOT_COPY)
    assert rc == 0, "upload.mjs failed (%s):\n%s" % (rc, stderr[-3000:])
    out = json.loads(stdout.strip().splitlines()[-1])
    assert out["rounds"] == ["done", "done"], out
    assert out["errors"] == [], out["errors"]

    # What the server received.
    rounds = (1, 2)
    assert sorted(server.got) == [(rd, i) for rd in rounds
                                  for i in range(len(files))]
    saved = []
    for (rd, i), g in sorted(server.got.items()):
        path, _, _ = files[i]
        ext = path.rsplit(".", 1)[-1]
        assert g["name"] == os.path.basename(path), (rd, i, g["name"])
        assert len(g["body"]) == sizes[i], (path, rd, len(g["body"]))
        if g["length"] is not None:
            assert g["length"] == sizes[i], (path, rd, g["length"])
        out_path = tmp_path / ("got-%d-%02d.%s" % (rd, i, ext))
        out_path.write_bytes(g["body"])
        if path not in broken:
            saved.append((path, rd, str(out_path)))
    decoded = identify([s for _, _, s in saved])
    assert len(decoded) == len(saved), decoded
    for k, (path, rd, _) in enumerate(saved):
        ext = path.rsplit(".", 1)[-1]
        assert decoded[k] == (MAGICK_FORMAT[ext],) + stored_wh[path], \
            (path, rd, decoded[k])
    for i, (path, _, is_random) in enumerate(files):
        first, second = server.got[(1, i)]["body"], server.got[(2, i)]["body"]
        if is_random:
            assert first != second, "two uploads of %s are identical" % path
        else:
            assert first == second == fixed[path], path

    # What chromium decoded when it showed the uploads.
    seen = {(x["round"], x["i"]): x for x in out["results"]}
    assert sorted(seen) == sorted(server.got)
    for (rd, i), x in seen.items():
        path, (w, h), _ = files[i]
        assert x["size"] == sizes[i], (path, rd, x)
        if path in broken and "error" in x:
            continue            # refused cleanly: what it is for
        assert "error" not in x, (path, rd, x)
        # the exif/ file upright: chromium applies the orientation
        assert (x["width"], x["height"]) == (w, h), (path, rd, x)

    # Chromium opened every always_random file itself, once per upload.
    log = m.log()
    for path, _, is_random in files:
        rel = "/" + os.path.relpath(path, m.mnt)
        opens = len(re.findall(r"\bopen +%s " % re.escape(rel), log))
        if is_random:
            assert opens >= 2, (rel, opens)

    # The screenshot shows images, not a blank page.
    info = subprocess.run(
        ["identify", "-format", "%w %h %k %[fx:standard_deviation]",
         str(shot)], check=True, capture_output=True, text=True).stdout
    w, h, colours, stdev = info.split()
    assert int(w) >= 800 and int(h) >= 300, info
    assert int(colours) > 1000 and float(stdev) > 0.05, info
    print("browser test: setup %.1f s, chromium %.1f s, checks %.1f s"
          % (t_ready - t0, t_browser - t_ready, time.monotonic() - t_browser))


def test_browser_size_limit(mount_factory, tmp_path):
    """sized/ at the byte either side of a page's 5 MB limit: the page
    takes the 5MB-1B JPEG, whole and decodable, and refuses the 5MB+1B."""
    node = need_browser()
    m = mount_factory()
    run("convert", "-size", "320x200", "plasma:red-blue", "-quality", "90",
        str(tmp_path / "plasma.jpg"))
    shutil.copy(tmp_path / "plasma.jpg", m.im)
    under = m.path("Images", "plasma", "sized", "plasma 5MB-1B.jpeg")
    over = m.path("Images", "plasma", "sized", "plasma 5MB+1B.jpeg")
    assert os.stat(under).st_size == 5 * 10**6 - 1
    assert os.stat(over).st_size == 5 * 10**6 + 1
    listing = tmp_path / "files.json"
    listing.write_text(json.dumps([under, over]))
    shot = tmp_path / "browser.png"
    with Server() as server:
        rc, stdout, stderr = drive(node, server.url + "?limit=5000000",
                                   listing, shot)
    assert rc == 0, "upload.mjs failed (%s):\n%s" % (rc, stderr[-3000:])
    out = json.loads(stdout.strip().splitlines()[-1])
    assert out["rounds"] == ["done", "done"], out
    assert out["errors"] == [], out["errors"]
    assert sorted(server.got) == [(1, 0), (2, 0)]
    bodies = [server.got[k]["body"] for k in sorted(server.got)]
    assert [len(b) for b in bodies] == [5 * 10**6 - 1] * 2
    assert bodies[0] != bodies[1]
    seen = {(x["round"], x["i"]): x for x in out["results"]}
    for rd in (1, 2):
        assert "refused" not in seen[(rd, 0)], seen
        assert (seen[(rd, 0)]["width"], seen[(rd, 0)]["height"]) == \
            (320, 200), seen
        assert seen[(rd, 1)]["refused"], seen
        assert seen[(rd, 1)]["size"] == 5 * 10**6 + 1
    saved = tmp_path / "got.jpeg"
    saved.write_bytes(bodies[1])
    assert identify([str(saved)]) == [("JPEG", 320, 200)]
