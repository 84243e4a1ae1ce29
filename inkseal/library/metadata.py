"""Read the metadata a file carries about itself: EXIF, XMP, IPTC, PNG text and more.

The one public function, ``extract_metadata``, turns the bytes of an image file into a plain,
JSON-serialisable dict that detectors and the UI can read later. Every byte of the input is
untrusted: each section is read on its own and a failure turns into a short entry in
``warnings`` instead of an exception; every string, list and dict in the result is bounded;
nothing is fetched from anywhere and XML entities and DTDs are refused. Pixels are never
decoded.

Shape of the result (keys with nothing to say are left out, except "warnings"):

    exif           {"Image Make": "Canon", "EXIF UserComment": "...", "GPS GPSLatitude": ...}
    png_text       [{"keyword", "text", "chunk", "after_idat"[, "truncated", "language",
                     "translated_keyword"]}]  (the XMP iTXt chunk is reported under "xmp")
    png_chunks     chunk types in file order, runs collapsed ("IHDR", "caBX", "IDAT", "IEND")
    webp_chunks    RIFF chunk names in file order, runs collapsed ("VP8X", "EXIF", "XMP ")
    jpeg_segments  APPn segments and COM before the image data, e.g. "APP1:Exif", "APP11:JUMBF"
    comments       JPEG COM and GIF comment texts
    xmp            {"prefix:Name": "value" or ["item", ...]}, structures flattened with "/"
    xmp_size       size in bytes of the XMP packet(s) read
    xmp_source     where the packet was found ("jpeg-app1", "png-itxt", "byte-search", ...)
    iptc           {"ObjectName": "...", "Keywords": [...], "2:NNN": ...}
    icc_profile    True when the file embeds an ICC colour profile
    warnings       short messages about anything malformed found on the way
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
import re
import struct
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from inkseal.library import pngchunks
from inkseal.library.formats import gif_application_blocks, iter_jpeg_segments, jpeg_marker_name

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from PIL import Image

__all__ = ["MAX_STRING", "decode_user_comment", "extract_metadata", "parse_iptc"]

# Bounds on what the result may hold.
MAX_STRING = 64 * 1024  # characters in any one string
MAX_LIST = 2_000  # items in any one list
MAX_DICT = 2_000  # keys in any one dict
MAX_WARNINGS = 50
MAX_EXIF_TAGS = 1_000
MAX_XMP_PACKET = 4 * 1024 * 1024  # bytes
MAX_XMP_DEPTH = 8
MAX_XMP_PROPERTIES = 2_000
MAX_COMMENTS = 16

# Bounds on how much work the readers do.
_MAX_WEBP_CHUNKS = 10_000
_MAX_TIFF_IFDS = 32  # IFD0, IFD1, ... in one chain
_MAX_EXIFREAD_ENTRIES = 4_096  # directory entries exifread may be asked to walk
_MAX_EXIFREAD_VALUES = 20_000  # numeric values exifread may be asked to unpack
_MAX_IFD_WALKS = 64  # directories exifread may be asked to walk
_MAX_RAW_TAG = 4 * 1024 * 1024  # bytes copied out of one TIFF tag
_MAX_IPTC_DATASETS = 5_000
_MAX_IRB_RESOURCES = 1_000
_MAX_EXTENDED_XMP_SEGMENTS = 256

_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_APP1 = b"http://ns.adobe.com/xmp/extension/\x00"
_PHOTOSHOP_APP13 = b"Photoshop 3.0\x00"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_HAS_EXTENDED_XMP = "xmpNote:HasExtendedXMP"
_XML_NS = "http://www.w3.org/XML/1998/namespace"

# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def extract_metadata(
    data: bytes,
    fmt: str,
    image: Image.Image | None,
    *,
    complete: bool = True,
    xmp_keys: Collection[str] | None = None,
    iptc_keys: Collection[str] | None = None,
    png_texts: list[tuple[pngchunks.TextChunk, ...]] | None = None,
) -> dict[str, Any]:
    """Read the metadata of one image file held in memory.

    ``fmt`` is the container format decided from the content ("JPEG", "PNG", "WEBP", "GIF",
    "TIFF", "BMP", "HEIF" or "AVIF"); ``image`` is the same data already opened with Pillow,
    or None if it could not be opened. It is only used for what Pillow has already parsed
    (``info`` and, for TIFF, the tag directory); its pixels are never loaded.

    ``complete=False`` is for `scan`, which reports what the detectors find and keeps no
    metadata: EXIF is then read by our own directory walk, which gives the text tags of IFD0
    and the EXIF IFD (all that detectors read), instead of by exifread, which formats every
    tag for display and costs as much as the rest of the reading together; and when
    ``xmp_keys`` is given, only the top-level XMP properties it names are kept, and when
    ``iptc_keys`` is, only the IPTC datasets it names are decoded.

    ``png_texts``, when given, receives a PNG's text chunks as decoded on the way (all of
    them, in file order, the XMP one too) if none had to be cut: what
    ``pngchunks.text_chunks`` would give, which the detectors need in full, without decoding
    them twice. It receives nothing otherwise.

    Never raises for any input bytes; problems are listed under "warnings".
    """
    ctx = _Context(data=data, fmt=_normalise_format(fmt), image=image, complete=complete)
    if not complete and xmp_keys is not None:
        ctx.xmp_keys = _with_extended_xmp(frozenset(xmp_keys))
    if not complete and iptc_keys is not None:
        ctx.iptc_keys = frozenset(iptc_keys)
    result: dict[str, Any] = {}
    steps: tuple[tuple[str, Callable[[_Context, dict[str, Any]], None]], ...] = (
        ("container", _scan_container),
        ("EXIF", _read_exif),
        ("XMP", _read_xmp),
        ("IPTC", _read_iptc),
        ("ICC", _read_icc),
    )
    for label, step in steps:
        try:
            step(ctx, result)
        except Exception as exc:  # untrusted input: no section may take the others down
            ctx.warn(f"{label}: could not be read ({type(exc).__name__}: {_short(exc)})")
    try:
        cleaned = _sanitise(result)
    except Exception as exc:
        ctx.warn(f"metadata: could not be cleaned ({type(exc).__name__})")
        cleaned = {}
    out = cast(dict[str, Any], cleaned) if isinstance(cleaned, dict) else {}
    out["warnings"] = list(ctx.warnings)
    if png_texts is not None and ctx.png_texts is not None:
        png_texts.append(tuple(ctx.png_texts))
    return out


@functools.lru_cache(maxsize=16)
def _with_extended_xmp(keys: frozenset[str]) -> frozenset[str]:
    return keys | {_HAS_EXTENDED_XMP}


# --------------------------------------------------------------------------------------------
# Shared state while reading one file
# --------------------------------------------------------------------------------------------


@dataclass
class _ExtendedXmp:
    full_length: int
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class _Context:
    data: bytes
    fmt: str
    image: Image.Image | None
    complete: bool = True
    # With complete=False: the top-level XMP properties to keep (the rest are skipped), and
    # how many elements and attributes the packets hold (no more values than that).
    xmp_keys: frozenset[str] | None = None
    iptc_keys: frozenset[str] | None = None  # the IPTC datasets to decode (None: all)
    xmp_values: int = 0
    warnings: list[str] = field(default_factory=list)
    # Raw pieces found while walking the container, decoded by the later steps.
    exif_tiff: bytes | None = None
    xmp: bytes | None = None
    xmp_source: str = ""
    extended_xmp: dict[str, _ExtendedXmp] = field(default_factory=dict)
    photoshop_irb: bytes | None = None
    iptc: bytes | None = None
    icc: bool = False
    tiff_scan: _TiffScan | None = None
    # A PNG's text chunks as decoded, when every one was decoded whole (else None).
    png_texts: list[pngchunks.TextChunk] | None = None

    def warn(self, message: str) -> None:
        message = _clip(message[:300])
        if message not in self.warnings and len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)


def _normalise_format(fmt: str) -> str:
    name = (fmt or "").strip().upper()
    aliases = {"JPG": "JPEG", "MPO": "JPEG", "TIF": "TIFF", "HEIC": "HEIF"}
    return aliases.get(name, name)


# --------------------------------------------------------------------------------------------
# Step 1: walk the container and collect the raw metadata blocks
# --------------------------------------------------------------------------------------------


def _scan_container(ctx: _Context, result: dict[str, Any]) -> None:
    if ctx.fmt == "JPEG":
        _scan_jpeg(ctx, result)
    elif ctx.fmt == "PNG":
        _scan_png(ctx, result)
    elif ctx.fmt == "WEBP":
        _scan_webp(ctx, result)
    elif ctx.fmt == "TIFF":
        ctx.exif_tiff = ctx.data
    elif ctx.fmt in ("HEIF", "AVIF"):
        _scan_heif(ctx)
    elif ctx.fmt == "GIF":
        _scan_gif(ctx, result)
    # Formats without a place we parse ourselves: look for the packet in the raw bytes.
    # Skipped for JPEG/PNG/WebP/TIFF, where such a search could pick up the XMP of an embedded
    # thumbnail or of a C2PA ingredient instead of the file's own, and for HEIF/AVIF that
    # Pillow opened, since it already reports their XMP item.
    structured = ("JPEG", "PNG", "WEBP", "TIFF")
    heif_opened = ctx.fmt in ("HEIF", "AVIF") and ctx.image is not None
    if ctx.xmp is None and ctx.fmt not in structured and not heif_opened:
        packet = _search_xmp(ctx.data, ctx)
        if packet is not None:
            ctx.xmp, ctx.xmp_source = packet, "byte-search"


def _iter_jpeg_segments(ctx: _Context) -> Iterator[tuple[int, memoryview]]:
    """Yield (marker, payload) for every segment before the image data (SOS)."""
    view = memoryview(ctx.data)
    for marker, start, end in iter_jpeg_segments(ctx.data, ctx.warn):
        yield marker, view[start:end]


_APP_IDENTIFIERS: list[tuple[bytes, str]] = [
    (b"Exif\x00", "Exif"),
    (_XMP_APP1, "XMP"),
    (_XMP_EXT_APP1, "XMP-extension"),
    (b"ICC_PROFILE\x00", "ICC_PROFILE"),
    (b"MPF\x00", "MPF"),
    (_PHOTOSHOP_APP13, "Photoshop"),
    (b"JFIF\x00", "JFIF"),
    (b"JFXX\x00", "JFXX"),
    (b"Adobe", "Adobe"),
    (b"Ducky", "Ducky"),
]
_PRINTABLE_ID = re.compile(rb"[\x20-\x7e]{1,24}")


def _app_identifier(marker: int, payload: memoryview) -> str:
    head = bytes(payload[:40])
    for prefix, name in _APP_IDENTIFIERS:
        if head.startswith(prefix):
            return name
    if marker == 0xEB and head.startswith(b"JP"):
        return "JUMBF"
    match = _PRINTABLE_ID.match(head)
    return match.group().decode("ascii").strip() if match else ""


def _scan_jpeg(ctx: _Context, result: dict[str, Any]) -> None:
    names: list[str] = []
    comments: list[str] = []
    irb_parts: list[bytes] = []
    exif_segments = 0
    for marker, payload in _iter_jpeg_segments(ctx):
        if marker == 0xFE:
            _add_once(names, "COM")
            if len(comments) < MAX_COMMENTS:
                comments.append(_decode_text(bytes(payload[:MAX_STRING])).rstrip("\x00"))
            continue
        if not 0xE0 <= marker <= 0xEF:
            continue
        ident = _app_identifier(marker, payload)
        label = jpeg_marker_name(marker) + (f":{ident}" if ident else "")
        _add_once(names, label)
        if marker == 0xE1 and ident == "Exif":
            exif_segments += 1
            if exif_segments == 1:
                ctx.exif_tiff = bytes(payload[6:])
        elif marker == 0xE1 and ident == "XMP":
            if ctx.xmp is None:
                ctx.xmp, ctx.xmp_source = bytes(payload[len(_XMP_APP1) :]), "jpeg-app1"
            else:
                ctx.warn("XMP: more than one main XMP segment, only the first is read")
        elif marker == 0xE1 and ident == "XMP-extension":
            _add_extended_xmp(ctx, payload[len(_XMP_EXT_APP1) :])
        elif marker == 0xED and ident == "Photoshop":
            irb_parts.append(bytes(payload[len(_PHOTOSHOP_APP13) :]))
        elif marker == 0xE2 and ident == "ICC_PROFILE":
            ctx.icc = True
    if exif_segments > 1:
        ctx.warn("EXIF: more than one EXIF segment, only the first is read")
    if irb_parts:
        ctx.photoshop_irb = b"".join(irb_parts)
    if names:
        result["jpeg_segments"] = names
    if comments:
        result["comments"] = comments


def _add_extended_xmp(ctx: _Context, body: memoryview) -> None:
    # GUID (32 hex characters), full length and offset of this part, then the part itself.
    if len(body) < 40:
        ctx.warn("XMP: extended XMP segment is too short")
        return
    guid = bytes(body[:32]).decode("latin-1")
    full_length, offset = struct.unpack(">II", body[32:40])
    part = bytes(body[40:])
    entry = ctx.extended_xmp.get(guid)
    if entry is None:
        if len(ctx.extended_xmp) >= 4:
            return
        entry = _ExtendedXmp(full_length=full_length)
        ctx.extended_xmp[guid] = entry
    if sum(len(p) for p in entry.parts.values()) > MAX_XMP_PACKET:
        return
    if len(entry.parts) < _MAX_EXTENDED_XMP_SEGMENTS:
        entry.parts[offset] = part


_PIXEL_CHUNKS = frozenset({"IDAT", "fdAT"})  # image data: of a PNG, and of APNG frames


def _scan_png(ctx: _Context, result: dict[str, Any]) -> None:
    if not pngchunks.is_png(ctx.data):
        ctx.warn("PNG: bad signature")
        return
    png_warnings: list[str] = []
    names: list[str] = []
    texts: list[dict[str, Any]] = []
    bad_crc: list[str] = []
    # Compressed text is inflated only as far as the result can hold it (4 bytes per
    # character at most in UTF-8), the XMP packet up to its own limit, and within a budget
    # for the whole file so that thousands of small compressed chunks cannot add up.
    budget = pngchunks.MAX_TOTAL_TEXT_BYTES
    decoded: list[pngchunks.TextChunk] | None = []
    for chunk in pngchunks.iter_chunks(ctx.data, png_warnings):
        if (not names or names[-1] != chunk.type) and len(names) < MAX_LIST:
            names.append(chunk.type)
        # Checking a CRC means reading the whole chunk; scan (complete=False) reads no pixel
        # data, so it checks the metadata chunks' only.
        if (ctx.complete or chunk.type not in _PIXEL_CHUNKS) and not chunk.crc_ok:
            where = f"{chunk.type} after IDAT" if chunk.after_idat else chunk.type
            _add_once(bad_crc, where)
        if chunk.type == "eXIf":
            if ctx.exif_tiff is None:
                ctx.exif_tiff = bytes(chunk.data)
        elif chunk.type == "iCCP":
            ctx.icc = True
        elif chunk.type in ("tEXt", "zTXt", "iTXt"):
            is_xmp = bytes(chunk.data[:18]) == b"XML:com.adobe.xmp\x00"
            limit = MAX_XMP_PACKET if is_xmp else 4 * MAX_STRING + 4
            limit = max(0, min(limit, budget))
            text = pngchunks.decode_text_chunk(chunk, png_warnings, max_bytes=limit)
            if text is None:
                continue
            if decoded is not None:
                if text.truncated:  # text_chunks, with its larger limit, might not cut it
                    decoded = None
                else:
                    decoded.append(text)
            if text.chunk != "tEXt":
                budget -= len(text.text)
            if text.keyword == "XML:com.adobe.xmp":
                if ctx.xmp is None:
                    ctx.xmp = text.text.encode("utf-8")
                    ctx.xmp_source = f"png-{text.chunk.lower()}"
                continue
            if len(texts) >= MAX_LIST:
                continue
            entry: dict[str, Any] = {
                "keyword": text.keyword,
                "text": text.text,
                "chunk": text.chunk,
                "after_idat": text.after_idat,
            }
            if text.truncated or len(text.text) > MAX_STRING:
                entry["truncated"] = True
            if text.language:
                entry["language"] = text.language
            if text.translated_keyword:
                entry["translated_keyword"] = text.translated_keyword
            texts.append(entry)
    ctx.png_texts = decoded
    for message in png_warnings:
        ctx.warn(message)
    if bad_crc:
        shown = ", ".join(bad_crc[:8]) + (", ..." if len(bad_crc) > 8 else "")
        ctx.warn(f"PNG: bad CRC in chunk(s) {shown}")
    if names:
        result["png_chunks"] = names
    if texts:
        result["png_text"] = texts


def _scan_webp(ctx: _Context, result: dict[str, Any]) -> None:
    data = ctx.data
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        ctx.warn("WebP: bad RIFF header")
        return
    declared_end = 8 + struct.unpack_from("<I", data, 4)[0]
    end = min(declared_end, len(data))
    if declared_end > len(data):
        ctx.warn("WebP: file is shorter than its RIFF header says")
    names: list[str] = []
    pos = 12
    for _ in range(_MAX_WEBP_CHUNKS):
        if pos + 8 > end:
            break
        fourcc = data[pos : pos + 4]
        if not all(0x20 <= c <= 0x7E for c in fourcc):
            ctx.warn(f"WebP: garbage instead of a chunk at offset {pos}")
            break
        size = struct.unpack_from("<I", data, pos + 4)[0]
        body_end = pos + 8 + size
        name = fourcc.decode("ascii")
        if not names or names[-1] != name:
            names.append(name)
        if body_end > end:
            ctx.warn(f"WebP: chunk {name.strip()} is truncated")
            break
        if fourcc == b"EXIF" and ctx.exif_tiff is None:
            ctx.exif_tiff = data[pos + 8 : body_end]
        elif fourcc == b"XMP " and ctx.xmp is None:
            ctx.xmp, ctx.xmp_source = data[pos + 8 : body_end], "webp-xmp-chunk"
        elif fourcc == b"ICCP":
            ctx.icc = True
        pos = body_end + (size & 1)
    else:
        ctx.warn(f"WebP: more than {_MAX_WEBP_CHUNKS} chunks, stopped reading")
    if names:
        result["webp_chunks"] = names


def _scan_heif(ctx: _Context) -> None:
    info = _image_info(ctx.image)
    exif = info.get("exif")
    if isinstance(exif, bytes | bytearray) and exif:
        ctx.exif_tiff = bytes(exif)
    elif ctx.image is None:
        # Without a decoder we can still find the EXIF item by its header.
        found = re.search(rb"Exif\x00\x00(?:II\*\x00|MM\x00\*)", ctx.data)
        if found is not None:
            start = found.start() + 6
            ctx.exif_tiff = ctx.data[start : start + 1024 * 1024]
    xmp = info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if isinstance(xmp, bytes | bytearray) and xmp:
        ctx.xmp, ctx.xmp_source = bytes(xmp), "heif-item"


def _scan_gif(ctx: _Context, result: dict[str, Any]) -> None:
    comment = _image_info(ctx.image).get("comment")
    if isinstance(comment, bytes | bytearray | str) and comment:
        text = comment if isinstance(comment, str) else _decode_text(bytes(comment))
        result["comments"] = [text]


def _search_xmp(data: bytes, ctx: _Context) -> bytes | None:
    at = 0
    if ctx.fmt == "GIF":
        # GIF keeps XMP in an application extension named "XMP Data" with the code "XMP".
        # Its blocks are walked (the frames' data skipped by their lengths); a file whose
        # blocks cannot be walked is searched for the name instead.
        blocks = gif_application_blocks(data)
        if blocks is None:
            at = data.find(b"XMP DataXMP")
        else:
            at = next((where + 3 for name, where in blocks if name == b"XMP DataXMP"), -1)
        if at < 0:
            return None
    start = data.find(b"<x:xmpmeta", at)
    if start < 0:
        start = data.find(b"<x:xapmeta", at)
        closing = b"</x:xapmeta>"
    else:
        closing = b"</x:xmpmeta>"
    if start < 0:
        return None
    end = data.find(closing, start, start + MAX_XMP_PACKET)
    if end < 0:
        ctx.warn("XMP: packet start found but no end within 4 MiB")
        return None
    return data[start : end + len(closing)]


def _image_info(image: Image.Image | None) -> dict[str, Any]:
    if image is None:
        return {}
    info = getattr(image, "info", None)
    return cast(dict[str, Any], info) if isinstance(info, dict) else {}


# --------------------------------------------------------------------------------------------
# Step 2: EXIF
# --------------------------------------------------------------------------------------------

# Byte sizes of the TIFF field types (1 BYTE ... 13 IFD).
_TIFF_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
}

_EXIF_IFD_POINTER = 0x8769
_GPS_IFD_POINTER = 0x8825
_INTEROP_IFD_POINTER = 0xA005
_TAG_XMP = 0x02BC
_TAG_IPTC = 0x83BB
_TAG_PHOTOSHOP = 0x8649
_TAG_MAKERNOTE = 0x927C
_TAG_USER_COMMENT = 0x9286
# Windows Explorer's UTF-16 text tags in IFD0.
_XP_TAGS = {
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0x9C9D: "XPAuthor",
    0x9C9E: "XPKeywords",
    0x9C9F: "XPSubject",
}

# Raw values we copy out of the directories ourselves: the tags wanted in each directory.
_WANTED_RAW = {
    "IFD0": frozenset({_TAG_XMP, _TAG_IPTC, _TAG_PHOTOSHOP, *_XP_TAGS}),
    "EXIF IFD": frozenset({_TAG_USER_COMMENT}),
}
# Tags exifread does not unpack value by value (skipped, or read in one go).
_READ_IN_ONE_GO = frozenset({_TAG_MAKERNOTE, _TAG_USER_COMMENT, _TAG_XMP})

# The directories a `complete=False` read gives without exifread: exifread's name for each,
# and the directory pointers each may hold (anything else sends the file to exifread).
_WALKED_IFDS = {
    "IFD0": ("Image", {_EXIF_IFD_POINTER, _GPS_IFD_POINTER}),
    "IFD1": ("Thumbnail", set()),
    "EXIF IFD": ("EXIF", {_INTEROP_IFD_POINTER}),
    "GPS IFD": ("GPS", set()),
    "Interop IFD": ("Interoperability", set()),
}
# Tags detectors read by name: one of another type than ASCII sends the file to exifread.
_TEXT_TAGS_READ = {0x010E, 0x010F, 0x0110, 0x0131, 0x013B, 0x8298, 0x9003}

# Tags left out of the "exif" dict: directory pointers, blobs that are read elsewhere
# (XMP, IPTC, Photoshop resources, ICC, MakerNote, UserComment, PrintIM, Photoshop image
# data) and image layout offsets (strips, tiles, thumbnail).
_SKIP_EXIF_TAGS = {
    _EXIF_IFD_POINTER,
    _GPS_IFD_POINTER,
    _INTEROP_IFD_POINTER,
    0x014A,
    _TAG_XMP,
    _TAG_IPTC,
    _TAG_PHOTOSHOP,
    0x8773,
    _TAG_MAKERNOTE,
    _TAG_USER_COMMENT,
    0xC4A5,
    0x935C,
    0x0111,
    0x0117,
    0x0144,
    0x0145,
    0x0201,
    0x0202,
    *_XP_TAGS,
}


@dataclass(slots=True)
class _TiffScan:
    """What our own walk over a TIFF/EXIF structure found."""

    order: str  # struct byte order, "<" or ">"
    tiff: bytes  # the TIFF bytes (header repaired if its byte order mark was bad)
    bigtiff: bool = False
    exifread_safe: bool = True
    raw: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # Every directory walked, in order, with its entries: kept when asked for (complete=False),
    # to give the text tags as exifread would without running it.
    walked: list[tuple[str, list[tuple[int, int, int, int]]]] | None = None


def _normalise_tiff(raw: bytes) -> bytes:
    """Strip the "Exif\\0\\0" prefix or any short junk before the TIFF header."""
    if raw.startswith(b"Exif\x00"):
        raw = raw[6:]
    if raw[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return raw
    for header in (b"II*\x00", b"MM\x00*"):
        at = raw.find(header, 0, 16)
        if at > 0:
            return raw[at:]
    return raw


def _scan_tiff_structure(tiff: bytes, ctx: _Context, keep: bool = False) -> _TiffScan | None:
    """Walk the IFDs ourselves: to check the structure before exifread walks it, and to copy
    out the few values exifread does not give us in full."""
    if len(tiff) < 8:
        ctx.warn("EXIF: TIFF header is truncated")
        return None
    mark = tiff[:2]
    if mark in (b"II", b"MM"):
        order = "<" if mark == b"II" else ">"
    else:
        guessed = _guess_byte_order(tiff)
        if guessed is None:
            ctx.warn("EXIF: bad TIFF byte order mark")
            return None
        order = guessed
        side = "little" if order == "<" else "big"
        ctx.warn(f"EXIF: bad TIFF byte order mark, read as {side}-endian")
        tiff = (b"II" if order == "<" else b"MM") + tiff[2:]
    magic = struct.unpack_from(order + "H", tiff, 2)[0]
    if magic == 43:
        # BigTIFF: exifread cannot read it; Pillow can when it opened the file.
        return _TiffScan(order=order, tiff=tiff, bigtiff=True, exifread_safe=False)
    if magic != 42:
        ctx.warn(f"EXIF: bad TIFF magic number {magic}")
    scan = _TiffScan(order=order, tiff=tiff, walked=[] if keep else None)
    walker = _TiffWalker(scan, ctx)
    first = struct.unpack_from(order + "I", tiff, 4)[0]
    ifd0, next_offset = walker.ifd(first, "IFD0")
    for tag, kind, count, pos in ifd0:
        if tag == _EXIF_IFD_POINTER:
            target = _tiff_pointer(tiff, order, kind, count, pos)
            if target is not None:
                exif_entries, _ = walker.ifd(target, "EXIF IFD")
                walker.sub_ifds(exif_entries)
            break
    walker.sub_ifds(ifd0)
    # The rest of the chain (IFD1 holds the thumbnail; TIFF files have one IFD per page) is
    # walked only to know how much work exifread would do.
    seen = {first}
    index = 1
    while next_offset and not walker.over_budget():
        if index >= _MAX_TIFF_IFDS:
            ctx.warn(f"EXIF: more than {_MAX_TIFF_IFDS} IFDs, stopped reading")
            walker.too_many = True
            break
        if next_offset in seen:
            ctx.warn("EXIF: IFD loop")
            break
        seen.add(next_offset)
        entries, next_offset = walker.ifd(next_offset, f"IFD{index}")
        walker.sub_ifds(entries)
        index += 1
    if walker.over_budget():
        ctx.warn("EXIF: directories are implausibly large, read with the fallback reader")
    scan.exifread_safe = not (walker.over_budget() or walker.too_many)
    return scan


class _TiffWalker:
    """Walks IFDs, copies out the raw values we want and counts the work exifread would do
    on the same structure (it trusts entry counts and follows GPS and Interop pointers in
    every IFD it reads with its main tag table)."""

    def __init__(self, scan: _TiffScan, ctx: _Context) -> None:
        self.scan = scan
        self.ctx = ctx
        self.entries = 0
        self.values = 0
        self.walks = 0
        self.too_many = False

    def over_budget(self) -> bool:
        return (
            self.entries > _MAX_EXIFREAD_ENTRIES
            or self.values > _MAX_EXIFREAD_VALUES
            or self.walks > _MAX_IFD_WALKS
        )

    def ifd(self, offset: int, name: str) -> tuple[list[tuple[int, int, int, int]], int]:
        scan = self.scan
        self.walks += 1
        entries, next_offset, claimed = _read_ifd(scan.tiff, scan.order, offset, name, self.ctx)
        self.entries += claimed
        wanted = _WANTED_RAW.get(name, ())
        values = 0
        for tag, kind, count, pos in entries:
            # exifread skips the blobs and reads text in one go; it unpacks shorter arrays
            # value by value.
            if kind != 2 and count < 1000 and tag not in _READ_IN_ONE_GO:
                values += count
            if tag in wanted:
                value = _tiff_value(scan.tiff, scan.order, kind, count, pos, _MAX_RAW_TAG)
                if value is None:
                    self.ctx.warn(f"EXIF: tag 0x{tag:04X} in {name} points outside the data")
                else:
                    scan.raw[(name, tag)] = value
        self.values += values
        if scan.walked is not None:
            scan.walked.append((name, entries))
        return entries, next_offset

    def sub_ifds(self, entries: list[tuple[int, int, int, int]]) -> None:
        for tag, kind, count, pos in entries:
            if tag not in (_GPS_IFD_POINTER, _INTEROP_IFD_POINTER) or self.over_budget():
                continue
            target = _tiff_pointer(self.scan.tiff, self.scan.order, kind, count, pos)
            if target is not None:
                self.ifd(target, "GPS IFD" if tag == _GPS_IFD_POINTER else "Interop IFD")


def _guess_byte_order(tiff: bytes) -> str | None:
    # Take the byte order under which IFD0 lies inside the data and has a sane entry count.
    for order in (">", "<"):
        offset = struct.unpack_from(order + "I", tiff, 4)[0]
        if 8 <= offset <= len(tiff) - 2:
            count = struct.unpack_from(order + "H", tiff, offset)[0]
            if count > 0 and offset + 2 + 12 * count <= len(tiff):
                return order
    return None


_U32 = {order: struct.Struct(order + "I") for order in ("<", ">")}
# One directory entry: tag, type, count (and the value or its offset, not unpacked here).
_IFD_ENTRY = {order: struct.Struct(order + "HHI4x") for order in ("<", ">")}


def _read_ifd(
    tiff: bytes, order: str, offset: int, name: str, ctx: _Context
) -> tuple[list[tuple[int, int, int, int]], int, int]:
    """Return the (tag, type, count, value position) entries of one IFD, the offset of the
    next IFD and the entry count the IFD claims."""
    size = len(tiff)
    if offset + 2 > size:
        ctx.warn(f"EXIF: {name} offset {offset} is out of range")
        return [], 0, 0
    claimed = struct.unpack_from(order + "H", tiff, offset)[0]
    if offset < 8:
        # Points into the header; exifread would still read "entries" from there.
        ctx.warn(f"EXIF: {name} offset {offset} is out of range")
        return [], 0, claimed
    fit = (size - offset - 2) // 12
    if claimed > fit:
        ctx.warn(f"EXIF: bad {name} directory ({claimed} entries, only {fit} fit)")
    first = offset + 2
    table = tiff[first : first + 12 * min(claimed, fit, _MAX_EXIFREAD_ENTRIES + 1)]
    entries = [
        (tag, kind, count, first + 12 * i + 8)
        for i, (tag, kind, count) in enumerate(_IFD_ENTRY[order].iter_unpack(table))
    ]
    next_at = offset + 2 + 12 * claimed
    next_offset = struct.unpack_from(order + "I", tiff, next_at)[0] if next_at + 4 <= size else 0
    return entries, next_offset, claimed


def _tiff_value(
    tiff: bytes, order: str, kind: int, count: int, pos: int, limit: int
) -> bytes | None:
    unit = _TIFF_TYPE_SIZES.get(kind)
    if unit is None:
        return None
    total = unit * count
    if total <= 4:
        return tiff[pos : pos + total]
    start = struct.unpack_from(order + "I", tiff, pos)[0]
    if start + total > len(tiff):
        return None
    return tiff[start : start + min(total, limit)]


# Integer field types: struct format of one value.
_TIFF_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}


def _tiff_pointer(tiff: bytes, order: str, kind: int, count: int, pos: int) -> int | None:
    """Read a directory pointer the way exifread does: the first value of any integer type.
    A value it cannot read counts as 0, which exifread also follows (into the header)."""
    code = _TIFF_INT_FORMATS.get(kind)
    if code is None or count < 1:
        return None
    unit = _TIFF_TYPE_SIZES[kind]
    where = pos if unit * count <= 4 else struct.unpack_from(order + "I", tiff, pos)[0]
    if where + unit > len(tiff):
        return 0
    value = int(struct.unpack_from(order + code, tiff, where)[0])
    return value if value >= 0 else None


def _read_exif(ctx: _Context, result: dict[str, Any]) -> None:
    if ctx.exif_tiff is None and not (ctx.fmt == "TIFF" and ctx.image is not None):
        return
    exif: dict[str, str] = {}
    scan: _TiffScan | None = None
    if ctx.exif_tiff is not None:
        ctx.exif_tiff = _normalise_tiff(ctx.exif_tiff)
        scan = _scan_tiff_structure(ctx.exif_tiff, ctx, keep=not ctx.complete)
        ctx.tiff_scan = scan
        if scan is not None and ctx.photoshop_irb is None:
            ctx.photoshop_irb = scan.raw.get(("IFD0", _TAG_PHOTOSHOP))
    walked = _walked_exif(scan) if scan is not None and scan.walked is not None else None
    if walked is not None:
        exif = walked
    elif scan is not None and scan.exifread_safe:
        exif = _exif_with_exifread(scan.tiff, ctx)
    if not exif and walked is None:
        exif = _exif_with_pillow(ctx, scan)
    if scan is not None:
        _add_decoded_comments(scan, exif)
    if exif:
        result["exif"] = exif


@functools.cache
def _exifread_tables() -> tuple[Any, Any, Any, Any]:
    """exifread's ignored tags and its EXIF, GPS and Interop tag tables, imported once."""
    from exifread.tags import IGNORE_TAGS
    from exifread.tags.exif import EXIF_TAGS, GPS_TAGS, INTEROP_TAGS

    return IGNORE_TAGS, EXIF_TAGS, GPS_TAGS, INTEROP_TAGS


