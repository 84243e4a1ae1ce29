"""Deciding a file's format from its first bytes, never from its name."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # JPEG, PNG, WEBP, GIF, TIFF, BMP, HEIF, AVIF
    media_type: str
    extension: str  # used for the stored copy, without a dot
    animated: bool = False


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _png_is_animated(data: bytes) -> bool:
    # An APNG declares acTL before its first IDAT.
    pos = 8
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if ctype == b"acTL":
            return True
        if ctype in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False


def _isobmff_format(data: bytes) -> Format | None:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", data[:4])[0]
    if size < 16 or size > 4096:
        return None
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, min(size, len(data)) - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS or (
        brands & _AVIF_BRANDS and not brands & _HEIF_BRANDS - {b"mif1", b"msf1"}
    ):
        return Format("AVIF", "image/avif", "avif", animated=b"avis" in brands)
    if brands & _HEIF_BRANDS:
        is_heic = bool(brands & {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
        return Format(
            "HEIF",
            "image/heic" if is_heic else "image/heif",
            "heic" if is_heic else "heif",
            animated=bool(brands & {b"msf1", b"hevc", b"hevx"}),
        )
    return None


def sniff(data: bytes) -> Format | None:
    """The image format of `data`, or None when it is not one Inkseal imports."""
    if data.startswith(b"\xff\xd8\xff"):
        return Format("JPEG", "image/jpeg", "jpg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if _png_is_animated(data):
            return Format("PNG", "image/apng", "png", animated=True)
        return Format("PNG", "image/png", "png")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        animated = data[12:16] == b"VP8X" and len(data) > 20 and bool(data[20] & 0x02)
        return Format("WEBP", "image/webp", "webp", animated=animated)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Format("GIF", "image/gif", "gif")
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Format("TIFF", "image/tiff", "tif")
    if data[:2] == b"BM" and len(data) >= 26:
        return Format("BMP", "image/bmp", "bmp")
    return _isobmff_format(data)


def camera_raw_kind(data: bytes) -> str | None:
    """'CR2' etc. when TIFF-shaped bytes are really a camera raw file Pillow cannot develop."""
    if data[:4] == b"II*\x00" and data[8:10] == b"CR":
        return "Canon CR2"
    return None


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
MAX_JPEG_SEGMENTS = 4_096
_FILL = re.compile(rb"\xff+")


def jpeg_marker_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    if marker == 0xFE:
        return "COM"
    return f"0x{marker:02X}"


def iter_jpeg_segments(
    data: bytes, warn: Callable[[str], None] | None = None
) -> Iterator[tuple[int, int, int]]:
    """(marker, payload start, payload end) for each JPEG segment before the image data.

    The payload leaves out the two length bytes. Stops at the start of scan or end of image;
    damage (garbage, truncation, bad lengths) stops the walk and is told to `warn`. A segment
    cut short by the end of the file is still yielded, up to the end.
    """
    say = warn or (lambda _msg: None)
    size = len(data)
    pos = 2
    for _ in range(MAX_JPEG_SEGMENTS):
        if pos + 1 < size and data[pos] == 0xFF and data[pos + 1] != 0xFF:
            pos += 1  # the usual case: one 0xFF before the marker, no fill bytes
        else:
            match = _FILL.match(data, pos) if pos < size else None
            if match is None:
                say(
                    "JPEG: file ends before the image data"
                    if pos >= size
                    else f"JPEG: garbage between segments at offset {pos}"
                )
                return
            pos = match.end()
        if pos >= size:
            say("JPEG: file ends before the image data")
            return
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if marker == 0x00:
            say(f"JPEG: garbage between segments at offset {pos - 2}")
            return
        if pos + 2 > size:
            say("JPEG: truncated segment header")
            return
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            say(f"JPEG: segment with bad length at offset {pos - 2}")
            return
        if marker == 0xDA:  # SOS: the image data starts here
            return
        end = pos + length
        if end > size:
            say(f"JPEG: {jpeg_marker_name(marker)} segment is truncated")
            yield marker, pos + 2, size
            return
        yield marker, pos + 2, end
        pos = end
    say(f"JPEG: more than {MAX_JPEG_SEGMENTS} segments, stopped reading")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    for marker, start, end in iter_jpeg_segments(data):
        if marker in _JPEG_SOF and end - start >= 5:
            h, w = struct.unpack(">HH", data[start + 1 : start + 5])
            return (w, h) if w and h else None
    return None


def dimensions(data: bytes, fmt: Format) -> tuple[int, int] | None:
    """Width and height read from the file's header alone, for the formats where that is
    cheap and certain; None means: ask the decoder."""
    try:
        if fmt.name == "JPEG":
            return _jpeg_size(data)
        if fmt.name == "PNG" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return (w, h) if w and h else None
        if fmt.name == "GIF":
            w, h = struct.unpack("<HH", data[6:10])
            return (w, h) if w and h else None
        if fmt.name == "WEBP":
            return _webp_size(data)
        if fmt.name == "TIFF":
            return _tiff_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size from the first chunk: VP8X (extended), VP8L (lossless) or VP8 (lossy)."""
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if kind == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        w, h = w & 0x3FFF, h & 0x3FFF
        return (w, h) if w and h else None
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """ImageWidth and ImageLength of the first directory (the first page), as Pillow reports
    them; None for BigTIFF or when either is missing."""
    order = "<" if data[:2] == b"II" else ">"
    if struct.unpack_from(order + "H", data, 2)[0] != 42:
        return None
    at = struct.unpack_from(order + "I", data, 4)[0]
    count = struct.unpack_from(order + "H", data, at)[0]
    found: dict[int, int] = {}
    for i in range(min(count, 4096)):
        tag, kind, n = struct.unpack_from(order + "HHI", data, at + 2 + 12 * i)
        if tag in (256, 257) and n == 1 and kind in (3, 4):
            code = order + ("H" if kind == 3 else "I")
            found[tag] = struct.unpack_from(code, data, at + 10 + 12 * i)[0]
        if tag > 257:
            break  # entries are sorted by tag
    w, h = found.get(256), found.get(257)
    return (w, h) if w and h else None


