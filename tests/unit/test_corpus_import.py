"""Importing the shared corpus: every readable file is added, every broken one explained.

Expectations come from ../shared/corpus/MANIFEST.tsv. Files whose pixels decode but whose
metadata is damaged are imported with a warning naming the damage; files whose pixels cannot
be read fail with a one-line reason. The two `c2pa-malformed__` files are sound images whose
Content Credentials are damaged: reading C2PA belongs to the detection issue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inkseal.library.importer import import_paths
from inkseal.library.works import get_work
from tests.conftest import read_manifest

# Files the manifest marks broken (or camera raw) and the reason they must fail with.
MUST_FAIL: dict[str, str | tuple[str, ...]] = {
    "broken__zero-length.png": "empty",
    "broken__tiff-too-many-subfiles.tiff": "not a readable image",
    "broken__malformed-chunks.png": "not a readable image",
    "broken__truncated.jpg": "truncated",
    "broken__truncated-image-data.png": "truncated",
    "broken__truncated-end-chunk.png": "truncated",
    "broken__garbage-80-bytes.png": "not a readable image",
    "broken__bad-zlib-stream.png": "cannot be decoded",
    "broken__bad-png-signature.png.bin": "not a supported image",
    "broken__decompression-bomb.gif": "decompression bomb",
    "broken__bomb-extents.gif": "decompression bomb",
    "broken__zero-width.gif": "not a readable image",
    "broken__seek-too-large.tif": "not a readable image",
    "camera__canon-350d.cr2": "camera raw",
    "camera__nikon-d70.nef": "truncated",  # a trimmed raw: its image data is cut short
    # Image data stripped by exiftool's test: libheif before pillow-heif 1.9 said the data
    # ends early, 1.9 says a NAL unit size is invalid.
    "format__heic-tiny.heic": ("truncated", "cannot be decoded: Invalid input"),
}
# Broken metadata in a readable image: imported, with this in a warning.
MUST_WARN = {
    "broken__bad-exif-ifd0.jpg": "IFD0",
    "broken__malformed-exif-app1.jpg": "byte order",
    "broken__truncated-exif.jpg": "truncated",
    "broken__bad-mpo-header.jpg": "multi-picture header",
    "broken__multi-segment-exif.jpg": "more than one EXIF segment",
}
C2PA_LATER = {"c2pa-malformed__no-alg.jpg", "c2pa-malformed__prerelease.jpg"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import CORPUS

    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is not present")
    from inkseal.library.library import open_library

    lib = open_library(tmp_path_factory.mktemp("corpus") / "lib")
    report = import_paths(lib, [CORPUS])
    yield lib, {Path(o.path).name: o for o in report.outcomes}
    lib.close()


def test_every_broken_file_is_explained(imported) -> None:
    _, by_name = imported
    for row in read_manifest():
        if row["expected_provenance"] == "broken" and row["file"] not in C2PA_LATER:
            assert row["file"] in MUST_FAIL or row["file"] in MUST_WARN, row["file"]
    for name, words in MUST_FAIL.items():
        o = by_name[name]
        assert o.status == "failed", name
        alternatives = (words,) if isinstance(words, str) else words
        assert any(w in o.reason for w in alternatives), (name, o.reason)
        assert "\n" not in o.reason
    for name, words in MUST_WARN.items():
        o = by_name[name]
        assert o.status == "added", name
        assert any(words in w for w in o.warnings), (name, o.warnings)


def test_every_other_file_is_added_with_its_hash(imported) -> None:
    from tests.conftest import CORPUS

    lib, by_name = imported
    for row in read_manifest():
        if row["file"] in MUST_FAIL:
            continue
        o = by_name[row["file"]]
        assert o.status == "added", (row["file"], o.reason)
        if len(row["sha256"]) == 64:
            assert o.sha256 == row["sha256"], row["file"]
        f = get_work(lib, o.work_id).files[0].info
        assert Path(f.path).read_bytes() == (CORPUS / row["file"]).read_bytes()
        assert f.width and f.height and f.thumb_path and Path(f.thumb_path).is_file()


def test_formats_and_frames_from_the_corpus(imported) -> None:
    lib, by_name = imported
    expected = {
        "format__animated-90frames.gif": ("image/gif", 90),
        "format__animated-apng.png": ("image/apng", 5),
        "format__animated.webp": ("image/webp", 42),
        "format__animated.avifs": ("image/avif", 5),
        "format__multipage.tif": ("image/tiff", 5),
        "format__mpo-2frames.mpo": ("image/jpeg", 2),
        "format__heif-sample.heif": ("image/heic", 1),
        "format__avif-sample.avif": ("image/avif", 1),
        "format__16bit-gray.png": ("image/png", 1),
        "format__jps-stereo-jpeg.jps": ("image/jpeg", 1),
        "format__cmyk-photoshop.jpg": ("image/jpeg", 1),
    }
    for name, (media_type, frames) in expected.items():
        f = get_work(lib, by_name[name].work_id).files[0].info
        assert (f.media_type, f.frames) == (media_type, frames), name


def test_corpus_metadata_lands_in_the_file_record(imported) -> None:
    lib, by_name = imported

    def md(name: str) -> dict:
        return get_work(lib, by_name[name].work_id).files[0].metadata

    texts = {t["keyword"]: t for t in md("ai-a1111__ztxt-parameters-after-idat.png")["png_text"]}
    assert texts["parameters"]["after_idat"] is True
    assert "Steps:" in md("ai-a1111__jpeg-usercomment-1x1.jpg")["exif"]["EXIF UserComment"]
    assert md("iptc-xmp__iptc-reference-2021.jpg")["xmp"]["Iptc4xmpExt:DigitalSourceType"].endswith(
        "softwareImage"
    )
    assert md("iptc-xmp__pillow-iptc.jpg")["iptc"]
    assert md("camera__canon-7d2-lightroom.webp")["exif"]["Image Make"] == "Canon"