def _walked_exif(scan: _TiffScan) -> dict[str, str] | None:
    """The "exif" dict `_exif_with_exifread` would give, built from our own walk, for the
    text a detector can use: ASCII tags, and the short byte tags exifread turns into text.

    Same names, same values, same order (exifread reads the GPS directory where IFD0 points
    to it, the EXIF directory after the chain, Interop where EXIF points to it). None, so
    that exifread reads the file after all, for anything this does not cover exactly:
    exifread's reading too costly (import then reads with Pillow), repeated tags, other
    directories, pointers elsewhere, values outside the data, too many tags, or a tag
    detectors read stored as numbers.
    """
    IGNORE_TAGS, EXIF_TAGS, GPS_TAGS, INTEROP_TAGS = _exifread_tables()  # noqa: N806
    if not scan.exifread_safe or scan.bigtiff or scan.walked is None:
        return None
    by_name: dict[str, list[tuple[int, int, int, int]]] = {}
    known: dict[str, tuple[str, set[int]]] = {}  # exifread's name, pointers it may hold
    chain: list[str] = []  # IFD0, IFD1, IFD2...: the pages of a TIFF, in file order
    for name, entries in scan.walked:
        ifd = _walked_ifd(name)
        if name in by_name or ifd is None:
            return None
        by_name[name], known[name] = entries, ifd
        if _in_chain(name):
            chain.append(name)
    if sum(len(e) for e in by_name.values()) >= MAX_EXIF_TAGS // 2:
        return None
    tables = {"GPS IFD": GPS_TAGS, "Interop IFD": INTEROP_TAGS}
    tiff = scan.tiff
    size = len(tiff)
    offset_at = _U32[scan.order].unpack_from
    sizes = _TIFF_TYPE_SIZES
    pointers = (_EXIF_IFD_POINTER, _GPS_IFD_POINTER, _INTEROP_IFD_POINTER)
    texts: dict[str, dict[int, str]] = {}
    tag_sets: dict[str, set[int]] = {}
    for name, entries in by_name.items():
        allowed = known[name][1]
        tags = tag_sets[name] = {e[0] for e in entries}
        if len(tags) != len(entries):
            return None
        names_read = _TEXT_TAGS_READ if name in ("IFD0", "EXIF IFD") else ()
        table = tables.get(name) or EXIF_TAGS
        found: dict[int, str] = {}
        for tag, kind, count, pos in entries:
            width = sizes.get(kind, 0) * count
            if width > 4 and offset_at(tiff, pos)[0] + width > size:
                return None  # exifread may fail on a value past the data: let it
            if kind != 2 and (count > 64 or kind not in (1, 6, 7)):
                # Numbers, or blobs the full reading leaves out too: the commonest case.
                if tag in pointers:
                    if tag not in allowed or kind not in (4, 13) or count != 1:
                        return None
                elif tag in names_read and tag not in IGNORE_TAGS:
                    return None
                continue
            if tag in pointers:
                return None  # a pointer of a type exifread would not follow
            if tag in IGNORE_TAGS:
                continue
            if kind != 2 and tag in names_read:
                return None
            start = pos if count <= 4 else offset_at(tiff, pos)[0]
            raw = tiff[start : start + min(count, 4 * MAX_STRING)]
            entry = table.get(tag)
            try:
                text = _exifread_text(kind, count, raw, entry)
            except Exception:  # exifread's value map would fail too: let it fail there
                return None
            if text is not None:
                found[tag] = text
        texts[name] = found
    ifd0_tags = tag_sets.get("IFD0", set())
    if _GPS_IFD_POINTER in ifd0_tags and "GPS IFD" not in by_name:
        return None
    if _EXIF_IFD_POINTER in ifd0_tags and "EXIF IFD" not in by_name:
        return None
    if _INTEROP_IFD_POINTER in tag_sets.get("EXIF IFD", set()) and "Interop IFD" not in by_name:
        return None

    out: dict[str, str] = {}

    def emit(name: str) -> None:
        prefix = known[name][0]
        table = tables.get(name) or EXIF_TAGS
        for tag, _kind, _count, _pos in by_name.get(name, []):
            if name == "IFD0" and tag == _GPS_IFD_POINTER:
                emit("GPS IFD")
            elif name == "EXIF IFD" and tag == _INTEROP_IFD_POINTER:
                emit("Interop IFD")
            if tag not in texts[name]:
                continue
            if tag in _SKIP_EXIF_TAGS and prefix not in ("GPS", "Interoperability"):
                continue
            entry = table.get(tag)
            out[f"{prefix} {entry[0] if entry else f'Tag 0x{tag:04X}'}"] = texts[name][tag]

    # exifread's order: the chain (each directory with the GPS one where it points to it),
    # then the EXIF directory.
    for name in [*chain, "EXIF IFD"]:
        if name in by_name:
            emit(name)
    return out


