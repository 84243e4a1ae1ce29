"""NovelAI images, and "stealth" parameters hidden in the least significant bits of pixels.

NovelAI PNG files carry text chunks: Software "NovelAI", Source (the model, e.g. "Stable
Diffusion 1D44365E" or "NovelAI Diffusion V4.5 4BDE2A90"), Description (the prompt), Title,
"Generation time" and Comment, a JSON object with the settings: prompt, steps, seed, sampler,
scale, uc (the negative prompt), and since V4 "v4_prompt" / "v4_negative_prompt" structures,
"request_type" and a "signed_hash" (NovelAI's signature, which we cannot check here).

NovelAI also hides the same data in the alpha channel, as does the "stealth pnginfo" extension
for the AUTOMATIC1111 web UI (which also offers an RGB form for images without alpha). The bits
are the least significant bits of the alpha values (or of R, G and B in turn), read column by
column: x outer, y inner. They spell a 15-byte magic ("stealth_pnginfo" plain, "stealth_pngcomp"
gzip, "stealth_rgbinfo" / "stealth_rgbcomp" for the RGB form), a 32-bit big-endian payload
length in bits, then the payload: A1111 parameters text, or for NovelAI a JSON object of the
text chunks above.

Only PNG files are read for stealth data (lossy formats destroy it). To keep ordinary images
cheap, the first pixels of the first column are decoded straight from the PNG data, and reading
stops at the first byte that cannot start a magic; the whole image is decoded only once a magic
has matched.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inkseal.library.detect import a1111, comfyui
from inkseal.library.detect.base import FileFacts, Finding
from inkseal.library.detect.common import (
    MAX_STEPS,
    as_float,
    as_int,
    as_text,
    describe,
    generator_finding,
    json_object,
    size_text,
)

FAMILY = "novelai"
TOOL = "NovelAI"

MAX_PAYLOAD = 4 * 1024 * 1024  # bytes of stealth payload, before and after gzip
# Images in forms our own row reader does not handle (interlaced, 16-bit) are decoded whole
# with Pillow for the magic check, but only up to this many pixels.
_MAX_FALLBACK_PIXELS = 4_000_000

ALPHA_MAGICS = (b"stealth_pnginfo", b"stealth_pngcomp")
RGB_MAGICS = (b"stealth_rgbinfo", b"stealth_rgbcomp")
_MAGIC_BITS = 15 * 8
_HEADER_BITS = _MAGIC_BITS + 32

# ------------------------------------------------------------------------------------------
# NovelAI's own JSON
# ------------------------------------------------------------------------------------------

# Keys only NovelAI's Comment JSON uses; one of them (or Software = NovelAI) is required.
_NAI_KEYS = ("uc", "v4_prompt", "v4_negative_prompt", "signed_hash", "noise_schedule",
             "request_type", "uncond_scale", "cfg_rescale", "sm_dyn")  # fmt: skip


def _caption(value: Any) -> str | None:
    """The base caption of a V4 prompt structure {"caption": {"base_caption": ...}}."""
    if isinstance(value, dict):
        caption = value.get("caption")
        if isinstance(caption, dict):
            base = caption.get("base_caption")
            if isinstance(base, str) and base.strip():
                return base
    return None


def _char_captions(value: Any) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("caption"), dict):
        return []
    chars = value["caption"].get("char_captions")
    out: list[str] = []
    for item in chars[:10] if isinstance(chars, list) else []:
        if isinstance(item, dict):
            text = as_text(item.get("char_caption"), 1000)
            if text:
                out.append(text)
    return out


def looks_like_comment(comment: dict[str, Any]) -> bool:
    """Tell whether a JSON object is NovelAI's Comment (settings) object."""
    has_prompt = isinstance(comment.get("prompt"), str) or "v4_prompt" in comment
    return has_prompt and any(k in comment for k in _NAI_KEYS)


