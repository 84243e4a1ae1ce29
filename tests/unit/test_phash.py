"""Perceptual hashes: copies of a picture stay within SIMILAR_DISTANCE, other pictures do not.

Pictures are made here (gradients, shapes and noise from fixed seeds) and, when it is present,
read from the shared corpus. The look-up index is checked against a brute-force scan.
"""

from __future__ import annotations

import io
import itertools
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from inkseal.library.phash import (
    SIMILAR_DISTANCE,
    band_probes,
    hash_distance,
    perceptual_hash,
)
from tests.conftest import CORPUS, REPO

HEX16 = re.compile(r"[0-9a-f]{16}")


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A textured picture: a tilted two-colour gradient, a few shapes, some noise."""
    rnd = random.Random(seed)
    w, h = size
    ramp = Image.linear_gradient("L").resize(size).rotate(rnd.uniform(0, 360))
    colours = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(2)]
    img = ImageOps.colorize(ramp, colours[0], colours[1])
    draw = ImageDraw.Draw(img)
    for _ in range(rnd.randint(5, 10)):
        colour = tuple(rnd.randrange(256) for _ in range(3))
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        box = (x0, y0, x0 + rnd.randint(w // 8, w // 2), y0 + rnd.randint(h // 8, h // 2))
        shape = rnd.choice(("ellipse", "rectangle", "polygon"))
        if shape == "ellipse":
            draw.ellipse(box, fill=colour)
        elif shape == "rectangle":
            draw.rectangle(box, fill=colour)
        else:
            points = [(rnd.randrange(w), rnd.randrange(h)) for _ in range(rnd.randint(3, 6))]
            draw.polygon(points, fill=colour)
    # Image.effect_noise cannot be seeded: shift a fixed field of noise instead.
    field = _noise_field()
    if w > field.width - 50 or h > field.height - 37:
        field = field.resize((w + 50, h + 37))
    noise = field.crop((seed % 50, seed % 37, seed % 50 + w, seed % 37 + h))
    return Image.blend(img, noise.convert("RGB"), 0.12)


_NOISE: list[Image.Image] = []


def _noise_field() -> Image.Image:
    if not _NOISE:
        rnd = random.Random(12345)
        field = Image.new("L", (400, 300))
        field.putdata([min(255, max(0, int(rnd.gauss(128, 30)))) for _ in range(400 * 300)])
        _NOISE.append(field)
    return _NOISE[0]


def reencoded(img: Image.Image, fmt: str, **options: object) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out.convert("RGB")


def copies(img: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """What happens to a picture on its way around: resized, re-encoded, brightened."""
    w, h = img.size
    yield "resized to 50%", img.resize((w // 2, h // 2), Image.Resampling.LANCZOS)
    yield "resized to 25%", img.resize((w // 4, h // 4), Image.Resampling.LANCZOS)
    yield "JPEG quality 60", reencoded(img, "JPEG", quality=60)
    yield "JPEG quality 85", reencoded(img, "JPEG", quality=85)
    yield "WebP", reencoded(img, "WEBP", quality=75)
    yield "brightened 10%", ImageEnhance.Brightness(img).enhance(1.1)


def over_white(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")


def hashed(img: Image.Image) -> str:
    h = perceptual_hash(img)
    assert h is not None
    return h


# --- made pictures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pictures() -> list[Image.Image]:
    return [picture(seed) for seed in range(14)]


def test_the_hash_is_16_hex_digits_and_repeatable(pictures: list[Image.Image]) -> None:
    for img in pictures:
        h = hashed(img)
        assert HEX16.fullmatch(h)
        assert perceptual_hash(img.copy()) == h


def test_copies_stay_similar(pictures: list[Image.Image]) -> None:
    for seed, img in enumerate(pictures[:8]):
        original = hashed(img)
        for what, copy in copies(img):
            d = hash_distance(original, hashed(copy))
            assert d <= SIMILAR_DISTANCE, f"picture {seed} {what}: {d} bits apart"


def test_different_pictures_are_not_similar(pictures: list[Image.Image]) -> None:
    hashes = [hashed(img) for img in pictures]
    for (i, a), (j, b) in itertools.combinations(enumerate(hashes), 2):
        d = hash_distance(a, b)
        assert d > SIMILAR_DISTANCE, f"pictures {i} and {j} are only {d} bits apart"


def test_a_mirrored_picture_is_not_a_copy(pictures: list[Image.Image]) -> None:
    img = pictures[0]
    mirrored = ImageOps.mirror(img)
    assert hash_distance(hashed(img), hashed(mirrored)) > SIMILAR_DISTANCE


# --- flat pictures and modes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "mode,colour",
    [
        ("RGB", (255, 255, 255)),
        ("RGB", (0, 0, 0)),
        ("RGB", (200, 30, 90)),
        ("L", 128),
        ("RGBA", (10, 200, 10, 255)),
        ("RGBA", (0, 0, 0, 0)),  # fully transparent: white
        ("1", 1),
        ("P", 3),
        ("I;16", 40000),
        ("I", 70000),
        ("F", 0.25),
        ("CMYK", (0, 0, 0, 0)),
    ],
)
def test_solid_colours_are_too_flat(mode: str, colour: object) -> None:
    assert perceptual_hash(Image.new(mode, (120, 80), colour)) is None  # type: ignore[arg-type]


def test_near_blank_pictures_are_too_flat() -> None:
    rnd = random.Random(7)
    paper = Image.new("L", (200, 150))
    paper.putdata([250 + rnd.randrange(-3, 4) for _ in range(200 * 150)])
    assert perceptual_hash(paper) is None
    speck = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(speck).rectangle((200, 150, 202, 152), fill="black")
    assert perceptual_hash(speck) is None
    faint = Image.linear_gradient("L").resize((256, 256)).point(lambda v: 120 + v // 64)
    assert perceptual_hash(faint) is None
    assert perceptual_hash(Image.new("RGB", (1, 1), "red")) is None
    assert perceptual_hash(Image.new("RGB", (0, 0))) is None


def test_rgba_is_composited_over_white(pictures: list[Image.Image]) -> None:
    img = pictures[1].convert("RGBA")
    alpha = Image.new("L", img.size, 255)
    ImageDraw.Draw(alpha).ellipse((40, 30, 200, 180), fill=0)  # a transparent hole
    img.putalpha(alpha)
    h = hashed(img)
    assert h == hashed(over_white(img))
    # Transparent pixels count as white, whatever colour they hold.
    assert hash_distance(h, hashed(img.convert("RGB"))) > 0


def test_every_mode_gives_the_same_or_a_close_hash(pictures: list[Image.Image]) -> None:
    img = pictures[2]
    grey = img.convert("L")
    h = hashed(grey)
    assert hashed(img) == h  # the hash is of the grey levels
    wide = grey.convert("I").point(lambda v: v * 257)  # 16-bit samples, as a 16-bit PNG
    same = {
        "L": grey,
        "LA": grey.convert("LA"),
        "RGBA opaque": img.convert("RGBA"),
        "I (16-bit values)": wide,
        "I (8-bit values)": grey.convert("I"),
        "I;16": wide.convert("I;16"),
        "F": grey.convert("F"),
        "F (fractions)": grey.convert("F").point(lambda v: v / 255),
    }
    for mode, variant in same.items():
        assert hashed(variant) == h, mode
    close = {
        "P": img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64),
        "P (web palette)": img.convert("P"),
        "CMYK": img.convert("CMYK"),
        "YCbCr": img.convert("YCbCr"),
        "HSV": img.convert("HSV"),  # no conversion back to grey: its first band (hue)
        "1": grey.convert("1"),
        "I;16B": wide.convert("I;16B"),
        "La": grey.convert("LA").convert("La"),
        "RGBa": img.convert("RGBA").convert("RGBa"),
    }
    for mode, variant in close.items():
        got = perceptual_hash(variant)
        assert got is not None and HEX16.fullmatch(got), mode
        if mode not in ("HSV", "1"):
            assert hash_distance(got, h) <= SIMILAR_DISTANCE, mode


def test_a_palette_picture_with_a_transparent_colour() -> None:
    img = Image.new("P", (160, 120), 0)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 79, 119), fill=1)
    draw.ellipse((90, 20, 150, 100), fill=2)
    img.info["transparency"] = 0  # the black background is transparent: white
    h = hashed(img)
    assert h == hashed(over_white(img.convert("RGBA")))


def test_a_big_picture_hashes_like_its_thumbnail() -> None:
    big = picture(3, (2400, 1800))
    thumb = big.copy()
    thumb.thumbnail((512, 512))
    assert hash_distance(hashed(big), hashed(thumb)) <= 2


def test_the_module_imports_without_pillow() -> None:
    code = "import sys, inkseal.library.phash; assert 'PIL' not in sys.modules, 'PIL loaded'"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- the shared corpus -----------------------------------------------------------------------

# Visibly different pictures (portraits, landscapes, a screenshot, a gradient, a logo ...).
DISTINCT = [
    "ai-a1111__full-1024.png",
    "noai__macos-screenshot.png",
    "c2pa-ai__google-genai-1-manifest.png",
    "c2pa-ai__google-genai-8-manifests.png",
    "c2pa-ai__google-genai-30-manifests.png",
    "c2pa-ai__photoshop-firefly-edit.jpg",
    "c2pa-test__created-algorithmicMedia.jpg",
    "c2pa-test__opened-CA.jpg",
    "camera__panasonic-zs60-lightroom.jpg",
    "human__photoshop-apollo17.jpg",
    "format__avif-sample.avif",
    "iptc-xmp__iptc-reference-2021.jpg",
    "iptc-xmp__meta.webp",
    "camera__canon-7d2-lightroom.webp",
    "iptc-xmp__pillow-iptc.jpg",
    "format__mpo-2frames.mpo",
    "c2pa-malformed__no-alg.jpg",
    "format__avif-exif.avif",
    "format__avif-xmp.avif",
    "format__animated.webp",
]
# Files holding the same picture as another (re-signed or re-saved): found as similar.
SAME_PICTURE = [
    ("c2pa-test__opened-CA.jpg", "c2pa-test__CACA-2-manifests.jpg"),
    ("c2pa-test__opened-CA.jpg", "c2pa-valid__boxhash.jpg"),
    ("c2pa-test__opened-CA.jpg", "c2pa-invalid__data-hash-mismatch.jpg"),
    ("c2pa-test__created-algorithmicMedia.jpg", "c2pa-cawg__digitalCapture-identity.jpg"),
    ("human__photoshop-apollo17.jpg", "c2pa-remote__cloud-manifest.jpg"),
]


def _thumbnail(path: Path) -> Image.Image:
    """What the importer hands over: the picture oriented and at most 512 pixels."""
    with Image.open(path) as img:
        img.draft("RGB", (512, 512))
        thumb = ImageOps.exif_transpose(img)
        thumb.thumbnail((512, 512))
        return thumb.convert("RGBA") if "A" in thumb.mode else thumb.convert("RGB")


@pytest.fixture(scope="module")
def corpus_thumbs() -> dict[str, Image.Image]:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is not present")
    names = set(DISTINCT) | {n for pair in SAME_PICTURE for n in pair}
    return {name: _thumbnail(CORPUS / name) for name in sorted(names) if (CORPUS / name).exists()}


def test_distinct_corpus_pictures_are_not_similar(corpus_thumbs: dict[str, Image.Image]) -> None:
    hashes = {n: hashed(corpus_thumbs[n]) for n in DISTINCT if n in corpus_thumbs}
    assert len(hashes) >= 10
    for a, b in itertools.combinations(hashes, 2):
        d = hash_distance(hashes[a], hashes[b])
        assert d > SIMILAR_DISTANCE, f"{a} and {b} are only {d} bits apart"


def test_copies_of_corpus_pictures_stay_similar(corpus_thumbs: dict[str, Image.Image]) -> None:
    for name in DISTINCT[::2]:
        if name not in corpus_thumbs:
            continue
        img = over_white(corpus_thumbs[name])
        original = hashed(img)
        for what, copy in copies(img):
            d = hash_distance(original, hashed(copy))
            assert d <= SIMILAR_DISTANCE, f"{name} {what}: {d} bits apart"


def test_the_same_picture_in_other_files_is_similar(
    corpus_thumbs: dict[str, Image.Image],
) -> None:
    for a, b in SAME_PICTURE:
        if a in corpus_thumbs and b in corpus_thumbs:
            d = hash_distance(hashed(corpus_thumbs[a]), hashed(corpus_thumbs[b]))
            assert d <= SIMILAR_DISTANCE, f"{a} and {b}: {d} bits apart"


# --- distances and the index -----------------------------------------------------------------


def test_hash_distance() -> None:
    assert hash_distance("0123456789abcdef", "0123456789abcdef") == 0
    assert hash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert hash_distance("0000000000000000", "0000000000000001") == 1
    assert hash_distance("8000000000000000", "0000000000000001") == 2
    assert hash_distance("00000000000000ff", "000000000000000f") == 4
    assert hash_distance("F0F0F0F0F0F0F0F0", "f0f0f0f0f0f0f0f0") == 0
    a, b = "3c3c3b1b1b1b3c00", "088c8eae8cd4d48c"
    assert hash_distance(a, b) == hash_distance(b, a) == (int(a, 16) ^ int(b, 16)).bit_count()


def _flip(value: int, rnd: random.Random, bits: int) -> int:
    for pos in rnd.sample(range(64), bits):
        value ^= 1 << pos
    return value


def _brute_force(entries: list[tuple[int, int]], query: int, limit: int) -> list[tuple[int, int]]:
    nearest: dict[int, int] = {}
    for key, value in entries:
        d = (value ^ query).bit_count()
        if d <= limit and d < nearest.get(key, 65):
            nearest[key] = d
    return sorted(nearest.items(), key=lambda kd: (kd[1], kd[0]))


@pytest.fixture(scope="module")
def random_entries() -> list[tuple[int, int]]:
    """~2,000 (work, hash) pairs in clusters, as copies of pictures would be, plus strays;
    some works hold several hashes and some hashes several works."""
    rnd = random.Random(2024)
    centres = [rnd.getrandbits(64) for _ in range(150)]
    entries = []
    for key in range(1, 1801):
        entries.append((key, _flip(rnd.choice(centres), rnd, rnd.randint(0, 14))))
    for key in range(1801, 2001):
        entries.append((key, rnd.getrandbits(64)))
    for _ in range(60):  # a work with several files
        entries.append((rnd.randrange(1, 2001), _flip(rnd.choice(centres), rnd, rnd.randint(0, 6))))
    for _ in range(20):  # the same file in two works
        entries.append((rnd.randrange(1, 2001), rnd.choice(entries)[1]))
    return entries


def _library_of(root: Path, entries: list[tuple[int, int]], trashed: set[int] = frozenset()):  # type: ignore[no-untyped-def, assignment]
    """A real catalogue whose works hold files with these perceptual hashes."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from inkseal.library.library import open_library
    from inkseal.models.entities import Asset, Work

    lib = open_library(root)
    now = datetime.now(UTC)
    keys = sorted({k for k, _ in entries})
    with lib.engine.begin() as conn:
        conn.execute(
            insert(Work.__table__),
            [
                {"id": k, "title": f"w{k}", "created_at": now, "updated_at": now,
                 "trashed_at": now if k in trashed else None}
                for k in keys
            ],
        )  # fmt: skip
        conn.execute(
            insert(Asset.__table__),
            [
                {"work_id": k, "role": "primary" if i == 0 else "wip", "position": i,
                 "sha256": f"{n:064x}", "size": 1, "media_type": "image/png",
                 "original_name": "x.png", "stored_path": f"store/{n}.png", "imported_at": now,
                 "metadata_json": "{}", "perceptual_hash": f"{v:016x}"}
                for n, (i, k, v) in enumerate(
                    (sum(1 for kk, _ in entries[:j] if kk == key), key, value)
                    for j, (key, value) in enumerate(entries)
                )
            ],
        )  # fmt: skip
    return lib