def _walked_ifd(name: str) -> tuple[str, set[int]] | None:
    """exifread's name for a directory of our walk, and the directory pointers it may hold
    for the walk to stand in for exifread; None for a directory the walk does not cover."""
    known = _WALKED_IFDS.get(name)
    if known is not None:
        return known
    if _in_chain(name):
        return f"IFD {int(name[3:])}", set()  # a further page: exifread's "IFD 2" and on
    return None


def _in_chain(name: str) -> bool:
    """Whether a directory of our walk is one of the chain's: IFD0, IFD1, IFD2..."""
    return name.startswith("IFD") and name[3:].isdigit()


def _exifread_text(kind: int, count: int, raw: bytes, entry: Any) -> str | None:
    """What `_exif_with_exifread` keeps of one ASCII or byte tag, computed as exifread does
    (its value maps included); None when that cannot be text a detector matches."""
    mapping = entry[1] if entry and len(entry) > 1 else None
    if kind == 2:
        value = raw[:count].split(b"\x00", 1)[0]
        try:
            values: Any = value.decode("utf-8")
        except UnicodeDecodeError:
            return _clip(_decode_text(value).rstrip("\x00"))
    else:
        signed = kind == 6
        values = [b - 256 if signed and b > 127 else b for b in raw[:count]]
        if mapping is None:
            return None  # a list of numbers
    if mapping is None:
        printable = str(values)
    elif callable(mapping):
        printable = str(mapping(values))
    elif isinstance(mapping, dict):
        printable = "".join(mapping.get(v, repr(v)) for v in values)
    else:
        return None
    return _clip(printable.rstrip("\x00"))


