"""Walk the chunks of a PNG file and decode its text chunks.

PNG files from image generators carry their parameters in text chunks (tEXt, zTXt, iTXt),
sometimes after the image data. Everything here treats the file as untrusted: walking stops
quietly at the first sign of truncation or garbage, the number of chunks is bounded, and
compressed text is inflated with a hard cap so that a small chunk cannot expand into gigabytes.

Only a wrong signature raises (ValueError from ``iter_chunks``); every other problem is
reported as a short message appended to the optional ``warnings`` list.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_CHUNKS",
    "MAX_TEXT_BYTES",
    "MAX_TOTAL_TEXT_BYTES",
    "PNG_SIGNATURE",
    "Chunk",
    "TextChunk",
    "decode_text_chunk",
    "is_png",
    "iter_chunks",
    "text_chunks",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# At most this many chunks are walked; real files have a few dozen.
MAX_CHUNKS = 10_000

# A compressed text chunk is inflated to at most this many bytes, and all compressed text
# chunks of one file together to at most MAX_TOTAL_TEXT_BYTES.
MAX_TEXT_BYTES = 4 * 1024 * 1024
MAX_TOTAL_TEXT_BYTES = 32 * 1024 * 1024

# The largest length the PNG specification allows for one chunk.
_MAX_CHUNK_LENGTH = 2**31 - 1

# Chunk types that hold image data; "after IDAT" is about what follows these.
_DATA_CHUNKS = frozenset({"IDAT"})


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk as found in the file.

    ``offset`` is where the chunk starts (its length field), ``length`` the size of its data,
    ``data`` a zero-copy view of that data. ``after_idat`` is true for a chunk that follows the
    first IDAT chunk and is not itself IDAT. ``crc_ok`` says whether the stored CRC matches.
    """

    type: str
    offset: int
    length: int
    data: memoryview
    after_idat: bool
    stored_crc: int

    @property
    def crc_ok(self) -> bool:
        # Computed when asked: a picture's IDAT data is megabytes that most readers skip.
        return zlib.crc32(self.data, zlib.crc32(self.type.encode("ascii"))) == self.stored_crc


@dataclass(frozen=True, slots=True)
class TextChunk:
    """A decoded tEXt, zTXt or iTXt chunk.

    ``truncated`` is true when the text could not be read in full: the inflated size hit the
    cap, or the compressed stream ended early. ``language`` and ``translated_keyword`` are only
    set for iTXt chunks.
    """

    keyword: str
    text: str
    chunk: str
    after_idat: bool
    truncated: bool = False
    language: str = ""
    translated_keyword: str = ""


def is_png(data: bytes) -> bool:
    """Tell whether ``data`` starts with the PNG signature."""
    return data[:8] == PNG_SIGNATURE


def _is_chunk_type(raw: bytes) -> bool:
    # A chunk type is four ASCII letters; anything else means we are reading garbage.
    return len(raw) == 4 and raw.isalpha()  # bytes.isalpha: ASCII letters only


_HEADER = struct.Struct(">I4s")  # a chunk's length and type
_CRC = struct.Struct(">I")


def iter_chunks(data: bytes, warnings: list[str] | None = None) -> Iterator[Chunk]:
    """Yield the chunks of a PNG file in file order.

    Raises ValueError if ``data`` does not start with the PNG signature. Otherwise it never
    raises: it stops after IEND, at a truncated chunk, at bytes that are not a chunk header,
    or after ``MAX_CHUNKS`` chunks, adding a message to ``warnings`` when it stops early.
    """
    if not is_png(data):
        raise ValueError("not a PNG file (bad signature)")
    view = memoryview(data)
    size = len(data)
    pos = len(PNG_SIGNATURE)
    seen_idat = False
    count = 0
    while True:
        if pos == size:
            _warn(warnings, "PNG: file ends without an IEND chunk")
            return
        if pos + 8 > size:
            _warn(warnings, f"PNG: truncated chunk header at offset {pos}")
            return
        length, raw_type = _HEADER.unpack_from(data, pos)
        if not _is_chunk_type(raw_type) or length > _MAX_CHUNK_LENGTH:
            _warn(warnings, f"PNG: garbage instead of a chunk at offset {pos}")
            return
        chunk_type = raw_type.decode("ascii")
        end = pos + 8 + length
        if end + 4 > size:
            _warn(warnings, f"PNG: chunk {chunk_type} at offset {pos} is truncated")
            return
        if count >= MAX_CHUNKS:
            _warn(warnings, f"PNG: more than {MAX_CHUNKS} chunks, stopped reading")
            return
        count += 1
        (stored_crc,) = _CRC.unpack_from(data, end)
        body = view[pos + 8 : end]
        is_data = chunk_type in _DATA_CHUNKS
        yield Chunk(
            type=chunk_type,
            offset=pos,
            length=length,
            data=body,
            after_idat=seen_idat and not is_data,
            stored_crc=stored_crc,
        )
        if is_data:
            seen_idat = True
        if chunk_type == "IEND":
            return
        pos = end + 4


