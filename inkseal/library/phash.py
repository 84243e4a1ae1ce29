"""Perceptual hashes: telling that two files show the same picture after resizing or re-encoding.

The hash is a 64-bit difference hash (dHash): the picture shrunk to 9x8 grey samples, one bit
per pair of horizontal neighbours saying whether brightness rises from left to right. Resizing,
JPEG or WebP compression and small changes of brightness or contrast keep most bits, so copies
of one picture have hashes a few bits apart, while different pictures differ in about half.

The hash only suggests: "similar to work N" is for the artist to judge, never a duplicate.
Pillow is imported inside the functions, so importing this module does not load it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PIL import Image

HASH_BITS = 64
_COLS, _ROWS = 9, 8  # 8 comparisons in each of 8 rows
# Pictures at least twice this on the short side (never the 512-pixel thumbnails the app
# passes) are box-averaged down to about this size first: Lanczos would be slow on them.
_REDUCE_TO = 512
# A picture whose shrunk samples all lie within this many grey levels (of 255) is too flat
# for its bits to mean anything: they would come from noise and compression alone.
FLAT_RANGE = 8.0
# The largest Hamming distance still reported as similar. Measured with tests/unit/test_phash.py's
# pictures (100 made ones, 20 from the shared corpus): copies resized to 50% or 25%, saved as
# JPEG (quality 60, 85) or WebP, or brightened by 10% were at most 5 bits from their originals
# (6 for a 25% copy saved at quality 60, or contrast +15%); different pictures were at least
# 12 apart in the corpus and 15 among the made ones, but for one pair at 9 (two compositions
# with the same light-to-dark sweep: the hash sees layout, not content).
SIMILAR_DISTANCE = 8


def perceptual_hash(img: Image.Image) -> str | None:
    """64-bit difference hash (dHash) as 16 lower-case hex digits, or None for images too
    flat to tell apart (solid colours, near-blank).

    `img` is used as given (the caller orients it); any Pillow mode is accepted, and
    transparent pixels count as white.
    """
    from PIL import Image

    grey = _grey_levels(img)
    factor = min(grey.size) // _REDUCE_TO
    if factor >= 2:  # a big picture: average it down first, as its thumbnail would be
        grey = grey.reduce(factor)
    small = grey.resize((_COLS, _ROWS), Image.Resampling.LANCZOS)
    values = array("f", small.tobytes())  # mode F: native 32-bit floats, row by row
    if not values or max(values) - min(values) < FLAT_RANGE:
        return None
    bits = 0
    for y in range(_ROWS):
        row = values[y * _COLS : (y + 1) * _COLS]
        for x in range(_COLS - 1):
            bits = (bits << 1) | (row[x] < row[x + 1])
    return f"{bits:016x}"


def _grey_levels(img: Image.Image) -> Image.Image:
    """The picture as one float band of grey levels on a 0..255 scale, over white."""
    from PIL import Image

    mode = img.mode
    if mode.startswith("I;16"):
        return img.convert("I").convert("F").point(lambda v: v * (255 / 65535))
    if mode in ("I", "F"):
        low, high = cast("tuple[float, float]", img.getextrema())  # one band
        grey = img.convert("F")
        if mode == "I" and high > 255:  # 16-bit samples widened to 32 bits, as PNG gives them
            return grey.point(lambda v: v * (255 / 65535))
        if mode == "F" and high <= 1.0 and low >= 0.0:  # samples as fractions
            return grey.point(lambda v: v * 255)
        return grey
    if mode in ("La", "RGBa"):  # premultiplied alpha: undo it first
        img = img.convert("LA" if mode == "La" else "RGBA")
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode not in ("L", "RGB"):
        try:
            img = img.convert("RGB")
        except ValueError:  # a mode Pillow cannot turn into RGB (LAB, HSV): its first band
            img = img.getchannel(0)
    return img.convert("L").convert("F")


def hash_distance(a: str, b: str) -> int:
    """How many of the 64 bits differ between two hashes (their Hamming distance)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


# For look-ups in the catalogue the 64 bits are four bands of four hex digits, each with an
# index on its digits (migration 0006). Two hashes at most d bits apart differ in at most
# d // 4 bits in some band (pigeonhole), so a look-up asks, in each band, for the values
# within that many bits of the query's, and checks the hashes found by their full distance.
BANDS = 4
BAND_DIGITS = HASH_BITS // BANDS // 4
# Beyond this many values a band (5 flipped bits and more) the catalogue is read whole instead.
MAX_PROBES = 5000


def band_probes(hash_hex: str, max_distance: int = SIMILAR_DISTANCE) -> list[list[str]] | None:
    """For each band, the digits that a hash within `max_distance` of this one has in that
    band for at least one of the bands; None when there would be too many to ask for."""
    value = parse_hash(hash_hex)
    if max_distance < 0:
        raise ValueError("max_distance cannot be negative")
    width = BAND_DIGITS * 4
    radius = min(max_distance // BANDS, width)
    if sum(math.comb(width, i) for i in range(radius + 1)) > MAX_PROBES:
        return None
    flips = _flip_patterns(width, radius)
    bands = []
    for band in range(BANDS):
        shift = HASH_BITS - width * (band + 1)  # band 0 is the first four digits
        part = (value >> shift) & ((1 << width) - 1)
        bands.append([f"{part ^ flip:0{BAND_DIGITS}x}" for flip in flips])
    return bands


def _flip_patterns(width: int, radius: int) -> list[int]:
    """Every `width`-bit pattern with at most `radius` bits set, fewest first."""
    patterns: list[int] = []
    for count in range(min(radius, width) + 1):
        for positions in combinations(range(width), count):
            patterns.append(_bits_at(positions))
    return patterns


def _bits_at(positions: Sequence[int]) -> int:
    value = 0
    for p in positions:
        value |= 1 << p
    return value


def parse_hash(hash_hex: str) -> int:
    """The hash's 64 bits; ValueError for anything else."""
    value = int(hash_hex, 16)
    if not 0 <= value < 1 << HASH_BITS or len(hash_hex) != HASH_BITS // 4:
        raise ValueError(f"not a {HASH_BITS}-bit hash: {hash_hex!r}")
    return value