def _exif_with_exifread(tiff: bytes, ctx: _Context) -> dict[str, str]:
    import exifread

    out: dict[str, str] = {}
    with _exifread_log().capture() as messages:
        try:
            tags = exifread.process_file(io.BytesIO(tiff), details=False, extract_thumbnail=False)
        except Exception as exc:
            ctx.warn(f"EXIF: exifread failed ({type(exc).__name__}: {_short(exc)})")
            tags = {}
    for message in messages:
        ctx.warn(f"EXIF: {message}")
    for key, tag in tags.items():
        if len(out) >= MAX_EXIF_TAGS:
            ctx.warn(f"EXIF: more than {MAX_EXIF_TAGS} tags, the rest are left out")
            break
        if not isinstance(key, str) or key in ("JPEGThumbnail", "TIFFThumbnail"):
            continue
        tag_id = getattr(tag, "tag", None)
        if tag_id in _SKIP_EXIF_TAGS and not key.startswith(("GPS ", "Interoperability ")):
            continue
        field_type = getattr(tag, "field_type", None)
        field_length = getattr(tag, "field_length", 0)
        if field_type in (1, 6, 7) and isinstance(field_length, int) and field_length > 64:
            continue  # a binary blob, not something to show
        values = getattr(tag, "values", None)
        if isinstance(values, bytes | bytearray):
            text = _decode_text(bytes(values))
        else:
            text = str(getattr(tag, "printable", tag))
        out[key] = _clip(text.rstrip("\x00"))
    return out