def text_chunks(
    data: bytes,
    warnings: list[str] | None = None,
    *,
    max_bytes: int = MAX_TEXT_BYTES,
    max_total: int = MAX_TOTAL_TEXT_BYTES,
) -> list[TextChunk]:
    """Decode every tEXt, zTXt and iTXt chunk of a PNG file, in file order.

    Chunks after IDAT are included. A chunk that cannot be decoded is skipped with a warning;
    a chunk with a bad CRC is still decoded, with a warning. Compressed text is inflated to
    at most ``max_bytes`` per chunk and ``max_total`` for the whole file, so that many small
    compressed chunks cannot add up to gigabytes. Returns an empty list when ``data`` is not
    a PNG file.
    """
    found: list[TextChunk] = []
    if not is_png(data):
        _warn(warnings, "PNG: bad signature")
        return found
    budget = max_total
    for chunk in iter_chunks(data, warnings):
        if chunk.type not in ("tEXt", "zTXt", "iTXt"):
            continue
        where = " after IDAT" if chunk.after_idat else ""
        if not chunk.crc_ok:
            _warn(warnings, f"PNG: chunk {chunk.type}{where} has a bad CRC")
        decoded = decode_text_chunk(chunk, warnings, max_bytes=max(0, min(max_bytes, budget)))
        if decoded is not None:
            if decoded.chunk != "tEXt":
                budget -= len(decoded.text)
            found.append(decoded)
    return found


def decode_text_chunk(
    chunk: Chunk, warnings: list[str] | None = None, *, max_bytes: int = MAX_TEXT_BYTES
) -> TextChunk | None:
    """Decode one tEXt, zTXt or iTXt chunk; return None (with a warning) if it is broken.

    Compressed text is inflated to at most ``max_bytes`` bytes; a longer text comes back cut,
    with ``truncated`` set.
    """
    try:
        return _decode_text(chunk, warnings, max_bytes)
    except (ValueError, zlib.error) as exc:
        where = " after IDAT" if chunk.after_idat else ""
        _warn(warnings, f"PNG: unreadable {chunk.type} chunk{where} ({_short(exc)})")
        return None


def _decode_text(chunk: Chunk, warnings: list[str] | None, max_bytes: int) -> TextChunk:
    if chunk.type not in ("tEXt", "zTXt", "iTXt"):
        raise ValueError("not a text chunk")
    body = bytes(chunk.data)
    keyword_raw, sep, rest = body.partition(b"\0")
    if not sep:
        raise ValueError("no keyword separator")
    if not 1 <= len(keyword_raw) <= 79:
        raise ValueError("bad keyword length")
    keyword = keyword_raw.decode("latin-1")
    if chunk.type == "tEXt":
        return TextChunk(keyword, rest.decode("latin-1"), "tEXt", chunk.after_idat)
    if chunk.type == "zTXt":
        if not rest:
            raise ValueError("missing compression method")
        if rest[0] != 0:
            raise ValueError(f"unknown compression method {rest[0]}")
        raw, truncated = _inflate(rest[1:], keyword, "zTXt", max_bytes, warnings)
        return TextChunk(keyword, raw.decode("latin-1"), "zTXt", chunk.after_idat, truncated)
    # iTXt: flag, method, language tag, translated keyword, then UTF-8 text.
    if len(rest) < 2:
        raise ValueError("missing compression fields")
    compressed, method = rest[0], rest[1]
    language_raw, sep1, rest = rest[2:].partition(b"\0")
    translated_raw, sep2, text_raw = rest.partition(b"\0")
    if not (sep1 and sep2):
        raise ValueError("missing language or translated keyword")
    truncated = False
    if compressed:
        if method != 0:
            raise ValueError(f"unknown compression method {method}")
        text_raw, truncated = _inflate(text_raw, keyword, "iTXt", max_bytes, warnings)
    return TextChunk(
        keyword=keyword,
        text=text_raw.decode("utf-8", "replace"),
        chunk="iTXt",
        after_idat=chunk.after_idat,
        truncated=truncated,
        language=language_raw.decode("latin-1"),
        translated_keyword=translated_raw.decode("utf-8", "replace"),
    )


def _inflate(
    raw: bytes, keyword: str, kind: str, max_bytes: int, warnings: list[str] | None
) -> tuple[bytes, bool]:
    """Inflate a zlib stream to at most ``max_bytes``; tell whether the text is incomplete."""
    if max_bytes <= 0:
        _warn(warnings, f"PNG: {kind} {keyword!r} not inflated, text budget used up")
        return b"", True
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, max_bytes)
    if inflater.unconsumed_tail:
        _warn(warnings, f"PNG: {kind} {keyword!r} inflates to more than {max_bytes} bytes, cut")
        return out, True
    if not inflater.eof:
        _warn(warnings, f"PNG: {kind} {keyword!r} ends before its compressed stream does")
        return out, True
    return out, False


def _short(exc: BaseException) -> str:
    return str(exc)[:80] or type(exc).__name__


def _warn(warnings: list[str] | None, message: str) -> None:
    if warnings is not None and len(warnings) < 100 and message not in warnings:
        warnings.append(message)