# Sub-block lengths looked at in one go when skipping a run of full (255-byte) sub-blocks,
# which is what an image's compressed data almost always is.
_GIF_RUN = 64
_GIF_MAX_STEPS = 1_000_000


def gif_application_blocks(
    data: bytes, *, before_first_image: bool = False
) -> list[tuple[bytes, int]] | None:
    """(identifier and authentication code, offset of the extension's introducer) for every
    application extension of a GIF, in file order (with `before_first_image`, of those before
    its first image only); None when the blocks cannot be walked that far (damage,
    truncation, an unknown block), so that the caller can search.

    Image data is skipped by its sub-block lengths, a run of full sub-blocks at a time (a
    strided slice of their length bytes), so that the walk costs a few steps a frame.
    """
    if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    size = len(data)
    packed = data[10]
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    found: list[tuple[bytes, int]] = []
    in_blocks = False  # inside a run of data sub-blocks, up to the empty one
    for _ in range(_GIF_MAX_STEPS):
        if pos >= size:
            return None
        if in_blocks:
            length = data[pos]
            if length == 0:
                pos += 1
                in_blocks = False
            elif length == 255:
                lengths = data[pos : pos + 256 * _GIF_RUN : 256]
                pos += 256 * (len(lengths) - len(lengths.lstrip(b"\xff")))
            else:
                pos += 1 + length
            continue
        introducer = data[pos]
        if introducer == 0x3B or (introducer == 0x2C and before_first_image):
            return found  # the trailer, or the first image
        if introducer == 0x21:  # an extension: its label, then its sub-blocks
            if pos + 1 >= size:
                return None
            if data[pos + 1] == 0xFF and pos + 14 <= size and data[pos + 2] == 11:
                found.append((data[pos + 3 : pos + 14], pos))
            pos += 2
        elif introducer == 0x2C:  # an image: descriptor, colour table, code size, data
            if pos + 10 > size:
                return None
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        else:
            return None
        in_blocks = True
    return None