def _exif_with_pillow(ctx: _Context, scan: _TiffScan | None) -> dict[str, str]:
    """Read EXIF with Pillow, naming tags the way exifread does."""
    from PIL import ExifTags, Image

    exif: Image.Exif
    if ctx.fmt == "TIFF" and ctx.image is not None:
        exif = ctx.image.getexif()
    elif scan is not None and not scan.bigtiff:
        exif = Image.Exif()
        try:
            exif.load(scan.tiff)
        except Exception as exc:
            ctx.warn(f"EXIF: unreadable ({type(exc).__name__}: {_short(exc)})")
            return {}
    else:
        return {}
    out: dict[str, str] = {}

    def add(prefix: str, tags: dict[int, Any], names: dict[int, str]) -> None:
        for tag_id, value in tags.items():
            if len(out) >= MAX_EXIF_TAGS:
                return
            if prefix != "GPS" and tag_id in _SKIP_EXIF_TAGS:
                continue
            text = _pillow_value(value)
            if text is not None:
                name = names.get(int(tag_id)) or f"Tag 0x{int(tag_id):04X}"
                out[f"{prefix} {name}"] = _clip(text)

    add("Image", dict(exif), ExifTags.TAGS)
    for prefix, pointer, names in (
        ("EXIF", _EXIF_IFD_POINTER, ExifTags.TAGS),
        ("GPS", _GPS_IFD_POINTER, ExifTags.GPSTAGS),
    ):
        try:
            add(prefix, dict(exif.get_ifd(pointer)), names)
        except Exception as exc:
            ctx.warn(f"EXIF: unreadable {prefix} IFD ({type(exc).__name__}: {_short(exc)})")
    return out


def _pillow_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value.rstrip("\x00")
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        if len(raw) > 64:
            return None
        if raw and all(0x20 <= c <= 0x7E for c in raw.rstrip(b"\x00")):
            return raw.rstrip(b"\x00").decode("ascii")
        return str(list(raw))
    if isinstance(value, tuple | list):
        parts = [_pillow_value(v) for v in list(value)[:20]]
        return "[" + ", ".join(p or "" for p in parts) + ("]" if len(value) <= 20 else ", ...]")
    numerator = getattr(value, "numerator", None)
    denominator = getattr(value, "denominator", None)
    if isinstance(numerator, int) and isinstance(denominator, int) and not isinstance(value, int):
        return str(numerator) if denominator == 1 else f"{numerator}/{denominator}"
    if isinstance(value, int | float):
        return str(value)
    return None


def _add_decoded_comments(scan: _TiffScan, exif: dict[str, str]) -> None:
    """Add the text tags exifread leaves out or shortens: UserComment and the XP* tags."""
    comment = scan.raw.get(("EXIF IFD", _TAG_USER_COMMENT))
    if comment:
        text = decode_user_comment(comment, scan.order)
        if text:
            exif["EXIF UserComment"] = text
    for tag, name in _XP_TAGS.items():
        raw = scan.raw.get(("IFD0", tag))
        if raw:
            text = raw[: len(raw) - len(raw) % 2].decode("utf-16-le", "replace")
            text = text.rstrip("\x00").strip()
            if text:
                exif[f"Image {name}"] = _clip(text)


def decode_user_comment(raw: bytes, order: str = ">") -> str:
    """Decode an EXIF UserComment: an 8-byte character code, then the text.

    ``order`` is the byte order of the TIFF structure ("<" or ">"), used as a hint for
    UNICODE comments whose text does not show its own byte order.
    """
    head, body = raw[:8], raw[8:]
    if head == b"UNICODE\x00":
        text = _decode_utf16(body, order)
    elif head == b"ASCII\x00\x00\x00":
        text = _decode_text(body)
    elif head == b"JIS\x00\x00\x00\x00\x00":
        try:
            text = body.decode("shift_jis")
        except UnicodeDecodeError:
            text = body.decode("euc_jp", "replace")
    elif head == b"\x00" * 8:
        text = _decode_text(body)
    else:
        text = _decode_text(raw)
    return _clip(text.rstrip("\x00 ").lstrip("\x00"))


def _decode_utf16(body: bytes, order: str) -> str:
    if body[:2] == b"\xff\xfe":
        return body[2 : 2 + 2 * MAX_STRING].decode("utf-16-le", "replace")
    if body[:2] == b"\xfe\xff":
        return body[2 : 2 + 2 * MAX_STRING].decode("utf-16-be", "replace")
    body = body[: min(len(body) - len(body) % 2, 2 * MAX_STRING)]
    # Mostly-ASCII text shows its byte order in where the zero bytes fall; otherwise trust
    # the byte order of the TIFF structure around it.
    sample = body[:4096]
    even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
    if even_zeros >= 2 and even_zeros > 2 * odd_zeros:
        codec = "utf-16-be"
    elif odd_zeros >= 2 and odd_zeros > 2 * even_zeros:
        codec = "utf-16-le"
    else:
        codec = "utf-16-le" if order == "<" else "utf-16-be"
    return body.decode(codec, "replace")


