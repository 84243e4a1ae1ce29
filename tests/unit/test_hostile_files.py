"""Hostile and broken files, made here: each gets a clear per-file reason (or imports, when
what is left is still a picture), nothing hangs or crashes, and a failed file leaves the
library exactly as it was.

The corpus' own broken files are covered by test_corpus_import.py; these are the cases a
crafted file can reach: truncation at every tenth of the length, random bytes behind real
magic numbers, decompression bombs, XMP that is huge or deeply nested, EXIF whose offsets loop
or point outside the file, 10 MB text chunks and zTXt bombs, malformed C2PA boxes, odd file
names, symbolic-link loops, FIFOs and devices among the files.
"""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from inkseal.library.importer import import_paths
from inkseal.library.scan import scan_file
from tests.conftest import REPO
from tests.images import gradient

# No single hostile file may hold an import up for longer than this (the suite's machine is
# slow and shared; a real hang is minutes).
PER_FILE_SECONDS = 10.0


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int = 32, height: int = 24, extra: bytes = b"") -> bytes:
    buf = io.BytesIO()
    gradient((width, height)).save(buf, "PNG")
    data = buf.getvalue()
    return data[:33] + extra + data[33:]  # after IHDR


def _jpeg(app: bytes = b"", size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    gradient(size).save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    return data[:2] + app + data[2:]


def _app(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _samples() -> dict[str, bytes]:
    out = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif"),
                     ("TIFF", "tif"), ("BMP", "bmp")):  # fmt: skip
        buf = io.BytesIO()
        gradient((160, 120), mode="RGB" if fmt != "GIF" else "P").save(buf, fmt)
        out[ext] = buf.getvalue()
    return out


def _check_import(lib, path: Path) -> object:
    """Import one file; assert the per-file contract; return its outcome."""
    before = _library_files(lib.root)
    started = time.monotonic()
    report = import_paths(lib, [str(path)])
    elapsed = time.monotonic() - started
    assert elapsed < PER_FILE_SECONDS, f"{path.name} took {elapsed:.1f} s"
    (outcome,) = report.outcomes
    if outcome.status == "failed":
        assert outcome.reason and "\n" not in outcome.reason, outcome
        assert "Traceback" not in outcome.reason
        assert _library_files(lib.root) == before, f"{path.name} left files behind"
    else:
        assert outcome.status in ("added", "duplicate"), outcome
    # The same file through the read-only scanner: a result or an error line, never a raise.
    scanned = scan_file(path)
    assert scanned.error is None or "\n" not in scanned.error
    return outcome


def _library_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("library.sqlite") and p.parent.name != "tmp"
    }


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "gif", "tif", "bmp"])
def test_truncated_at_every_tenth(lib, tmp_path: Path, ext: str) -> None:
    data = _samples()[ext]
    for tenth in range(1, 10):
        cut = data[: len(data) * tenth // 10]
        path = tmp_path / f"cut-{tenth}0pc.{ext}"
        path.write_bytes(cut)
        _check_import(lib, path)


MAGIC = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff\xe0",
    "gif": b"GIF89a",
    "webp": b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    "tif": b"II*\x00\x08\x00\x00\x00",
    "tif-be": b"MM\x00*\x00\x00\x00\x08",
    "bmp": b"BM",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "avif": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",
}


@pytest.mark.parametrize("kind", sorted(MAGIC))
def test_random_bytes_behind_a_real_magic_number(lib, tmp_path: Path, kind: str) -> None:
    rng = random.Random(kind)
    for i in range(5):
        path = tmp_path / f"random-{i}.{kind.split('-')[0]}"
        path.write_bytes(MAGIC[kind] + rng.randbytes(rng.choice([16, 500, 20000])))
        outcome = _check_import(lib, path)
        assert outcome.status == "failed"