def novelai_finding(chunks: dict[str, str], source: str) -> Finding | None:
    """A Finding from NovelAI's text fields (Software, Source, Comment, Description...).

    Returns None unless they say NovelAI: Software "NovelAI", a Source naming NovelAI, or a
    Comment object in NovelAI's own format.
    """
    software = (chunks.get("Software") or "").strip()
    model = as_text(chunks.get("Source"))
    comment = json_object(chunks.get("Comment")) or {}
    is_nai = (
        software.lower() == "novelai"
        or (model or "").lower().startswith("novelai")
        or looks_like_comment(comment)
    )
    if not is_nai:
        return None
    prompt = (
        as_text(comment.get("prompt"), 100_000)
        or _caption(comment.get("v4_prompt"))
        or as_text(chunks.get("Description"), 100_000)
    )
    negative = as_text(comment.get("uc"), 100_000) or _caption(comment.get("v4_negative_prompt"))
    seed = as_int(comment.get("seed"))
    steps = as_int(comment.get("steps"), 1, MAX_STEPS)
    scale = as_float(comment.get("scale"))
    sampler = as_text(comment.get("sampler"), 100)
    size = size_text(comment.get("width"), comment.get("height"))
    signed = isinstance(comment.get("signed_hash"), str) and bool(comment["signed_hash"])
    detail = describe(
        [("Steps", steps), ("Sampler", sampler), ("Scale", scale), ("Seed", seed),
         ("Size", size), ("Model", model)]
    )  # fmt: skip
    if signed:
        detail = (detail + "; " if detail else "") + "NovelAI signature present (not checked)"
    return generator_finding(
        source,
        FAMILY,
        TOOL,
        model=model,
        prompt=prompt,
        detail=detail,
        extra={
            "seed": seed,
            "steps": steps,
            "sampler": sampler,
            "cfg": scale,
            "size": size,
            "strength": as_float(comment.get("strength"), 0.0, 1.0),
            "negative_prompt": negative,
            "characters": _char_captions(comment.get("v4_prompt")),
            "request_type": as_text(comment.get("request_type"), 100),
            "generation_time": as_text(chunks.get("Generation time"), 50),
            "signed_hash": True if signed else None,
        },
    )


def _png_chunks(facts: FileFacts) -> list[Finding]:
    wanted = ("Software", "Source", "Comment", "Description", "Title", "Generation time")
    chunks: dict[str, str] = {}
    for t in facts.png_texts:
        if t.keyword in wanted and t.keyword not in chunks:
            chunks[t.keyword] = t.text
    if not chunks:
        return []
    if "Comment" in chunks and json_object(chunks["Comment"]) is not None:
        source = "png:Comment"
    elif "Software" in chunks:
        source = "png:Software"
    else:
        source = "png:" + next(iter(chunks))
    found = novelai_finding(chunks, source)
    return [found] if found is not None else []


# ------------------------------------------------------------------------------------------
# Reading the first pixels of a PNG without decoding all of it
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PngLayout:
    width: int
    height: int
    bpp: int  # bytes per pixel
    alpha: int | None  # index of the alpha byte within a pixel
    rgb: bool  # whether the pixel has R, G, B bytes