class _LogCapture(logging.Filter):
    """Keep exifread's log messages out of the application log while we read a file, and
    hand them back to the reader as warnings. Thread-safe: capture is per thread."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        messages: list[str] | None = getattr(self._local, "messages", None)
        if messages is None:
            return True  # not ours: let it through unchanged
        if record.levelno >= logging.WARNING and len(messages) < 10:
            try:
                messages.append(record.getMessage())
            except Exception:
                messages.append(str(record.msg))
        return False

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        previous = getattr(self._local, "messages", None)
        messages: list[str] = []
        self._local.messages = messages
        try:
            yield messages
        finally:
            self._local.messages = previous


_LOG_CAPTURE: _LogCapture | None = None
_LOG_CAPTURE_LOCK = threading.Lock()


def _exifread_log() -> _LogCapture:
    global _LOG_CAPTURE
    with _LOG_CAPTURE_LOCK:
        if _LOG_CAPTURE is None:
            _LOG_CAPTURE = _LogCapture()
            logging.getLogger("exifread").addFilter(_LOG_CAPTURE)
        return _LOG_CAPTURE


# --------------------------------------------------------------------------------------------
# Step 3: XMP
# --------------------------------------------------------------------------------------------

_XMP_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/bj/": "xmpBJ",
    "http://ns.adobe.com/xap/1.0/t/pg/": "xmpTPg",
    "http://ns.adobe.com/xap/1.0/g/": "xmpG",
    "http://ns.adobe.com/xap/1.0/g/img/": "xmpGImg",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/": "xmpDM",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
    "http://ns.adobe.com/xap/1.0/sType/Dimensions#": "stDim",
    "http://ns.adobe.com/xap/1.0/sType/Version#": "stVer",
    "http://ns.adobe.com/xmp/sType/Area#": "stArea",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
    "http://www.metadataworkinggroup.com/schemas/keywords/": "mwg-kw",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "GContainer",
    "http://ns.camerabits.com/photomechanic/1.0/": "photomechanic",
    "http://ns.microsoft.com/photo/1.0/": "MicrosoftPhoto",
    "http://ns.adobe.com/xmp/identifier/qual/1.0/": "xmpidq",
    _RDF: "rdf",
    "adobe:ns:meta/": "x",
}


def _read_xmp(ctx: _Context, result: dict[str, Any]) -> None:
    keep = ctx.xmp_keys
    if keep is None:
        _read_xmp_packets(ctx, result)
        return
    mark = len(ctx.warnings)
    ctx.xmp_values = 0
    attempt: dict[str, Any] = {}
    _read_xmp_packets(ctx, attempt)
    if ctx.xmp_values < MAX_XMP_PROPERTIES:
        result.update(attempt)
        return
    # Past the cap on values, which of them the whole reading keeps depends on the ones
    # skipped: read it all, then cut it down to the kept properties.
    del ctx.warnings[mark:]
    ctx.xmp_keys = None
    try:
        _read_xmp_packets(ctx, result)
    finally:
        ctx.xmp_keys = keep
    cut = {k: v for k, v in result.pop("xmp", {}).items() if k.split("/")[0] in keep}
    if cut:
        result["xmp"] = cut


def _read_xmp_packets(ctx: _Context, result: dict[str, Any]) -> None:
    scan = ctx.tiff_scan
    if ctx.xmp is None and scan is not None:
        raw = scan.raw.get(("IFD0", _TAG_XMP))
        if raw:
            ctx.xmp, ctx.xmp_source = raw, "tiff-tag-700" if ctx.fmt == "TIFF" else "exif-tag-700"
    if ctx.xmp is None and ctx.photoshop_irb is not None:
        raw = _irb_resources(ctx.photoshop_irb, ctx).get(0x0424)
        if raw:
            ctx.xmp, ctx.xmp_source = raw, "photoshop-irb"
    if ctx.xmp is None:
        if ctx.extended_xmp:
            ctx.warn("XMP: extended XMP without a main packet")
        return
    if len(ctx.xmp) > MAX_XMP_PACKET:
        ctx.warn("XMP: packet larger than 4 MiB, not read")
        return
    size = len(ctx.xmp)
    properties = _parse_xmp(ctx.xmp, ctx)
    if properties and _HAS_EXTENDED_XMP in properties and not ctx.extended_xmp:
        ctx.warn("XMP: extended XMP is announced but missing")
    if ctx.extended_xmp and properties is not None:
        extended = _assemble_extended_xmp(ctx, properties.get(_HAS_EXTENDED_XMP))
        if extended is not None:
            size += len(extended)
            more = _parse_xmp(extended, ctx, label="XMP (extended)")
            for key, value in (more or {}).items():
                if key not in properties and len(properties) < MAX_XMP_PROPERTIES:
                    properties[key] = value
    result["xmp_size"] = size
    result["xmp_source"] = ctx.xmp_source
    if properties:
        result["xmp"] = properties


def _assemble_extended_xmp(ctx: _Context, wanted: Any) -> bytes | None:
    guid = wanted if isinstance(wanted, str) else ""
    entry = ctx.extended_xmp.get(guid)
    if entry is None:
        if guid:
            ctx.warn("XMP: extended XMP named by the main packet is missing")
            return None
        if len(ctx.extended_xmp) != 1:
            ctx.warn("XMP: extended XMP segments without a matching GUID")
            return None
        guid, entry = next(iter(ctx.extended_xmp.items()))
        ctx.warn("XMP: extended XMP is not announced by the main packet")
    if entry.full_length > MAX_XMP_PACKET:
        ctx.warn("XMP: extended XMP larger than 4 MiB, not read")
        return None
    buffer = bytearray(entry.full_length)
    covered = 0
    for offset, part in sorted(entry.parts.items()):
        if offset >= entry.full_length:
            ctx.warn("XMP: extended XMP part lies outside the declared length")
            continue
        part = part[: entry.full_length - offset]
        buffer[offset : offset + len(part)] = part
        covered += len(part)
    if covered < entry.full_length:
        ctx.warn("XMP: extended XMP is incomplete")
    digest = hashlib.md5(buffer, usedforsecurity=False).hexdigest().upper()
    if digest != guid.upper():
        ctx.warn("XMP: extended XMP checksum does not match its GUID")
    return bytes(buffer)


def _prepare_packet(raw: bytes) -> bytes:
    """Cut padding and trailing junk around an XMP packet (8-bit encodings only)."""
    if raw[:2] in (b"\x00<", b"<\x00", b"\xff\xfe", b"\xfe\xff"):
        return raw  # UTF-16: leave it to the XML parser
    end = raw.rfind(b"<?xpacket end")
    if end >= 0:
        close = raw.find(b"?>", end)
        if close >= 0:
            raw = raw[: close + 2]
    else:
        end = raw.rfind(b"</x:xmpmeta>")
        if end >= 0:
            raw = raw[: end + len(b"</x:xmpmeta>")]
    return raw.strip(b"\x00 \t\r\n")


def _parse_xmp(raw: bytes, ctx: _Context, label: str = "XMP") -> dict[str, Any] | None:
    """Parse an XMP packet safely and flatten it; None (with a warning) if it is unreadable."""
    packet = _prepare_packet(raw)
    if not packet:
        ctx.warn(f"{label}: empty packet")
        return None
    if ctx.xmp_keys is not None:
        return _parse_xmp_kept(packet, ctx, label, ctx.xmp_keys)
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree as SafeET

    declared: dict[str, str] = {}
    try:
        events = SafeET.iterparse(
            io.BytesIO(packet), events=("start-ns",), forbid_dtd=True, forbid_entities=True
        )
        for _event, item in events:
            if isinstance(item, tuple) and len(item) == 2:
                prefix, uri = item
                if isinstance(prefix, str) and isinstance(uri, str):
                    _declare(declared, prefix, uri)
        root = events.root
    except defusedxml.DTDForbidden:
        ctx.warn(f"{label}: refused, the packet contains a DTD")
        return None
    except defusedxml.EntitiesForbidden:
        ctx.warn(f"{label}: refused, the packet declares entities")
        return None
    except defusedxml.DefusedXmlException as exc:
        ctx.warn(f"{label}: refused ({type(exc).__name__})")
        return None
    except ParseError as exc:
        line = getattr(exc, "position", (0, 0))[0]
        ctx.warn(f"{label}: not well-formed (line {line})")
        return None
    if root is None:
        ctx.warn(f"{label}: no document")
        return None
    flattener = _XmpFlattener(declared, ctx, label, ctx.xmp_keys)
    flattener.run(cast("Element", root))
    return flattener.out


# "uri}local" names in the namespaces of _XMP_PREFIXES, with the key the flattener gives
# them: the same in every packet, and files from one writer repeat them.
_STANDARD_QNAMES: dict[str, str] = {}


class _DtdRefused(Exception):
    pass


def _parse_xmp_kept(
    packet: bytes, ctx: _Context, label: str, keep: frozenset[str]
) -> dict[str, Any] | None:
    """`_parse_xmp` for a reader that wants only the top-level properties in `keep`.

    Plain packets go to libxml2 (`_parse_xmp_kept_fast`); the rest, and any packet libxml2
    says a word about, are streamed by expat (`_parse_xmp_kept_streamed`).
    """
    fast = _parse_xmp_kept_fast(packet, ctx, label, keep)
    if fast is not None:
        return fast
    return _parse_xmp_kept_streamed(packet, ctx, label, keep)


# The XML declaration's encoding, when it names one.
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


_XPACKET_BEGINS = (b'<?xpacket begin="\xef\xbb\xbf"', b"<?xpacket begin='\xef\xbb\xbf'")
_PI_TARGET = re.compile(rb"<\?[^\s?]*")
# Every byte beyond ASCII made 0x80, to find them with bytes.find.
_HIGH = bytes(range(128)) + b"\x80" * 128
_MAX_HIGH_RUNS = 10_000


def _names_read_alike(packet: bytes) -> bool:
    """False where a name in a (well-formed) packet, of an element, an attribute, a
    namespace prefix or a processing instruction, may have a character beyond ASCII:
    libxml2 takes the wider name characters of XML 1.0's fifth edition (U+0219, U+FEFF,
    everything past U+FFFF...), expat the older ones, and a packet only one of them reads
    must go to expat.

    Most packets hold no byte beyond ASCII but the byte order mark of their xpacket header.
    In the rest, each byte beyond ASCII is placed by the markup before it: after a closed
    tag (text), inside a quoted value, a comment, CDATA or past a processing instruction's
    target, it is in no name. Anything else, or any doubt, says False.
    """
    if packet.isascii() or (
        packet.startswith(_XPACKET_BEGINS) and packet[len(_XPACKET_BEGINS[0]) :].isascii()
    ):
        return True
    high = packet.translate(_HIGH)
    at = high.find(b"\x80")
    for _ in range(_MAX_HIGH_RUNS):
        if at < 0:
            return True
        lt = packet.rfind(b"<", 0, at)
        if lt < 0:
            return False
        gt = packet.rfind(b">", lt, at)
        kind = packet[lt + 1 : lt + 2]
        if gt > lt and not _in_quotes(packet, lt, gt):
            # Text after a closed tag, as far as the next markup (comments and PIs that
            # hold a ">" land here too, which is no name either).
            following = packet.find(b"<", at)
            at = high.find(b"\x80", following) if following >= 0 else -1
            continue
        if kind == b"?":
            target = _PI_TARGET.match(packet, lt)
            if target is None or at < target.end():
                return False
        elif kind != b"!" and not _in_quotes(packet, lt, at):
            return False  # in the name of an element or an attribute
        at = high.find(b"\x80", at + 1)
    return False


def _in_quotes(packet: bytes, start: int, end: int) -> bool:
    """Whether `end` lies inside a quoted attribute value of the tag that starts at
    `start` (a tag holds no "<", so its quotes pair up from its start)."""
    at = start
    while True:
        double = packet.find(b'"', at, end)
        single = packet.find(b"'", at, end)
        if double < 0 and single < 0:
            return False
        opened = double if single < 0 or 0 <= double < single else single
        closed = packet.find(packet[opened : opened + 1], opened + 1, end)
        if closed < 0:
            return True
        at = closed + 1


@functools.cache
def _lxml_etree() -> Any:
    """lxml.etree, imported on first use; None where lxml is missing."""
    try:
        from lxml import etree
    except ImportError:
        return None
    return etree


_LXML_PARSERS = threading.local()


def _lxml_parser() -> Any:
    """This thread's libxml2 parser for XMP (one may not be shared between threads; making
    one costs more than parsing a small packet): no entities, no DTD, no network, and
    comments and processing instructions left out of the tree, as ElementTree does."""
    parser = getattr(_LXML_PARSERS, "parser", None)
    if parser is None:
        parser = _lxml_etree().XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _LXML_PARSERS.parser = parser
    return parser


@functools.cache
def _count_values() -> Any:
    """An XPath that counts a tree's elements and attributes as expat's handlers see them
    (namespace declarations are not attributes there either)."""
    return _lxml_etree().XPath("count(//*) + count(//@*)")


_MAX_DECLARED = 200  # namespace declarations remembered per packet


def _declare(declared: dict[str, str], prefix: str | None, uri: str) -> None:
    """Note a namespace declaration, in document order: the first prefix of a URI is the
    one its keys get."""
    if len(declared) < _MAX_DECLARED:
        declared.setdefault(uri, prefix or "")


class _NotAlike(Exception):
    """libxml2's tree cannot say what expat would: the packet goes to expat after all."""


class _DeclaredNamespaces(dict[str, str]):
    """The packet's namespace declarations, uri -> prefix (the first one of a uri), in
    document order as expat reports them, looked up from the tree only when first asked.

    An explicit declaration of the xml prefix is one expat reports and libxml2's tree does
    not: a packet with one raises _NotAlike when asked."""

    def __init__(self, root: Any, packet: bytes) -> None:
        super().__init__()
        self._root: Any = root
        self._packet = packet

    def get(self, uri: str, default: Any = None) -> Any:
        if self._root is not None:
            if b"xmlns:xml" in self._packet:
                raise _NotAlike
            root, self._root = self._root, None
            for _event, (prefix, declared) in _lxml_etree().iterwalk(root, events=("start-ns",)):
                _declare(self, prefix, declared)
        return super().get(uri, default)


def _parse_xmp_kept_fast(
    packet: bytes, ctx: _Context, label: str, keep: frozenset[str]
) -> dict[str, Any] | None:
    """The kept properties of a plain packet, read by libxml2 (lxml) into a tree in C and
    flattened from there; None when the packet is not one this reading is sure to read as
    expat does, so that the caller streams it instead.

    Expat's handlers cost more than its parsing: each element costs a call into Python, and
    a photo's packet holds hundreds of elements in properties nobody reads (edit history,
    camera-raw settings, IPTC structures). libxml2 builds the whole tree in C for about what
    expat costs without handlers, and the flattener then visits only the kept properties.
    It is taken only where the two parsers agree: 8-bit packets in UTF-8 (or ASCII) with no
    DTD (also where entities would be declared), parsed without a single error or warning
    from libxml2 (an unbound prefix, say: expat's reading decides those), and with fewer
    elements and attributes than the cap on values (the cap's other side is read in full by
    `_read_xmp`).
    """
    etree = _lxml_etree()
    if etree is None:  # the streamed reading needs nothing but the standard library
        return None
    # 8-bit only: "<" then a zero byte is UTF-16 or UTF-32 without a byte order mark, which
    # libxml2 reads and expat refuses. No DTD reaches libxml2 (an entity can only be declared
    # inside one, and outside one it is an error).
    if not packet.startswith(b"<") or packet[1:2] == b"\x00" or _has_doctype(packet):
        return None
    if packet.startswith(b"<?xml"):
        declared_encoding = _XML_ENCODING.match(packet, 0, packet.find(b"?>") + 2)
        # Only "UTF-8" itself: expat reads other names ("utf8" among them) as Python codecs
        # one byte a character, where libxml2 reads UTF-8.
        if declared_encoding and declared_encoding.group(1).lower() != b"utf-8":
            return None
    parser = _lxml_parser()
    try:
        root = etree.fromstring(packet, parser)
    except etree.XMLSyntaxError:
        return None
    if len(parser.error_log) or not _names_read_alike(packet):
        return None
    # Every element and attribute takes at least four bytes ("<a/>", ' b=""'): a small
    # packet is under the cap without counting, a larger one is counted in C.
    values = len(packet) // 4
    if ctx.xmp_values + values >= MAX_XMP_PROPERTIES:
        values = int(_count_values()(root))
        if ctx.xmp_values + values >= MAX_XMP_PROPERTIES:
            return None
    ctx.xmp_values += values  # at least as many as expat counts: the cap is kept
    rdf_tag = f"{{{_RDF}}}RDF"
    rdf = root if root.tag == rdf_tag else next(root.iterdescendants(rdf_tag), None)
    if rdf is None:
        if len(root):  # an empty <x:xmpmeta/> is valid and says nothing
            ctx.warn(f"{label}: no rdf:RDF element")
        return {}
    flattener = _XmpFlattener(_DeclaredNamespaces(root, packet), ctx, label, keep)
    warned = len(ctx.warnings)
    try:
        flattener.run(rdf)
    except _NotAlike:
        del ctx.warnings[warned:]
        ctx.xmp_values -= values
        return None
    return flattener.out