@pytest.fixture(scope="module")
def hash_library(random_entries, tmp_path_factory):  # type: ignore[no-untyped-def]
    lib = _library_of(tmp_path_factory.mktemp("hashes") / "lib", random_entries)
    yield lib
    lib.close()


@pytest.mark.parametrize("limit", [0, 1, 3, 7, SIMILAR_DISTANCE, 11, 12, 20, 40])
def test_the_catalogue_look_up_agrees_with_a_brute_force_scan(
    hash_library, random_entries: list[tuple[int, int]], limit: int
) -> None:
    from inkseal.library.similar import near_works

    rnd = random.Random(limit)
    queries = [v for _, v in rnd.sample(random_entries, 40)]
    queries += [_flip(v, rnd, rnd.randint(1, 12)) for v in queries]
    queries += [rnd.getrandbits(64) for _ in range(20)]
    found_any = False
    for q in queries:
        expected = _brute_force(random_entries, q, limit)
        got = near_works(hash_library, [f"{q:016x}"], max_distance=limit, limit=None)
        assert list(got) == expected
        found_any = found_any or len(expected) > 1
    assert found_any
    assert band_probes("0" * 16, 40) is None  # that far, the whole catalogue is read


def test_the_look_up_orders_nearest_first_then_by_work_and_skips_the_trash(
    tmp_path: Path,
) -> None:
    from inkseal.library.similar import near_works

    base = 0x0123456789ABCDEF
    entries = [
        (30, base ^ 0b11), (20, base ^ 0b101), (10, base ^ 0b1), (40, base),
        (50, ~base & (2**64 - 1)), (60, base ^ 0b1), (60, base ^ 0xFF00),
    ]  # fmt: skip
    with _library_of(tmp_path / "lib", entries, trashed={20}) as lib:
        query = f"{base:016x}"
        assert near_works(lib, [query]) == ((40, 0), (10, 1), (60, 1), (30, 2))
        assert near_works(lib, [query], exclude=40, limit=2) == ((10, 1), (60, 1))
        with pytest.raises(ValueError):
            near_works(lib, ["xyz"])


def test_the_look_up_with_real_hashes(pictures: list[Image.Image], tmp_path: Path) -> None:
    from inkseal.library.similar import near_works

    entries = [(key, int(hashed(img), 16)) for key, img in enumerate(pictures, start=1)]
    with _library_of(tmp_path / "lib", entries) as lib:
        for key, img in enumerate(pictures[:4], start=1):
            _, copy = next(c for c in copies(img) if c[0] == "JPEG quality 60")
            hits = near_works(lib, [hashed(copy)])
            assert [k for k, _ in hits] == [key]


def test_bad_hashes_are_refused() -> None:
    for bad in ("", "xyz", "1" * 17, "-1", "ff"):
        with pytest.raises(ValueError):
            band_probes(bad)
    with pytest.raises(ValueError):
        band_probes("0" * 16, -1)
