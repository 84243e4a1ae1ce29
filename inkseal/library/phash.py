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


def _band_widths(bands: int) -> list[int]:
    base, extra = divmod(HASH_BITS, bands)
    return [base + 1 if i < extra else base for i in range(bands)]


def _probes(width: int, radius: int) -> int:
    return sum(math.comb(width, i) for i in range(radius + 1))


def _plan(max_distance: int, expected_size: int = 100_000) -> int:
    """How many bands to split the bits into for the cheapest look-up; 0 means scan all.

    With `bands` bands and a distance of at most d, some band differs in at most
    d // bands bits (pigeonhole), so a look-up probes every value within that radius of each
    band of the query: few wide bands mean many probes but few candidates to verify, many
    narrow ones the opposite. Costs are estimated for uniformly spread hashes.
    """
    best_bands, best_cost = 0, float(expected_size)  # scanning every entry
    for bands in range(1, min(max_distance + 1, HASH_BITS) + 1):
        radius = max_distance // bands
        probes = [_probes(w, radius) for w in _band_widths(bands)]
        cost = sum(probes) + expected_size * sum(
            p / 2**w for p, w in zip(probes, _band_widths(bands), strict=True)
        )
        if cost < best_cost:
            best_bands, best_cost = bands, cost
    return best_bands


class SimilarityIndex:
    """In-memory index of (key, hash) pairs answering 'which keys are within max_distance of
    this hash', quickly even for hundreds of thousands of entries.

    The 64 bits are split into bands, each with a table from the band's value to the hashes
    having it; a look-up probes the values near the query's in each band (see `_plan`) and
    verifies the candidates by their full distance. A key may have several hashes (a work
    with several files) and a hash several keys; each key is reported once, at its nearest.
    """

    def __init__(self, max_distance: int = SIMILAR_DISTANCE) -> None:
        if max_distance < 0:
            raise ValueError("max_distance cannot be negative")
        self.max_distance = max_distance
        self._keys: dict[int, set[int]] = {}  # hash -> the keys that have it
        self._hashes: dict[int, set[int]] = {}  # key -> its hashes
        bands = _plan(max_distance)
        self._bands: list[tuple[int, int]] = []  # (shift, mask) of each band
        self._flips: list[list[int]] = []  # the XOR patterns to probe in each band
        self._tables: list[dict[int, set[int]]] = []  # band value -> hashes
        if bands:
            radius = max_distance // bands
            shift = 0
            for width in _band_widths(bands):
                self._bands.append((shift, (1 << width) - 1))
                self._flips.append(_flip_patterns(width, radius))
                self._tables.append({})
                shift += width

    def __len__(self) -> int:
        """How many (key, hash) pairs the index holds."""
        return sum(len(h) for h in self._hashes.values())

    def add(self, key: int, hash_hex: str) -> None:
        """Index one hash under `key` (a key can have several; adding a pair again is a no-op)."""
        value = _parse(hash_hex)
        self._hashes.setdefault(key, set()).add(value)
        keys = self._keys.get(value)
        if keys is not None:
            keys.add(key)
            return
        self._keys[value] = {key}
        for (shift, mask), table in zip(self._bands, self._tables, strict=True):
            table.setdefault((value >> shift) & mask, set()).add(value)

    def remove(self, key: int) -> None:
        """Forget every hash of `key` (nothing happens when it has none)."""
        for value in self._hashes.pop(key, set()):
            keys = self._keys[value]
            keys.discard(key)
            if keys:
                continue
            del self._keys[value]
            for (shift, mask), table in zip(self._bands, self._tables, strict=True):
                band = (value >> shift) & mask
                table[band].discard(value)
                if not table[band]:
                    del table[band]

    def near(self, hash_hex: str) -> list[tuple[int, int]]:
        """(key, distance) of every key within max_distance of the hash, nearest first and
        equally near ones by key."""
        value = _parse(hash_hex)
        candidates: set[int] = set()
        if self._tables:
            for (shift, mask), flips, table in zip(
                self._bands, self._flips, self._tables, strict=True
            ):
                band = (value >> shift) & mask
                for flip in flips:
                    hashes = table.get(band ^ flip)
                    if hashes:
                        candidates.update(hashes)
        else:
            candidates.update(self._keys)
        limit = self.max_distance
        nearest: dict[int, int] = {}
        for h in candidates:
            distance = (value ^ h).bit_count()
            if distance <= limit:
                for key in self._keys[h]:
                    if distance < nearest.get(key, limit + 1):
                        nearest[key] = distance
        return sorted(nearest.items(), key=lambda kd: (kd[1], kd[0]))


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


def _parse(hash_hex: str) -> int:
    value = int(hash_hex, 16)
    if not 0 <= value < 1 << HASH_BITS:
        raise ValueError(f"not a {HASH_BITS}-bit hash: {hash_hex!r}")
    return value