def _png_declaring(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + (_png_chunk(b"IEND", b""))
    )


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(_jpeg())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _gif_declaring(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("P", (8, 8)).save(buf, "GIF")
    data = bytearray(buf.getvalue())
    struct.pack_into("<HH", data, 6, width, height)
    return bytes(data)


BOMBS = {
    "png-100k-square.png": lambda: _png_declaring(100_000, 100_000),
    "png-wide.png": lambda: _png_declaring(2**31 - 1, 1),
    "jpeg-65k-square.jpg": lambda: _jpeg_declaring(65_000, 65_000),
    "gif-65k-square.gif": lambda: _gif_declaring(65_535, 65_535),
}

BOMB_RUNNER = """
import resource, sys, time
from pathlib import Path
from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
with open_library(sys.argv[1]) as lib:
    for name in sys.argv[2:]:
        t = time.monotonic()
        (o,) = import_paths(lib, [name]).outcomes
        print(f"{o.status}\\t{time.monotonic() - t:.2f}\\t{o.reason}")
# ru_maxrss survives exec, so it would report the test runner's own size; the high-water
# mark of this process's memory map (Linux) starts fresh with the interpreter.
try:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"maxrss_mb\\t{kb / 1024:.0f}")
"""


def test_decompression_bombs_are_refused_within_time_and_memory(tmp_path: Path) -> None:
    files = []
    for name, make in BOMBS.items():
        (tmp_path / name).write_bytes(make())
        files.append(str(tmp_path / name))
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_RUNNER, str(tmp_path / "L"), *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line.split("\t") for line in proc.stdout.splitlines()]
    *results, (_, maxrss) = lines
    for name, (status, seconds, reason) in zip(BOMBS, results, strict=True):
        assert status == "failed", (name, reason)
        assert float(seconds) < PER_FILE_SECONDS, (name, seconds)
    # Python, Qt-free Inkseal and Pillow take about 100 MB; a decoded bomb would be gigabytes.
    assert float(maxrss) < 600, f"peak memory {maxrss} MB"


def _xmp(body: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + body + "</rdf:RDF></x:xmpmeta>"
    ).encode()


def _itxt(keyword: bytes, text: bytes, compressed: bool = False) -> bytes:
    payload = zlib.compress(text) if compressed else text
    return _png_chunk(
        b"iTXt", keyword + b"\x00" + bytes([int(compressed), 0]) + b"\x00\x00" + payload
    )


def test_metadata_built_to_exhaust(lib, tmp_path: Path) -> None:
    nested = "<rdf:Description>" * 20000 + "</rdf:Description>" * 20000
    entity_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
        b"]><x>&e;&e;&e;&e;&e;&e;&e;&e;</x>"
    )
    cases = {
        "xmp-nested.png": _png(extra=_itxt(b"XML:com.adobe.xmp", _xmp(nested))),
        "xmp-huge.png": _png(extra=_itxt(b"XML:com.adobe.xmp", _xmp("<a>" + "x" * 6 * 10**6))),
        "xmp-entities.png": _png(extra=_itxt(b"XML:com.adobe.xmp", entity_bomb)),
        "xmp-huge.jpg": _jpeg(
            _app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + _xmp("<a>" + "y" * 60000 + "</a>"))
        ),
        "text-10mb.png": _png(extra=_png_chunk(b"tEXt", b"parameters\x00" + b"p" * 10_000_000)),
        "ztxt-bomb.png": _png(
            extra=_png_chunk(b"zTXt", b"parameters\x00\x00" + zlib.compress(b"a" * 300_000_000))
        ),
        "itxt-bomb.png": _png(extra=_itxt(b"prompt", b"{" * 200_000_000, compressed=True)),
        "many-chunks.png": _png(extra=_png_chunk(b"tEXt", b"k\x00v") * 50_000),
    }  # fmt: skip
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        outcome = _check_import(lib, path)
        # The pictures themselves are fine: the metadata is dropped or cut, not the file.
        assert outcome.status == "added", (name, outcome)


def _exif(entries: list[tuple[int, int, int, bytes]], next_ifd: int | None = None) -> bytes:
    """A little-endian TIFF structure: IFD0 at offset 8 with `entries` (tag, type, count,
    4-byte value or offset), then a next-IFD offset (default: none)."""
    body = struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
    body += struct.pack("<I", next_ifd or 0)
    return b"Exif\x00\x00" + body


