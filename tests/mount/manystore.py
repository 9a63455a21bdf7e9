"""A store of many originals, made in a second without encoding any: one
small PNG blob, and one catalog row per name naming it, written through
the documented schema (docs/STORE.md) into a store mintfs has created.
The rows come without an Images folder, as rows from catalog version 1
do; mintfs gives each its folder when it next opens the store."""
import hashlib
import os
import sqlite3
import struct
import zlib


def tiny_png(w=4, h=4, rgb=(200, 30, 30)):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    raw = b"".join(b"\0" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def fill_store(store, count, name="p%05d.png"):
    """Add `count` originals named name % i to the store at `store`
    (created by a mount that is stopped now). Returns the blob's bytes."""
    data = tiny_png()
    h = hashlib.sha256(data).hexdigest()
    d = os.path.join(store, "blobs", h[:2])
    os.makedirs(d, mode=0o700, exist_ok=True)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)
    db = sqlite3.connect(os.path.join(store, "catalog.db"))
    try:
        with db:
            db.executemany(
                "INSERT INTO originals (name, hash, size, mode, atime_ns, "
                "mtime_ns, ctime_ns) VALUES (?, ?, ?, 420, 0, 0, 0)",
                ((name % i, h, len(data)) for i in range(count)))
    finally:
        db.close()
    return data