_FIRST_ELEMENT = re.compile(rb"<[^?!]")


def _has_doctype(packet: bytes) -> bool:
    """Whether a packet may hold a DOCTYPE: searched for before the first element, where
    alone one is read (one further on is an error to either parser), unless a comment
    there could hide where that is."""
    first = _FIRST_ELEMENT.search(packet)
    head = packet if first is None else packet[: first.start()]
    return b"<!DOCTYPE" in (packet if b"<!--" in head else head)


def _parse_xmp_kept_streamed(
    packet: bytes, ctx: _Context, label: str, keep: frozenset[str]
) -> dict[str, Any] | None:
    """`_parse_xmp` for a reader that wants only the top-level properties in `keep`.

    Expat streams the packet and only rdf:RDF, its descriptions and the kept properties'
    elements reach a tree, which `_XmpFlattener` then reads as it reads a whole one: same
    keys, same values, same refusals (a DTD, which is also where entities would be
    declared) and the same verdict on a packet that is not well-formed.
    """
    from xml.etree.ElementTree import TreeBuilder
    from xml.parsers import expat

    rdf_name = f"{_RDF}}}RDF"
    description = f"{_RDF}}}Description"
    declared: dict[str, str] = {}
    flattener = _XmpFlattener(declared, ctx, label, keep)
    builder = TreeBuilder()
    # The mode of each open element: 0 outside rdf:RDF, 1 the (first) rdf:RDF, 2 a
    # description in it, 3 a kept property or inside one, 4 a skipped one or inside it.
    # Modes 1 to 3 reach the tree; only mode 3 needs its text.
    modes: list[int] = []
    seen = {"rdf": False, "root_children": 0}

    def fix(name: str) -> str:
        return "{" + name if "}" in name else name

    def kept(name: str) -> bool:
        """Whether a top-level name (expat's "uri}local") is one of the kept properties."""
        qname = _STANDARD_QNAMES.get(name)
        if qname is None:
            uri, brace, local = name.partition("}")
            if not brace:
                return False
            prefix = _XMP_PREFIXES.get(uri)
            if prefix is None:  # a prefix of the packet's own: not the same in every packet
                return flattener.qname("{" + name) in keep
            qname = f"{prefix}:{local}"
            if len(_STANDARD_QNAMES) < 10_000:
                _STANDARD_QNAMES[name] = qname
        return qname in keep

    def start(name: str, attrs: dict[str, str]) -> None:
        ctx.xmp_values += 1 + len(attrs)
        depth = len(modes)
        parent = modes[-1] if depth else 0
        if depth == 1:
            seen["root_children"] += 1
        # The commonest cases first: inside a property, then a property of a description.
        if parent >= 3:
            mode = parent
        elif parent == 2:
            mode = 2 if name == description else 3 if kept(name) else 4
        elif parent == 1:
            mode = 2
        else:
            mode = 1 if name == rdf_name and not seen["rdf"] else 0
            seen["rdf"] = seen["rdf"] or mode == 1
        modes.append(mode)
        if mode == 2:
            # The attributes of a description are top-level properties: the flattener
            # would read only the kept ones, so only those reach the tree.
            builder.start(fix(name), {"{" + k: v for k, v in attrs.items() if kept(k)})
        elif mode == 1 or mode == 3:
            builder.start(fix(name), {fix(k): v for k, v in attrs.items()})
            if mode == 3 and parent != 3:
                parser.CharacterDataHandler = builder.data  # text matters only in here

    def end(name: str) -> None:
        mode = modes.pop()
        if 1 <= mode <= 3:
            builder.end(fix(name))
            if mode == 3 and modes[-1] != 3:
                parser.CharacterDataHandler = None

    def namespace(prefix: str | None, uri: str) -> None:
        if isinstance(uri, str):
            _declare(declared, prefix, uri)

    def refuse(*_args: Any) -> None:
        raise _DtdRefused

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartNamespaceDeclHandler = namespace
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(packet, True)
    except _DtdRefused:
        ctx.warn(f"{label}: refused, the packet contains a DTD")
        return None
    except expat.ExpatError as exc:
        ctx.warn(f"{label}: not well-formed (line {exc.lineno})")
        return None
    if not seen["rdf"]:
        if seen["root_children"]:  # an empty <x:xmpmeta/> is valid and says nothing
            ctx.warn(f"{label}: no rdf:RDF element")
        return {}
    flattener.run(builder.close())
    return flattener.out


# Top-level property names ("{uri}local") in the standard namespaces and the key each has
# when kept (None: not kept), per (attribute or element, kept keys).
_KEPT_KEYS: dict[tuple[bool, frozenset[str]], dict[str, object]] = {}
_UNKNOWN = object()
# Descriptions with more attributes than this are asked for the kept ones by name.
_FEW_ATTRIBUTES = 8


@functools.cache
def _kept_locals(keep: frozenset[str]) -> frozenset[str]:
    """The local parts of the kept keys ("CreatorTool" of "xmp:CreatorTool")."""
    return frozenset(key.rpartition(":")[2] for key in keep)


