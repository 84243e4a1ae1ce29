"""Reading one file and finding out what it is and what it says about itself.

Shared by import (which then stores the file) and scan (which only reports). Everything here
reads; nothing writes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inkseal.library.detect.base import IPTC_KEYS, XMP_KEYS, FileFacts
from inkseal.library.detect.run import Detection, detect_file
from inkseal.library.formats import Format, camera_raw_kind, dimensions, sniff
from inkseal.library.imaging import MAX_PIXELS, DecodeError, open_image

if TYPE_CHECKING:
    from PIL import Image

    from inkseal.library.pngchunks import TextChunk

# Larger files are refused rather than read whole into memory.
MAX_FILE_BYTES = 1 << 30
SUPPORTED = "JPEG, PNG, WebP, GIF, TIFF, BMP, HEIC/HEIF or AVIF"


class ReadError(Exception):
    """The file cannot be used; the message is one line for the user."""

    def __init__(self, reason: str, sha256: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sha256 = sha256


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot be read: {exc.strerror or one_line(exc)}"


@dataclass(frozen=True)
class RawFile:
    path: Path
    data: bytes
    sha256: str
    mtime: datetime


def _read_up_to(path: Path, want: int) -> bytes:
    """Up to `want` bytes from the start of a file, read on a plain file descriptor (a
    buffered file object costs more than the read itself for small files), asking again
    while the system hands back less and the file has more."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        pieces: list[bytes] = []
        got = 0
        while got < want:
            piece = os.read(fd, want - got)
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)
    finally:
        os.close(fd)


