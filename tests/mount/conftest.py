"""Mount fixtures: a real mintfs on a fresh store and mount point.

Every mount is started with `mintfs -f`, waited for, and always unmounted
(fusermount3 -u, then kill) when the test ends, pass or fail. A test fails
if mintfs died under it or its log shows a sanitizer report.
"""
import os
import shutil
import subprocess
import time

import pytest

MINTFS = os.environ.get("MINTFS") or os.path.abspath("build/mintfs")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fuse_available():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3")


class Mount:
    """One mintfs process serving `mnt` from `store`."""

    def __init__(self, base, args=(), binary=None, env=None):
        self.base = str(base)
        self.binary = binary or MINTFS
        self.env = env
        self.store = os.path.join(self.base, "store")
        self.mnt = os.path.join(self.base, "mnt")
        self.logpath = os.path.join(self.base, "mintfs.log")
        self.args = list(args)
        self.proc = None
        os.makedirs(self.mnt, exist_ok=True)

    @property
    def im(self):
        return os.path.join(self.mnt, "Image Manager")

    @property
    def images(self):
        return os.path.join(self.mnt, "Images")

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def start(self):
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "-f", "--store", self.store, *self.args, self.mnt],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, **(self.env or {})))
        log.close()
        deadline = time.monotonic() + 20
        while not os.path.ismount(self.mnt):
            if self.proc.poll() is not None:
                raise RuntimeError("mintfs exited %d: %s"
                                   % (self.proc.returncode, self.log()))
            if time.monotonic() > deadline:
                raise RuntimeError("mount did not appear: " + self.log())
            time.sleep(0.02)
        return self

    def mounted(self):
        """In /proc/mounts: true for a dead mount too (ENOTCONN), which
        os.path.ismount cannot see."""
        target = self.mnt.replace(" ", "\\040")
        with open("/proc/mounts") as f:
            return any(line.split()[1] == target for line in f)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Unmount and wait for the process; returns its exit status.
        Also after mintfs died: the dead mount is dropped lazily."""
        if self.proc is None:
            return None
        for _ in range(100):
            if not self.mounted():
                break
            lazy = ["-z"] if self.proc.poll() is not None else []
            r = subprocess.run(["fusermount3", "-u", *lazy, self.mnt],
                               capture_output=True)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["fusermount3", "-u", "-z", self.mnt],
                           capture_output=True)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer",
                   "ThreadSanitizer", "UndefinedBehaviorSanitizer")


@pytest.fixture
def mount_factory(tmp_path):
    if not fuse_available():
        pytest.skip("no /dev/fuse or fusermount3")
    made = []

    def make(*args, name="m"):
        m = Mount(tmp_path / name, args)
        made.append(m)
        return m.start()

    yield make
    problems = []
    for m in made:
        if m.proc is not None and not m.alive():
            problems.append("mintfs died (%s): %s"
                            % (m.proc.returncode, m.log()[-2000:]))
        rc = m.stop()
        log = m.log()
        if any(mark in log for mark in SANITIZER_MARKS):
            problems.append("sanitizer report:\n" + log[-4000:])
        elif rc not in (0, None):
            problems.append("mintfs exit status %s: %s" % (rc, log[-2000:]))
    if problems:
        pytest.fail("\n".join(problems))


@pytest.fixture(params=["mt", "single"])
def mount(request, mount_factory):
    """A fresh mount, multi-threaded and again with -s."""
    args = ("-s",) if request.param == "single" else ()
    return mount_factory(*args)


@pytest.fixture
def mount1(mount_factory):
    """A fresh multi-threaded mount (for tests not worth running twice)."""
    return mount_factory()