@functools.cache
def _kept_standard_names(keep: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """("{uri}local", key) for every kept key whose prefix is a standard namespace's."""
    uris = {prefix: uri for uri, prefix in _XMP_PREFIXES.items()}
    names = []
    for key in sorted(keep):
        prefix, colon, local = key.partition(":")
        if colon and prefix in uris and uris[prefix] not in (_RDF, _XML_NS):
            names.append((f"{{{uris[prefix]}}}{local}", key))
    return tuple(names)


class _XmpFlattener:
    """Turn the RDF tree of an XMP packet into flat "prefix:Name" keys."""

    def __init__(
        self,
        declared: dict[str, str],
        ctx: _Context,
        label: str,
        keep: frozenset[str] | None = None,
    ) -> None:
        self.declared = declared
        self.keep = keep  # None: every property; else only these top-level ones
        self.ctx = ctx
        self.label = label
        self.out: dict[str, Any] = {}
        self.count = 0
        self.full = False

    def run(self, root: Element) -> None:
        rdf_tag = f"{{{_RDF}}}RDF"
        rdf = root if root.tag == rdf_tag else root.find(f".//{rdf_tag}")
        if rdf is None:
            if len(root):  # an empty <x:xmpmeta/> is valid and says nothing
                self.ctx.warn(f"{self.label}: no rdf:RDF element")
            return
        for node in rdf:
            self.struct(node, "", 0)

    def qname(self, tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, _, local = tag[1:].partition("}")
        prefix = _XMP_PREFIXES.get(uri) or self.declared.get(uri) or _uri_prefix(uri)
        return f"{prefix}:{local}" if prefix else local

    def add(self, key: str, value: str, as_list: bool = False) -> None:
        if self.count >= MAX_XMP_PROPERTIES:
            if not self.full:
                self.full = True
                self.ctx.warn(f"{self.label}: more than {MAX_XMP_PROPERTIES} values, rest left out")
            return
        self.count += 1
        value = _clip(value)
        existing = self.out.get(key)
        if existing is None:
            self.out[key] = [value] if as_list else value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            self.out[key] = [existing, value]

    def kept_key(self, name: str, attribute: bool) -> str | None:
        """The key of a top-level property (an attribute or a child of a description) when
        `keep` keeps it, else None; remembered where it is the same in every packet: for
        names in the standard namespaces, and for names whose local part no kept key has
        (the packet's own prefixes, looked up only for the rest, cannot make them kept)."""
        keep = self.keep or frozenset()
        uri, brace, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        same_everywhere = not uri or uri in _XMP_PREFIXES
        if attribute and (not brace or uri in (_RDF, _XML_NS)):
            key = None  # attributes in no namespace, and RDF/XML syntax, are not properties
        elif local not in _kept_locals(keep):
            key, same_everywhere = None, True
        else:
            qname = self.qname(name)
            key = qname if qname in keep else None
        cache = _KEPT_KEYS.setdefault((attribute, keep), {})
        if same_everywhere and len(cache) < 10_000:
            cache[name] = key
        return key

    def struct(self, node: Element, path: str, depth: int) -> None:
        """Add the attributes and child elements of ``node`` as fields under ``path``."""
        if depth > MAX_XMP_DEPTH:
            self.ctx.warn(f"{self.label}: nested deeper than {MAX_XMP_DEPTH} levels, cut")
            return
        if not path and self.keep is not None:
            self._kept_struct(node, depth)
            return
        for name, value in node.attrib.items():
            # Attributes in no namespace (old writers put about="..." there) and RDF/XML
            # attributes are syntax, not properties.
            if not name.startswith("{") or name.startswith((f"{{{_RDF}}}", f"{{{_XML_NS}}}")):
                continue
            key = _join(path, self.qname(name))
            if self.keep is None or path or key in self.keep:
                self.add(key, value)
        for child in node:
            if not isinstance(child.tag, str):
                continue  # comments and processing instructions
            if child.tag == f"{{{_RDF}}}Description":
                self.struct(child, path, depth + 1)
                continue
            key = _join(path, self.qname(child.tag))
            if self.keep is None or path or key in self.keep:
                self.prop(child, key, depth + 1)

    def _kept_struct(self, node: Element, depth: int) -> None:
        """`struct` at the top level when only the kept properties are wanted: the same
        keys in the same order, without working out the key of every property skipped."""
        keep = self.keep or frozenset()
        attributes = _KEPT_KEYS.setdefault((True, keep), {})
        elements = _KEPT_KEYS.setdefault((False, keep), {})
        description = f"{{{_RDF}}}Description"
        attrib = node.attrib
        in_scope = getattr(node, "nsmap", None)  # lxml's elements only
        if (
            len(attrib) > _FEW_ATTRIBUTES
            and in_scope is not None
            and all(uri in _XMP_PREFIXES for uri in in_scope.values())
        ):
            # Only standard namespaces, each with its own prefix: a kept key can come
            # from one attribute name only, so ask for those instead of reading them all.
            for name, key in _kept_standard_names(keep):
                value = attrib.get(name)
                if value is not None:
                    self.add(key, value)
        else:
            for name in attrib:  # the values of the kept only (some are long blobs)
                known = attributes.get(name, _UNKNOWN)
                if known is _UNKNOWN:
                    known = self.kept_key(name, True)
                if known is not None:
                    self.add(str(known), attrib[name])
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            if tag == description:
                self.struct(child, "", depth + 1)
                continue
            known = elements.get(tag, _UNKNOWN)
            if known is _UNKNOWN:
                known = self.kept_key(tag, False)
            if known is not None:
                self.prop(child, str(known), depth + 1)

    def prop(self, el: Element, key: str, depth: int) -> None:
        if depth > MAX_XMP_DEPTH:
            self.ctx.warn(f"{self.label}: nested deeper than {MAX_XMP_DEPTH} levels, cut")
            return
        rdf = f"{{{_RDF}}}"
        children = [c for c in el if isinstance(c.tag, str)]
        containers = (rdf + "Bag", rdf + "Seq", rdf + "Alt")
        container = next((c for c in children if c.tag in containers), None)
        if container is not None:
            for item in container:
                if item.tag != rdf + "li":
                    continue
                if self._is_struct(item):
                    self.struct(item, key, depth + 1)
                else:
                    self.add(key, _element_text(item), as_list=True)
            return
        if self._is_struct(el):
            self.struct(el, key, depth)
            return
        resource = el.get(rdf + "resource")
        if resource is not None:
            self.add(key, resource)
            return
        self.add(key, _element_text(el))

    @staticmethod
    def _is_struct(el: Element) -> bool:
        """Tell whether a property holds fields (a structure) rather than one value."""
        if el.get(f"{{{_RDF}}}parseType") == "Resource":
            return True
        if any(isinstance(c.tag, str) and c.tag != f"{{{_RDF}}}value" for c in el):
            return True
        syntax = (f"{{{_RDF}}}", f"{{{_XML_NS}}}")
        return any(n.startswith("{") and not n.startswith(syntax) for n in el.attrib)


def _element_text(el: Element) -> str:
    value = el.find(f"{{{_RDF}}}value")
    if value is not None:
        return value.text or ""
    return el.text or ""


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _uri_prefix(uri: str) -> str:
    parts = [p for p in re.split(r"[/#]", uri) if p]
    return parts[-1] if parts else uri


# --------------------------------------------------------------------------------------------
# Step 4: IPTC IIM
# --------------------------------------------------------------------------------------------

_IPTC_NAMES = {
    0: "RecordVersion", 3: "ObjectTypeReference", 4: "ObjectAttributeReference",
    5: "ObjectName", 7: "EditStatus", 8: "EditorialUpdate", 10: "Urgency",
    12: "SubjectReference", 15: "Category", 20: "SupplementalCategories",
    22: "FixtureIdentifier", 25: "Keywords", 26: "ContentLocationCode",
    27: "ContentLocationName", 30: "ReleaseDate", 35: "ReleaseTime", 37: "ExpirationDate",
    38: "ExpirationTime", 40: "SpecialInstructions", 42: "ActionAdvised",
    45: "ReferenceService", 47: "ReferenceDate", 50: "ReferenceNumber", 55: "DateCreated",
    60: "TimeCreated", 62: "DigitalCreationDate", 63: "DigitalCreationTime",
    65: "OriginatingProgram", 70: "ProgramVersion", 75: "ObjectCycle", 80: "By-line",
    85: "By-lineTitle", 90: "City", 92: "Sub-location", 95: "Province-State",
    100: "Country-PrimaryLocationCode", 101: "Country-PrimaryLocationName",
    103: "OriginalTransmissionReference", 105: "Headline", 110: "Credit", 115: "Source",
    116: "CopyrightNotice", 118: "Contact", 120: "Caption-Abstract", 121: "LocalCaption",
    122: "Writer-Editor", 130: "ImageType", 131: "ImageOrientation",
    135: "LanguageIdentifier", 184: "JobID", 221: "Prefs", 228: "ClassifyState",
    230: "DocumentNotes", 231: "DocumentHistory",
}  # fmt: skip
_IPTC_ALWAYS_LIST = {"Keywords", "SupplementalCategories"}
_IPTC_BINARY = {125, 200, 201, 202}  # rasterized caption, object preview


def _read_iptc(ctx: _Context, result: dict[str, Any]) -> None:
    raw = ctx.iptc
    scan = ctx.tiff_scan
    if raw is None and scan is not None:
        raw = scan.raw.get(("IFD0", _TAG_IPTC))
    if raw is None and ctx.photoshop_irb is not None:
        raw = _irb_resources(ctx.photoshop_irb, ctx).get(0x0404)
    if not raw:
        return
    iptc = parse_iptc(raw, ctx.warn, keep=ctx.iptc_keys)
    if iptc:
        result["iptc"] = iptc


def _irb_resources(buf: bytes, ctx: _Context) -> dict[int, bytes]:
    """Read Photoshop image resource blocks; return the first of each id we care about."""
    wanted = {0x0404, 0x0424}
    found: dict[int, bytes] = {}
    pos = 0
    size = len(buf)
    for _ in range(_MAX_IRB_RESOURCES):
        if pos + 12 > size:
            break
        if buf[pos : pos + 4] not in (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa"):
            if buf[pos:].strip(b"\x00"):
                ctx.warn(f"IPTC: bad Photoshop resource signature at offset {pos}")
            break
        resource_id = struct.unpack_from(">H", buf, pos + 4)[0]
        name_length = buf[pos + 6]
        pos += 6 + ((1 + name_length + 1) & ~1)  # the name is padded to an even length
        if pos + 4 > size:
            ctx.warn("IPTC: truncated Photoshop resource")
            break
        length = struct.unpack_from(">I", buf, pos)[0]
        pos += 4
        if pos + length > size:
            ctx.warn(f"IPTC: Photoshop resource 0x{resource_id:04X} is truncated")
            break
        if resource_id in wanted and resource_id not in found:
            found[resource_id] = buf[pos : pos + length]
        pos += length + (length & 1)
    return found


def parse_iptc(
    raw: bytes,
    warn: Callable[[str], None] | None = None,
    *,
    keep: Collection[str] | None = None,
) -> dict[str, Any]:
    """Parse an IPTC IIM byte stream into {"ObjectName": ..., "Keywords": [...], ...}.

    Only record 2 (application data) is returned; unknown datasets appear as "2:NNN".
    With `keep`, only the datasets it names are decoded and returned.
    """

    def note(message: str) -> None:
        if warn is not None:
            warn(message)

    datasets: list[tuple[int, int, bytes]] = []
    pos = 0
    size = len(raw)
    while pos + 5 <= size:
        if len(datasets) >= _MAX_IPTC_DATASETS:
            note("IPTC: too many datasets, the rest are left out")
            break
        if raw[pos] != 0x1C:
            if raw[pos:].strip(b"\x00"):
                note(f"IPTC: garbage at offset {pos}")
            break
        record, number = raw[pos + 1], raw[pos + 2]
        length = (raw[pos + 3] << 8) | raw[pos + 4]
        pos += 5
        if length & 0x8000:  # extended dataset: the next N bytes hold the length
            width = length & 0x7FFF
            if width > 4 or pos + width > size:
                note(f"IPTC: bad extended length in {record}:{number}")
                break
            length = int.from_bytes(raw[pos : pos + width], "big")
            pos += width
        if pos + length > size:
            note(f"IPTC: dataset {record}:{number} is truncated")
            datasets.append((record, number, raw[pos:size]))
            break
        datasets.append((record, number, raw[pos : pos + length]))
        pos += length
    utf8 = any(r == 1 and n == 90 and b"\x1b%G" in v for r, n, v in datasets)
    out: dict[str, Any] = {}
    for record, number, value in datasets:
        if record != 2 or number in _IPTC_BINARY:
            continue
        name = _IPTC_NAMES.get(number, f"2:{number}")
        if keep is not None and name not in keep:
            continue
        item: Any
        if number == 0:
            item = int.from_bytes(value[:4], "big")
        elif utf8:
            item = _clip(value.decode("utf-8", "replace").rstrip("\x00"))
        else:
            item = _clip(_decode_text(value).rstrip("\x00"))
        existing = out.get(name)
        if existing is None:
            out[name] = [item] if name in _IPTC_ALWAYS_LIST else item
        elif isinstance(existing, list):
            if len(existing) < MAX_LIST:
                existing.append(item)
        else:
            out[name] = [existing, item]
    return out


# --------------------------------------------------------------------------------------------
# Step 5: ICC profile
# --------------------------------------------------------------------------------------------


def _read_icc(ctx: _Context, result: dict[str, Any]) -> None:
    if ctx.icc or _image_info(ctx.image).get("icc_profile"):
        result["icc_profile"] = True


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _add_once(items: list[str], item: str) -> None:
    if item not in items and len(items) < 64:
        items.append(item)


def _decode_text(raw: bytes) -> str:
    """Decode bytes of unknown encoding: UTF-8 if they are valid UTF-8, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _clip(text: str) -> str:
    """Bound a string and make sure it can be stored as UTF-8 (no lone surrogates)."""
    if len(text) > MAX_STRING:
        text = text[:MAX_STRING]
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _short(exc: BaseException) -> str:
    return str(exc)[:120]


def _sanitise(value: Any, depth: int = 0) -> Any:
    """Return a copy of ``value`` made only of JSON types, with every part bounded."""
    if type(value) is str:  # by far the most common
        return _clip(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clip(value)
    if depth > 10:
        return None
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        pairs = value.items() if len(value) <= MAX_DICT else list(value.items())[:MAX_DICT]
        for k, v in pairs:
            # Short ASCII strings, most keys and values, are already what they should be.
            if type(k) is not str or len(k) > MAX_STRING or not k.isascii():
                k = _clip(str(k))
            if type(v) is not str or len(v) > MAX_STRING or not v.isascii():
                v = _sanitise(v, depth + 1)
            out[k] = v
        return out
    if isinstance(value, list | tuple):
        items = value if len(value) <= MAX_LIST else value[:MAX_LIST]
        return [
            v
            if type(v) is str and len(v) <= MAX_STRING and v.isascii()
            else _sanitise(v, depth + 1)
            for v in items
        ]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    return _clip(str(value))