def _ihdr(data: bytes) -> tuple[int, int, int, int, int] | None:
    """(width, height, bit depth, colour type, interlace) from a PNG's IHDR, else None."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    return width, height, data[24], data[25], data[28]


def _png_layout(data: bytes) -> _PngLayout | None:
    """The layout of an 8-bit, non-interlaced RGB/RGBA/grey+alpha PNG, else None."""
    header = _ihdr(data)
    if header is None:
        return None
    width, height, depth, color, interlace = header
    if depth != 8 or interlace != 0 or not (0 < width < 2**31 and 0 < height < 2**31):
        return None
    if color == 6:
        return _PngLayout(width, height, 4, 3, True)
    if color == 2:
        return _PngLayout(width, height, 3, None, True)
    if color == 4:
        return _PngLayout(width, height, 2, 1, False)
    return None


def _idat_stream(data: bytes) -> Iterator[bytes]:
    from inkseal.library.pngchunks import iter_chunks

    try:
        for chunk in iter_chunks(data):
            if chunk.type == "IDAT":
                yield bytes(chunk.data)
            elif chunk.type == "IEND":
                return
    except ValueError:
        return


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_row_prefixes(data: bytes, layout: _PngLayout, columns: int) -> Iterator[bytes]:
    """The unfiltered bytes of the first `columns` pixels of each row, top to bottom.

    Rows are inflated one at a time; only the pixels asked for are unfiltered (PNG filters
    only look left and up, so a row's first pixels never depend on the ones after them).
    Stops quietly at corrupt or missing data.
    """
    stride = 1 + layout.width * layout.bpp
    n = min(columns, layout.width) * layout.bpp
    bpp = layout.bpp
    inflater = zlib.decompressobj()
    idat = _idat_stream(data)
    buf = bytearray()
    start = 0
    prev = bytearray(n)
    # Inflate a little at first (most images are turned away after a few rows), then more
    # each time, up to 64 KiB at a go.
    step = max(stride, 4096)
    for _ in range(layout.height):
        while len(buf) - start < stride:
            try:
                if inflater.unconsumed_tail:
                    more = inflater.decompress(inflater.unconsumed_tail, step)
                elif inflater.eof:
                    return
                else:
                    piece = next(idat, None)
                    if piece is None:
                        return
                    more = inflater.decompress(piece, step)
            except zlib.error:
                return
            step = max(stride, min(2 * step, 64 * 1024))
            if start > 1024 * 1024:
                del buf[:start]
                start = 0
            buf += more
        kind = buf[start]
        raw = buf[start + 1 : start + 1 + n]
        start += stride
        if kind > 4:
            return
        cur = bytearray(n)
        for i in range(n):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            if kind == 0:
                value = raw[i]
            elif kind == 1:
                value = raw[i] + a
            elif kind == 2:
                value = raw[i] + b
            elif kind == 3:
                value = raw[i] + ((a + b) >> 1)
            else:
                value = raw[i] + _paeth(a, b, prev[i - bpp] if i >= bpp else 0)
            cur[i] = value & 0xFF
        yield bytes(cur)
        prev = cur


# ------------------------------------------------------------------------------------------
# Stealth data
# ------------------------------------------------------------------------------------------


class _BitMatcher:
    """Collects bits and gives up as soon as they cannot start any of the magics."""

    def __init__(self, magics: tuple[bytes, ...]) -> None:
        self.magics = magics
        # The bits of the magics still possible, as "0"/"1" text, held against each new bit
        # as it comes: an ordinary picture fails at its first pixels, not a byte's worth on.
        self.possible = [format(int.from_bytes(m, "big"), f"0{_MAGIC_BITS}b") for m in magics]
        self.bits: list[int] = []
        self.alive = True

    def feed(self, bits: list[int]) -> None:
        if not self.alive:
            return
        for bit in bits:
            count = len(self.bits)
            if count >= _HEADER_BITS:
                return
            self.bits.append(bit)
            if count < _MAGIC_BITS:
                wanted = "01"[bit]
                self.possible = [m for m in self.possible if m[count] == wanted]
                if not self.possible:
                    self.alive = False
                    return

    @property
    def done(self) -> bool:
        return not self.alive or len(self.bits) >= _HEADER_BITS

    def header(self) -> tuple[bytes, int] | None:
        """(magic, payload length in bits) once the whole header has been read and matched."""
        if not self.alive or len(self.bits) < _HEADER_BITS:
            return None
        magic = _to_bytes(self.bits[:_MAGIC_BITS])
        length = int("".join(map(str, self.bits[_MAGIC_BITS:_HEADER_BITS])), 2)
        return (magic, length) if magic in self.magics else None


def _to_bytes(bits: list[int]) -> bytes:
    usable = len(bits) - len(bits) % 8
    if not usable:
        return b""
    return int("".join(map(str, bits[:usable])), 2).to_bytes(usable // 8, "big")


@dataclass(frozen=True)
class StealthHeader:
    variant: str  # "alpha" or "rgb"
    magic: bytes
    length_bits: int


def _pixel_bits(pixel: bytes, layout: _PngLayout) -> tuple[list[int], list[int]]:
    alpha = [pixel[layout.alpha] & 1] if layout.alpha is not None else []
    rgb = [pixel[0] & 1, pixel[1] & 1, pixel[2] & 1] if layout.rgb else []
    return alpha, rgb


def _matchers(layout: _PngLayout) -> tuple[_BitMatcher | None, _BitMatcher | None]:
    alpha = _BitMatcher(ALPHA_MAGICS) if layout.alpha is not None else None
    rgb = _BitMatcher(RGB_MAGICS) if layout.rgb else None
    return alpha, rgb


def _feed(
    pixel: bytes, layout: _PngLayout, alpha: _BitMatcher | None, rgb: _BitMatcher | None
) -> bool:
    """Feed one pixel's bits to the matchers; True once none of them wants more."""
    a_bits, rgb_bits = _pixel_bits(pixel, layout)
    if alpha is not None:
        alpha.feed(a_bits)
    if rgb is not None:
        rgb.feed(rgb_bits)
    return all(m is None or m.done for m in (alpha, rgb))


def _feed_first_column(
    data: bytes, layout: _PngLayout, alpha: _BitMatcher | None, rgb: _BitMatcher | None
) -> None:
    """Feed the first column's pixels, top to bottom, until no matcher wants more."""
    for row in png_row_prefixes(data, layout, 1):
        if _feed(row, layout, alpha, rgb):
            break


def _scan_header(data: bytes, layout: _PngLayout) -> StealthHeader | None:
    """Read just enough pixels to find a stealth header, column by column."""
    alpha, rgb = _matchers(layout)
    needed = _HEADER_BITS  # pixels for the alpha form; the RGB form needs a third of that
    # The header lies in the first column when the image is tall enough, and in any case the
    # first column's first bits say whether a header can start there at all: most images are
    # turned away after a few rows of it.
    _feed_first_column(data, layout, alpha, rgb)
    if layout.height < needed and any(m is not None and m.alive for m in (alpha, rgb)):
        # A short image whose first column could start a header: read the columns it spans.
        alpha, rgb = _matchers(layout)
        columns = -(-needed // layout.height)
        rows = list(png_row_prefixes(data, layout, columns))
        if len(rows) < layout.height:
            return None
        for x in range(min(columns, layout.width)):
            done = False
            for row in rows:
                done = _feed(row[x * layout.bpp : (x + 1) * layout.bpp], layout, alpha, rgb)
            if done:
                break
    for variant, matcher in (("alpha", alpha), ("rgb", rgb)):
        header = matcher.header() if matcher is not None else None
        if header is not None:
            return StealthHeader(variant, header[0], header[1])
    return None


def _channel_bytes(facts: FileFacts, variant: str) -> bytes | None:
    """The image's alpha values (or R, G, B values) in column-major order, decoded by Pillow."""
    from PIL import Image

    image = facts.image
    if image is None:
        return None
    try:
        if variant == "alpha":
            if image.mode not in ("RGBA", "LA", "PA"):
                return None
            plane = image.getchannel("A")
        else:
            if image.mode not in ("RGB", "RGBA"):
                return None
            plane = image.convert("RGB")
        return plane.transpose(Image.Transpose.TRANSPOSE).tobytes()
    except Exception:
        return None


def _lsb_bytes(values: bytes, start: int, count: int) -> bytes:
    """`count` bits (a multiple of 8) from the low bits of values[start:], packed into bytes."""
    table = bytes((0x30 | (v & 1)) for v in range(256))  # "0" or "1"
    text = values[start : start + count].translate(table)
    return int(text, 2).to_bytes(count // 8, "big") if count else b""


def _scan_header_pillow(facts: FileFacts) -> tuple[StealthHeader, bytes] | None:
    """The header check for PNGs our row reader does not handle, on the decoded image."""
    image = facts.image
    if image is None or image.width * image.height > _MAX_FALLBACK_PIXELS:
        return None
    variants = []
    if image.mode in ("RGBA", "LA", "PA"):
        variants.append("alpha")
    if image.mode in ("RGB", "RGBA"):
        variants.append("rgb")
    for variant in variants:
        values = _channel_bytes(facts, variant)
        if values is None or len(values) < _HEADER_BITS:
            continue
        head = _lsb_bytes(values, 0, _HEADER_BITS)
        magics = ALPHA_MAGICS if variant == "alpha" else RGB_MAGICS
        if head[:15] in magics:
            return StealthHeader(variant, head[:15], int.from_bytes(head[15:19], "big")), values
    return None


def _may_hold_stealth(data: bytes) -> bool:
    """False for a PNG whose header rules stealth data out, so that it is never opened for
    it: grey or palette pixels (Pillow's modes for them carry neither form), or too few
    pixels for a header."""
    header = _ihdr(data)
    if header is None:
        return True  # let Pillow say
    width, height, _depth, color, _interlace = header
    return color not in (0, 3) and width * height * 3 >= _HEADER_BITS


def read_stealth(facts: FileFacts) -> tuple[StealthHeader, bytes] | None:
    """(header, payload) of stealth data in a PNG's pixels, or None. The payload is inflated
    when the magic says it is compressed. Never raises."""
    if facts.fmt != "PNG":
        return None
    try:
        layout = _png_layout(facts.data)
        values: bytes | None = None
        if layout is not None:
            header = _scan_header(facts.data, layout)
        elif not _may_hold_stealth(facts.data) or facts.image is None:
            return None
        else:
            fallback = _scan_header_pillow(facts)
            header, values = fallback if fallback else (None, None)
        if header is None:
            return None
        bits = header.length_bits
        if bits <= 0 or bits % 8 or bits > MAX_PAYLOAD * 8:
            return None
        if values is None:
            values = _channel_bytes(facts, header.variant)
        if values is None or len(values) < _HEADER_BITS + bits:
            return None
        payload = _lsb_bytes(values, _HEADER_BITS, bits)
        if header.magic.endswith(b"comp"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
            payload = inflater.decompress(payload, MAX_PAYLOAD)
            if not inflater.eof:
                return None
        return header, payload
    except (zlib.error, ValueError, OSError, MemoryError):
        return None


def _stealth_finding(header: StealthHeader, payload: bytes) -> Finding:
    source = "alpha:" + header.magic.decode("ascii")
    if header.variant == "rgb":
        source = "rgb:" + header.magic.decode("ascii")
    text = payload.decode("utf-8", "replace").strip("\x00 \n")
    data = json_object(text)
    if data is not None:
        comment = data.get("Comment")
        if isinstance(comment, dict):  # some writers nest the object instead of a string
            data = {**data, "Comment": _dump(comment)}
        chunks = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        found = novelai_finding(chunks, source)
        if found is None and looks_like_comment(data):
            found = novelai_finding({"Comment": text}, source)
        if found is not None:
            return found
        graph = comfyui.graph_finding(data.get("prompt"), data.get("workflow"), source, source)
        if graph is not None:
            return graph
    found = a1111.parse_finding(text, source)
    if found is not None:
        return found
    return generator_finding(
        source,
        "stealth",
        None,
        detail=f"stealth metadata ({header.magic.decode('ascii')}) in the least significant "
        "bits of the pixels, in a form not recognised",
        extra={"excerpt": _excerpt(text)},
    )


def _dump(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return ""


def _excerpt(text: str) -> str | None:
    cleaned = re.sub(r"\s+", " ", text).strip()
    return cleaned[:200] or None


def detect(facts: FileFacts) -> list[Finding]:
    """NovelAI PNG text chunks, and stealth data in the pixels of PNG files."""
    findings = _png_chunks(facts)
    stealth = read_stealth(facts)
    if stealth is not None:
        findings.append(_stealth_finding(*stealth))
    return findings