def read_file(path: Path) -> RawFile:
    """The whole file in memory with its SHA-256, or ReadError saying why not."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ReadError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file")
        if st.st_size == 0:
            raise ReadError("the file is empty (0 bytes)")
        if st.st_size > MAX_FILE_BYTES:
            raise ReadError(f"too large ({st.st_size / 2**30:.1f} GiB; the limit is 1 GiB)")
        # Ask for exactly what stat promised (plus one byte, to notice a file still growing):
        # asking for the 1 GiB limit would allocate it for every file.
        data = _read_up_to(path, min(st.st_size, MAX_FILE_BYTES) + 1)
    except OSError as exc:
        raise ReadError(_os_reason(exc)) from exc
    except ValueError as exc:  # a NUL in the name: no file can have it
        raise ReadError("no such file or folder") from exc
    if not data:
        raise ReadError("the file is empty (0 bytes)")
    if len(data) != st.st_size:
        raise ReadError("the file changed while it was being read; try again when it is written")
    return RawFile(
        path, data, hashlib.sha256(data).hexdigest(), datetime.fromtimestamp(st.st_mtime, UTC)
    )


def format_of(raw: RawFile) -> Format:
    """The image format by content, or ReadError for anything Inkseal does not take."""
    fmt = sniff(raw.data)
    if fmt is None:
        raise ReadError(f"not a supported image: the content is not {SUPPORTED}", raw.sha256)
    kind = camera_raw_kind(raw.data)
    if kind:
        raise ReadError(
            f"camera raw files ({kind}) are not supported; import an export", raw.sha256
        )
    return fmt


@functools.cache
def _extract_metadata() -> Callable[..., dict[str, Any]]:
    """The metadata reader, imported on first use (it brings exifread) and looked up once."""
    from inkseal.library.metadata import extract_metadata

    return extract_metadata


def metadata_of(
    data: bytes,
    fmt: Format,
    img: Image.Image | None,
    *,
    complete: bool = True,
    png_texts: list[tuple[TextChunk, ...]] | None = None,
) -> dict[str, Any]:
    try:
        found: dict[str, Any] = _extract_metadata()(
            data,
            fmt.name,
            img,
            complete=complete,
            xmp_keys=XMP_KEYS,
            iptc_keys=IPTC_KEYS,
            png_texts=png_texts,
        )
        return found
    except Exception as exc:  # untrusted input: a reader bug must not lose the file
        return {"warnings": [f"metadata could not be read: {one_line(exc)}"]}


def truncation_problem(data: bytes, fmt: Format) -> str | None:
    """A cheap look at the end of the file for the marker every complete file has.

    Scanning does not decode pixels; this catches files cut short without doing so.
    """
    if fmt.name == "JPEG" and data.endswith(b"\xff\xd9"):
        return None  # the usual case, without searching
    if fmt.name == "PNG" and data[-8:-4] == b"IEND":
        return None  # the usual case: IEND is the last chunk, its CRC the last 4 bytes
    tail = max(0, len(data) - 65536)  # searched in place: a copy would cost more
    if fmt.name == "JPEG" and data.find(b"\xff\xd9", tail) < 0:
        return "the file is truncated: its JPEG data has no end-of-image marker"
    if fmt.name == "PNG" and data.find(b"IEND", tail) < 0:
        return "the file is truncated: its PNG data has no IEND chunk"
    return None


@dataclass
class Inspection:
    """An opened file: format, image (not decoded), metadata and what detectors found."""

    raw: RawFile
    fmt: Format
    image: Image.Image | None
    metadata: dict[str, Any]
    detection: Detection
    # Why the pixels cannot be read, when they cannot; metadata may still be there.
    open_error: str | None
    # (width, height) from the file's header, when the header gives it.
    header_size: tuple[int, int] | None = None


# Formats whose metadata reader needs the file opened by Pillow (EXIF/XMP items of HEIF and
# AVIF, TIFF tags, GIF comments). JPEG, PNG and WebP metadata is read from the bytes alone.
_OPEN_FOR_METADATA = {"TIFF", "HEIF", "AVIF", "GIF", "BMP"}
# What scan's reading (complete=False) still needs Pillow for: its own walk reads TIFF tags.
_OPEN_FOR_DETECTORS = _OPEN_FOR_METADATA - {"TIFF"}


def probe_file(raw: RawFile, *, open_now: bool = True, complete: bool = True) -> Inspection:
    """Read `raw`'s metadata and run every detector; open it with Pillow (without decoding
    its pixels) when `open_now` or when something needs it.

    `open_now=False` is scan's fast path: a JPEG whose header gives its size is never
    opened by Pillow unless a detector asks. `complete=False` (scan again) reads only the
    metadata detectors use; its detection is the same. Raises ReadError only when the content is not
    a supported image at all.
    """
    fmt = format_of(raw)
    errors: list[str] = []

    def opener() -> Image.Image | None:
        try:
            return open_image(raw.data)
        except DecodeError as exc:
            errors.append(str(exc))
            return None

    facts = FileFacts(raw.data, fmt.name, {}, opener=opener)
    needs = _OPEN_FOR_METADATA if complete else _OPEN_FOR_DETECTORS
    size = dimensions(raw.data, fmt)
    # A size Pillow may refuse as a decompression bomb is left to Pillow, so that scan says
    # what import says of the file.
    if open_now or fmt.name in needs or size is None or size[0] * size[1] > MAX_PIXELS // 2:
        _ = facts.image
    image_now = facts.image if facts.opened else None
    shared: list[tuple[TextChunk, ...]] = []
    facts.metadata = metadata_of(raw.data, fmt, image_now, complete=complete, png_texts=shared)
    if shared:  # the PNG text chunks the reading decoded, for detectors: not decoded again
        facts.png_texts = list(shared[0])
    detection = detect_file(facts)
    metadata = facts.metadata
    if detection.c2pa is not None:
        metadata["c2pa"] = detection.c2pa
    if detection.errors:
        metadata["warnings"] = [*metadata.get("warnings", []), *detection.errors]
    image = facts.image if facts.opened else None
    return Inspection(raw, fmt, image, metadata, detection, errors[0] if errors else None, size)
