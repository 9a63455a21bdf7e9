"""Ten thousand originals: every change and lookup costs what it costs
with ten (the figures are in `make bench`); here, that all of it is right."""
import os
import shutil
import time

from manystore import fill_store, tiny_png

COUNT = 10000


def test_ten_thousand_originals(mount1, tmp_path):
    m = mount1
    m.stop()
    data = fill_store(m.store, COUNT)
    m.start()
    names = os.listdir(m.images)
    assert len(names) == COUNT
    assert sorted(names) == ["p%05d" % i for i in range(COUNT)]
    assert len(os.listdir(m.im)) == COUNT
    assert os.stat(m.images).st_nlink == 2 + COUNT

    p = os.path.join(m.images, "p04321", "original", "p04321.png")
    with open(p, "rb") as f:
        assert len(f.read()) == os.stat(p).st_size
    with open(os.path.join(m.im, "p09999.png"), "rb") as f:
        assert f.read() == data

    # one more, a rename and an unlink: each seen at once
    src = tmp_path / "new.png"
    src.write_bytes(tiny_png(rgb=(0, 90, 200)))
    shutil.copy(src, os.path.join(m.im, "p00000.jpg"))
    assert "p00000.jpg" in os.listdir(m.images)   # p00000 is taken
    os.rename(os.path.join(m.im, "p00001.png"), os.path.join(m.im, "z.png"))
    os.unlink(os.path.join(m.im, "p00002.png"))
    names = set(os.listdir(m.images))
    assert len(names) == COUNT
    assert {"p00000", "p00000.jpg", "z"} <= names
    assert not {"p00001", "p00002"} & names
    assert os.stat(m.images).st_nlink == 2 + len(names)
    assert os.path.exists(os.path.join(m.images, "p00000.jpg", "counter",
                                       "p00000.jpg_9.webp"))
    m.restart()
    assert set(os.listdir(m.images)) == names
    assert os.stat(m.images).st_nlink == 2 + len(names)
    # an image emptied (committed at the release) has no folder
    open(os.path.join(m.im, "p00003.png"), "wb").close()
    deadline = time.monotonic() + 10
    while "p00003" in os.listdir(m.images):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert os.stat(m.images).st_nlink == 2 + len(names) - 1