def test_exif_with_loops_and_wild_offsets(lib, tmp_path: Path) -> None:
    cases = {
        "exif-self-loop.jpg": _exif([(0x010F, 2, 4, b"Cam\x00")], next_ifd=8),
        "exif-subifd-loop.jpg": _exif([(0x8769, 4, 1, struct.pack("<I", 8))]),
        "exif-offset-outside.jpg": _exif([(0x010E, 2, 500, struct.pack("<I", 0x7FFFFFF0))]),
        "exif-huge-count.jpg": _exif([(0x9286, 7, 0xFFFFFFFF, struct.pack("<I", 26))]),
        "exif-gps-loop.jpg": _exif([(0x8825, 4, 1, struct.pack("<I", 8))]),
        "exif-truncated.jpg": _exif([(0x010F, 2, 40, struct.pack("<I", 20))])[:20],
    }
    for name, exif in cases.items():
        path = tmp_path / name
        path.write_bytes(_jpeg(_app(0xE1, exif)))
        outcome = _check_import(lib, path)
        assert outcome.status == "added", (name, outcome)


def test_malformed_content_credentials(lib, tmp_path: Path) -> None:
    rng = random.Random(7)
    jumbf = b"JP" + struct.pack(">HI", 0x0001, 1) + struct.pack(">I", 0xFFFFFFF0) + b"jumb"
    cases = {
        "c2pa-garbage.jpg": _jpeg(_app(0xEB, jumbf + rng.randbytes(300))),
        "c2pa-short.jpg": _jpeg(_app(0xEB, b"JP\x00")),
        "c2pa-garbage.png": _png(extra=_png_chunk(b"caBX", rng.randbytes(400))),
        "c2pa-empty.png": _png(extra=_png_chunk(b"caBX", b"")),
        "c2pa-lying-box.png": _png(
            extra=_png_chunk(b"caBX", struct.pack(">I", 2**31) + b"jumb" + rng.randbytes(64))
        ),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        outcome = _check_import(lib, path)
        assert outcome.status == "added", (name, outcome)


ODD_NAMES = [
    "new\nline.png",
    "tab\there.png",
    "right\u202eto-left gnp.png",
    "zero\u200bwidth.png",
    "emoji 🖌️.png",
    "漢字のなまえ.png",
    "quote\"and'apostrophe.png",
    "back\\slash.png",
    "<b>html<\\b>.png",
    "\x1b[31mansi.png",
    "-starts-with-dash.png",
    ("x" * 251) + ".png",  # 255 bytes, the most a name can have
    ("名" * 83) + ".png",  # 249 + 4 bytes in UTF-8
]


def test_file_names_with_every_odd_character(lib, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    for i, name in enumerate(ODD_NAMES):
        assert len(name.encode()) <= 255
        gradient((40, 30), seed=i).save(folder / name, "PNG")
    report = import_paths(lib, [str(folder)])
    assert report.added == len(ODD_NAMES), [o.reason for o in report.outcomes if o.reason]
    from inkseal.library.works import list_works

    titles = {w.title for w in list_works(lib)}
    assert all("\n" not in t and "\x1b" not in t for t in titles), titles


def test_links_loops_fifos_and_devices_in_a_dropped_folder(lib, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "inner").mkdir(parents=True)
    gradient((40, 30)).save(folder / "inner" / "real.png", "PNG")
    os.symlink(folder, folder / "inner" / "loop")  # a folder that contains itself
    os.symlink(folder / "inner" / "missing.png", folder / "dangling.png")
    os.symlink("/dev/zero", folder / "endless.png")
    os.mkfifo(folder / "pipe.png")
    os.symlink(folder / "self.png", folder / "self.png")  # a link to itself
    started = time.monotonic()
    report = import_paths(lib, [str(folder)])
    assert time.monotonic() - started < PER_FILE_SECONDS * 2
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["real.png"].status == "added"
    for name in ("dangling.png", "endless.png", "pipe.png", "self.png"):
        assert by_name[name].status == "failed" and by_name[name].reason, name
    assert "loop" not in {Path(o.path).parent.name for o in report.outcomes}


def test_an_unreadable_file_says_why(lib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.png"
    gradient((40, 30)).save(path, "PNG")
    real_open = open

    def refusing(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    real_os_open = os.open

    def refusing_os(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(file, *args, **kwargs)

    # The tests run as root, whom file modes do not stop: refuse the read itself, whether
    # it opens a file object or a descriptor.
    monkeypatch.setattr("builtins.open", refusing)
    monkeypatch.setattr("os.open", refusing_os)
    (outcome,) = import_paths(lib, [str(path)]).outcomes
    monkeypatch.undo()
    assert outcome.status == "failed" and "permission" in outcome.reason.lower(), outcome
