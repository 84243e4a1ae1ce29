"""Tests for inkseal.library.metadata and inkseal.library.pngchunks.

Real files come from the shared corpus (../shared/corpus next to the repository, described by
its MANIFEST.tsv); synthetic files are made with Pillow in memory or in tmp_path.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from inkseal.library import metadata, pngchunks
from inkseal.library.metadata import decode_user_comment, extract_metadata, parse_iptc

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

XMP_NS = (
    'xmlns:x="adobe:ns:meta/"',
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def sniff_format(data: bytes) -> str:
    """Guess the container format from the first bytes, as the import pipeline does."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if data[:2] == b"BM":
        return "BMP"
    if data[4:8] == b"ftyp":
        return "AVIF" if data[8:12] in (b"avif", b"avis") else "HEIF"
    return "UNKNOWN"


def open_image(data: bytes) -> Image.Image | None:
    try:
        return Image.open(io.BytesIO(data))
    except Exception:
        return None


def corpus_file(name: str) -> bytes:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} is missing")
    return path.read_bytes()


def read_corpus(name: str, *, with_image: bool = True) -> dict[str, Any]:
    data = corpus_file(name)
    image = open_image(data) if with_image else None
    result = extract_metadata(data, sniff_format(data), image)
    json.dumps(result, allow_nan=False)
    return result


def corpus_names() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")


def png_chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    if crc is None:
        crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


def png_with_chunks_after_idat(*chunks: bytes) -> bytes:
    """A 1x1 PNG with extra chunks inserted just before IEND."""
    data = tiny_png()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + b"".join(chunks) + data[iend:]


def jpeg_with_segments(*segments: tuple[int, bytes]) -> bytes:
    """A 1x1 JPEG with the given (marker, payload) segments inserted after SOI."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "JPEG")
    data = buffer.getvalue()
    extra = b"".join(
        b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload
        for marker, payload in segments
    )
    return data[:2] + extra + data[2:]


def xmp_packet(body: str, extra_ns: str = "") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f"<x:xmpmeta {XMP_NS[0]}><rdf:RDF {XMP_NS[1]}>"
        f'<rdf:Description rdf:about="" {extra_ns}>{body}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def has_warning(result: dict[str, Any], *words: str) -> bool:
    return any(all(w in message for w in words) for message in result["warnings"])


# ---------------------------------------------------------------------------------------------
# Corpus: AI generator metadata
# ---------------------------------------------------------------------------------------------


def test_a1111_png_parameters() -> None:
    result = read_corpus("ai-a1111__png-parameters-1x1.png")
    texts = {t["keyword"]: t for t in result["png_text"]}
    assert "Steps: 15" in texts["parameters"]["text"]
    assert texts["parameters"]["text"].startswith("photo of a duck\nNegative prompt: monochrome")
    assert texts["parameters"]["chunk"] == "tEXt"
    assert texts["parameters"]["after_idat"] is False
    assert result["png_chunks"] == ["IHDR", "tEXt", "IDAT", "IEND"]
    assert result["warnings"] == []


def test_a1111_ztxt_after_idat() -> None:
    result = read_corpus("ai-a1111__ztxt-parameters-after-idat.png")
    params = [t for t in result["png_text"] if t["keyword"] == "parameters"]
    assert len(params) == 1
    assert params[0]["chunk"] == "zTXt"
    assert params[0]["after_idat"] is True
    assert "Steps: 15, Sampler: UniPC" in params[0]["text"]
    # ImageMagick's own text chunks also sit after IDAT.
    dates = [t for t in result["png_text"] if t["keyword"] == "date:create"]
    assert dates and dates[0]["after_idat"] is True
    assert result["png_chunks"].index("zTXt") > result["png_chunks"].index("IDAT")


def test_a1111_jpeg_user_comment_is_decoded_in_full() -> None:
    result = read_corpus("ai-a1111__jpeg-usercomment-1x1.jpg")
    comment = result["exif"]["EXIF UserComment"]
    assert comment.startswith("photo of a duck\nNegative prompt: monochrome\nSteps: 15")
    assert comment.endswith("Model: realistic_realisticVisionV20_v20")
    assert result["warnings"] == []


@pytest.mark.parametrize(
    ("name", "keywords"),
    [
        ("ai-comfyui__img2img-1x1.png", {"prompt", "workflow"}),
        ("ai-fooocus__json-1x1.png", {"parameters", "fooocus_scheme"}),
        ("ai-invokeai__invokeai-metadata-1x1.png", {"invokeai_metadata"}),
        ("ai-invokeai__sd-metadata-1x1.png", {"Dream", "sd-metadata"}),
        ("ai-novelai__v1-1x1.png", {"Title", "Description", "Software", "Source", "Comment"}),
    ],
)
def test_generator_png_keywords(name: str, keywords: set[str]) -> None:
    result = read_corpus(name)
    assert {t["keyword"] for t in result["png_text"]} == keywords


def test_comfyui_prompt_is_json() -> None:
    result = read_corpus("ai-comfyui__night-evening-1x1.png")
    texts = {t["keyword"]: t["text"] for t in result["png_text"]}
    assert "KSampler" in json.dumps(json.loads(texts["prompt"]))
    assert json.loads(texts["workflow"])["last_node_id"] == 47


def test_stealth_png_has_no_text() -> None:
    result = read_corpus("ai-a1111__stealth-alpha-pngcomp.png")
    assert "png_text" not in result
    assert result["png_chunks"] == ["IHDR", "IDAT", "IEND"]


# ---------------------------------------------------------------------------------------------
# Corpus: XMP, IPTC, EXIF from cameras and editors
# ---------------------------------------------------------------------------------------------


def test_iptc_reference_2021() -> None:
    result = read_corpus("iptc-xmp__iptc-reference-2021.jpg")
    xmp = result["xmp"]
    assert xmp["Iptc4xmpExt:DigitalSourceType"].endswith("/digitalsourcetype/softwareImage")
    assert xmp["dc:title"] == ["The Title (ref2021.1)"]
    assert xmp["dc:subject"] == ["Keyword1ref2021.1", "Keyword2ref2021.1", "Keyword3ref2021.1"]
    # A structure inside a bag is flattened with "/".
    city = xmp["Iptc4xmpExt:LocationCreated/Iptc4xmpExt:City"]
    assert city == "City (Location created1) (ref2021.1)"
    assert len(xmp["Iptc4xmpExt:LocationShown/Iptc4xmpExt:City"]) == 2
    assert result["xmp_source"] == "jpeg-app1"
    assert result["xmp_size"] > 30_000

    iptc = result["iptc"]
    assert iptc["ObjectName"] == "The Title (ref2021.1)"
    assert iptc["Keywords"] == ["Keyword1ref2021.1", "Keyword2ref2021.1", "Keyword3ref2021.1"]
    assert iptc["By-line"] == "Creator1 (ref2021.1)"
    assert iptc["City"] == "City (Core) (ref2021.1)"
    assert iptc["DateCreated"] == "20211020"
    assert iptc["CopyrightNotice"].startswith("Copyright (Notice) 2021.1 IPTC")

    assert result["exif"]["Image Artist"] == "Creator1 (ref2021.1)"
    assert result["comments"][0].startswith("IPTC Photo Metadata Standard 2021.1")
    assert "APP13:Photoshop" in result["jpeg_segments"]
    assert result["warnings"] == []


def test_webp_xmp_chunk() -> None:
    result = read_corpus("format__webp-xmp.webp")
    assert result["xmp"]["dc:title"] == ["This is a test"]
    assert result["xmp"]["dc:subject"] == ["C2PA", "Authenticity"]
    assert result["xmp_source"] == "webp-xmp-chunk"
    assert result["exif"]["Image Software"] == "Adobe Photoshop 24.0 (Macintosh)"
    assert result["webp_chunks"][:2] == ["VP8X", "ICCP"]
    assert result["icc_profile"] is True


def test_webp_meta_xmp() -> None:
    result = read_corpus("iptc-xmp__meta.webp")
    assert result["xmp"]["xmp:CreatorTool"] == "Creator Tool"
    assert result["xmp"]["photoshop:Credit"] == "Photographer/Agency"
    assert "exif" not in result


def test_webp_exif_canon_read_without_exifread_container_support() -> None:
    # exifread cannot find the EXIF chunk in this WebP (no EXIF flag handling); the chunk we
    # locate ourselves is read instead.
    result = read_corpus("camera__canon-7d2-lightroom.webp", with_image=False)
    assert result["exif"]["Image Make"] == "Canon"
    assert result["exif"]["Image Model"] == "Canon EOS 7D Mark II"
    assert result["xmp"]["Iptc4xmpExt:DigitalSourceType"] == "nil"


def test_pillow_fallback_names_tags_like_exifread(monkeypatch: pytest.MonkeyPatch) -> None:
    data = corpus_file("camera__canon-7d2-lightroom.webp")
    with_exifread = extract_metadata(data, "WEBP", open_image(data))["exif"]
    monkeypatch.setattr(metadata, "_exif_with_exifread", lambda tiff, ctx: {})
    with_pillow = extract_metadata(data, "WEBP", open_image(data))["exif"]
    assert with_pillow["Image Make"] == "Canon"
    assert with_pillow["EXIF ExposureTime"] == with_exifread["EXIF ExposureTime"] == "1/500"
    shared = set(with_pillow) & set(with_exifread)
    assert {"Image Make", "Image Model", "EXIF FNumber", "EXIF DateTimeOriginal"} <= shared


def test_extended_xmp_is_reassembled() -> None:
    result = read_corpus("iptc-xmp__extended-xmp.jpg")
    xmp = result["xmp"]
    # The extended packet's two parts come in reverse order in this file.
    assert xmp["pdf:Title"] == "PDF Title"
    assert xmp["pdf:Producer"] == "Just ExifTool again"
    assert xmp["xmpNote:HasExtendedXMP"] == "04B9E48040A30A6308713BD1E4223B41"
    assert result["jpeg_segments"] == ["APP1:XMP-extension", "APP1:XMP"]
    assert result["warnings"] == []


def test_google_pixel_extended_xmp() -> None:
    result = read_corpus("camera__google-pixel8pro.jpg")
    assert result["exif"]["Image Make"] == "Google"
    assert result["xmp"]["GCamera:HdrPlusMakernote"]
    assert result["warnings"] == []


def test_canon_rebel_exif() -> None:
    result = read_corpus("camera__canon-rebel.jpg")
    assert result["exif"]["Image Make"] == "Canon"
    assert result["exif"]["Image Model"] == "Canon EOS DIGITAL REBEL"
    assert result["exif"]["EXIF DateTimeOriginal"] == "2003:12:04 06:46:52"
    assert not any("MakerNote" in key for key in result["exif"])


def test_gps_tags() -> None:
    result = read_corpus("camera__fujifilm-gps.jpg")
    assert result["exif"]["GPS GPSLatitudeRef"] == "N"
    assert result["exif"]["GPS GPSLatitude"] == "[54, 2969/50, 0]"


def test_pillow_iptc() -> None:
    result = read_corpus("iptc-xmp__pillow-iptc.jpg")
    assert result["iptc"]["City"] == "Budapest"
    assert result["iptc"]["Country-PrimaryLocationName"] == "Hungary"
    assert "Budapest" in result["iptc"]["Keywords"]
    assert result["exif"]["Image Make"] == "Nokia"


def test_exiftool_iptc_lists() -> None:
    iptc = read_corpus("iptc-xmp__exiftool-iptc.jpg")["iptc"]
    assert iptc["Keywords"] == ["ExifTool", "Test", "IPTC"]
    assert iptc["SupplementalCategories"] == ["amazing", "image", "utilities"]
    assert iptc["By-line"] == "Phil Harvey"
    assert iptc["RecordVersion"] == 2


def test_iptc_utf8_declared_by_record_1_90() -> None:
    result = read_corpus("iptc-xmp__photoshop-meta.jpg")
    assert result["iptc"]["Headline"] == "Headline"


def test_mwg_conflicting_values_are_all_reported() -> None:
    result = read_corpus("iptc-xmp__mwg.jpg")
    assert result["exif"]["Image ImageDescription"] == "RIGHT-EXIF-Description"
    assert result["iptc"]["By-line"] == ["WRONG1of2-IPTC-Creator", "WRONG2of2-IPTC-Creator"]
    assert result["xmp"]["dc:creator"] == ["WRONG1of2-XMP-Creator", "WRONG2of2-XMP-Creator"]


def test_utf16_xmp_packet() -> None:
    result = read_corpus("iptc-xmp__exiftool-xmp.jpg")
    assert result["xmp"]["dc:description"] == ["UTF-16 (big-endian) encoded XMP"]
    assert "about" not in result["xmp"]


def test_tiff_raw_iptc_tag() -> None:
    result = read_corpus("camera__nikon-d70.nef")
    assert result["exif"]["Image Make"] == "NIKON CORPORATION"
    assert result["iptc"]["City"] == "Kingston"
    assert result["icc_profile"] is True


def test_avif_xmp() -> None:
    data = corpus_file("format__avif-xmp.avif")
    image = open_image(data)
    if image is None:
        pytest.skip("this Pillow cannot open AVIF")
    result = extract_metadata(data, "AVIF", image)
    assert result["xmp"]["tiff:Orientation"] == "3"
    assert result["xmp_source"] == "heif-item"
    assert result["icc_profile"] is True
    assert "exif" not in result  # Pillow's getexif() would invent one from the XMP


def test_avif_exif() -> None:
    data = corpus_file("format__avif-exif.avif")
    image = open_image(data)
    if image is None:
        pytest.skip("this Pillow cannot open AVIF")
    assert extract_metadata(data, "AVIF", image)["exif"] == {
        "Image Orientation": "Horizontal (normal)"
    }


def test_heif_opens_with_plugin() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    data = corpus_file("format__heif-sample.heif")
    image = open_image(data)
    assert image is not None
    result = extract_metadata(data, "HEIF", image)
    assert result["warnings"] == []
    json.dumps(result)


def test_png_exif_chunk_and_xmp() -> None:
    result = read_corpus("noai__macos-screenshot.png")
    assert result["exif"]["EXIF UserComment"] == "Screenshot"
    assert result["xmp"]["exif:UserComment"] == "Screenshot"
    assert result["xmp_source"] == "png-itxt"
    assert result["icc_profile"] is True
    assert result["png_chunks"][:3] == ["IHDR", "iCCP", "eXIf"]
    # The XMP iTXt chunk is reported under "xmp", not as PNG text.
    assert "png_text" not in result


def test_c2pa_markers() -> None:
    assert "caBX" in read_corpus("c2pa-ai__google-genai-1-manifest.png")["png_chunks"]
    assert "APP11:JUMBF" in read_corpus("c2pa-ai__photoshop-firefly-edit.jpg")["jpeg_segments"]
    cloud = read_corpus("c2pa-remote__cloud-manifest.jpg")
    assert cloud["xmp"]["dcterms:provenance"].startswith("https://cai-manifests.adobe.com/")


def test_exif_after_a_jumbf_segment() -> None:
    # APP11 comes before APP1 here; exifread's own JPEG scanner gives up on it.
    result = read_corpus("c2pa-malformed__no-alg.jpg", with_image=False)
    assert result["exif"]["Image Make"] == "samsung"
    assert result["jpeg_segments"] == ["APP11:JUMBF", "APP0:JFIF", "APP1:Exif"]


def test_apng_chunks() -> None:
    chunks = read_corpus("format__animated-apng.png")["png_chunks"]
    assert chunks[:3] == ["IHDR", "acTL", "IDAT"]
    assert "fdAT" in chunks


def test_gif_comment() -> None:
    result = read_corpus("format__animated-90frames.gif")
    assert result["comments"] == ["GIF converted with https://ezgif.com/webp-to-gif"]


# ---------------------------------------------------------------------------------------------
# Corpus: broken files
# ---------------------------------------------------------------------------------------------


def test_bad_exif_ifd0() -> None:
    result = read_corpus("broken__bad-exif-ifd0.jpg")
    assert has_warning(result, "EXIF", "IFD0", "32 entries")
    assert result["exif"]["EXIF ExifImageWidth"] == "500"


def test_malformed_exif_app1() -> None:
    result = read_corpus("broken__malformed-exif-app1.jpg")
    assert has_warning(result, "EXIF", "byte order")
    assert result["exif"]["Image Software"] == "Adobe Photoshop CC 2017 (Macintosh)"
    assert result["xmp"]["xmp:CreatorTool"] == "Adobe Photoshop CC 2017 (Macintosh)"


def test_truncated_exif() -> None:
    result = read_corpus("broken__truncated-exif.jpg")
    assert has_warning(result, "EXIF", "truncated")
    assert "exif" not in result


def test_multi_segment_exif() -> None:
    result = read_corpus("broken__multi-segment-exif.jpg")
    assert result["exif"]["Image ImageDescription"] == "first"
    assert has_warning(result, "more than one EXIF segment")


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_oversized_ifd_is_not_handed_to_exifread() -> None:
    # 16-byte BigTIFF header whose IFD0 would make exifread loop over 65,535 entries.
    start = time.perf_counter()
    read_corpus("broken__seek-too-large.tif")
    classic = b"MM\x00*\x00\x00\x00\x08\xff\xff" + bytes(20)
    result = extract_metadata(classic, "TIFF", None)
    assert time.perf_counter() - start < 0.5
    assert has_warning(result, "bad IFD0 directory")
    assert has_warning(result, "implausibly large")


def test_too_many_ifds() -> None:
    result = read_corpus("broken__tiff-too-many-subfiles.tiff")
    assert has_warning(result, "more than 32 IFDs")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("broken__garbage-80-bytes.png", "garbage"),
        ("broken__truncated-end-chunk.png", "truncated"),
        ("broken__truncated-image-data.png", "truncated"),
        ("broken__malformed-chunks.png", "bad CRC"),
    ],
)
def test_broken_png_warnings(name: str, fragment: str) -> None:
    result = read_corpus(name)
    assert has_warning(result, "PNG", fragment)


def test_not_a_png_given_as_png() -> None:
    result = extract_metadata(corpus_file("broken__bad-png-signature.png.bin"), "PNG", None)
    assert has_warning(result, "PNG: bad signature")


@pytest.mark.filterwarnings("ignore")
def test_every_corpus_file() -> None:
    names = corpus_names()
    if not names:
        pytest.skip(f"corpus not found at {CORPUS}")
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    timings = []
    for name in names:
        data = (CORPUS / name).read_bytes()
        image = open_image(data)
        loaded: list[bool] = []
        if image is not None:
            # Metadata must never decode pixels.
            image.load = lambda loaded=loaded: loaded.append(True)  # type: ignore[method-assign,misc]
        start = time.perf_counter()
        result = extract_metadata(data, sniff_format(data), image)
        timings.append(time.perf_counter() - start)
        assert not loaded, name
        json.dumps(result, allow_nan=False)
        assert isinstance(result["warnings"], list), name
        assert all(isinstance(w, str) and len(w) <= 300 for w in result["warnings"]), name
        assert not any("could not be read" in w for w in result["warnings"]), (name, result)
    assert sorted(timings)[len(timings) // 2] < 0.01  # median well under 10 ms


def test_manifest_lists_the_corpus() -> None:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip("no corpus manifest")
    lines = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    listed = {line.split("\t")[0] for line in lines[1:] if line.strip()}
    assert set(corpus_names()) <= listed


@pytest.mark.filterwarnings("ignore")
def test_random_damage_never_raises() -> None:
    names = [
        "ai-a1111__jpeg-usercomment-1x1.jpg",
        "ai-a1111__ztxt-parameters-after-idat.png",
        "camera__fujifilm-gps.jpg",
        "camera__canon-rebel.jpg",
        "camera__nikon-d70.nef",
        "iptc-xmp__extended-xmp.jpg",
        "iptc-xmp__photomechanic-meta.jpg",
        "iptc-xmp__photoshop-meta.png",
        "iptc-xmp__meta.webp",
        "noai__macos-screenshot.png",
    ]
    rng = random.Random(20240611)
    slowest = 0.0
    for name in names:
        original = corpus_file(name)
        fmt = sniff_format(original)
        for round_ in range(40):
            damaged = bytearray(original)
            if round_ % 3 == 0:
                damaged = damaged[: rng.randrange(len(damaged))]
            else:
                for _ in range(rng.randint(1, 16)):
                    damaged[rng.randrange(min(len(damaged), 30_000))] = rng.randrange(256)
            data = bytes(damaged)
            image = open_image(data) if round_ % 4 == 0 else None
            start = time.perf_counter()
            result = extract_metadata(data, fmt, image)
            slowest = max(slowest, time.perf_counter() - start)
            json.dumps(result, allow_nan=False)
    assert slowest < 0.5


# ---------------------------------------------------------------------------------------------
# Synthetic PNG files
# ---------------------------------------------------------------------------------------------


def test_png_text_chunks_written_by_pillow(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler")
    info.add_text("Comment", "squeezed " * 50, zip=True)
    info.add_itxt("prompt", "書道、墨", lang="ja", tkey="プロンプト", zip=True)
    info.add_itxt("plain", "ünïcode", lang="", tkey="")
    path = tmp_path / "made.png"
    Image.new("RGB", (2, 2), "white").save(path, pnginfo=info)
    data = path.read_bytes()

    result = extract_metadata(data, "PNG", Image.open(path))
    texts = {t["keyword"]: t for t in result["png_text"]}
    assert texts["parameters"] == {
        "keyword": "parameters",
        "text": "a cat\nSteps: 20, Sampler: Euler",
        "chunk": "tEXt",
        "after_idat": False,
    }
    assert texts["Comment"]["chunk"] == "zTXt"
    assert texts["Comment"]["text"] == "squeezed " * 50
    assert texts["prompt"]["chunk"] == "iTXt"
    assert texts["prompt"]["text"] == "書道、墨"
    assert texts["prompt"]["language"] == "ja"
    assert texts["prompt"]["translated_keyword"] == "プロンプト"
    assert texts["plain"]["text"] == "ünïcode"
    assert result["warnings"] == []

    decoded = pngchunks.text_chunks(data)
    assert [t.chunk for t in decoded] == ["tEXt", "zTXt", "iTXt", "iTXt"]
    assert not any(t.truncated for t in decoded)


def test_iter_chunks_marks_after_idat_and_bad_crc() -> None:
    data = png_with_chunks_after_idat(
        png_chunk(b"tEXt", b"late\x00text"),
        png_chunk(b"zTXt", b"bad\x00\x00" + zlib.compress(b"payload"), crc=0),
    )
    chunks = list(pngchunks.iter_chunks(data))
    assert [c.type for c in chunks] == ["IHDR", "IDAT", "tEXt", "zTXt", "IEND"]
    assert [c.after_idat for c in chunks] == [False, False, True, True, True]
    assert [c.crc_ok for c in chunks] == [True, True, True, False, True]
    assert bytes(chunks[2].data) == b"late\x00text"
    assert chunks[2].length == 9

    warnings: list[str] = []
    texts = pngchunks.text_chunks(data, warnings)
    assert [(t.keyword, t.text, t.after_idat) for t in texts] == [
        ("late", "text", True),
        ("bad", "payload", True),
    ]
    assert "PNG: chunk zTXt after IDAT has a bad CRC" in warnings


def test_iter_chunks_rejects_non_png_and_stops_cleanly() -> None:
    with pytest.raises(ValueError):
        list(pngchunks.iter_chunks(b"GIF89a"))
    data = tiny_png()
    for cut in range(8, len(data)):
        warnings: list[str] = []
        chunks = list(pngchunks.iter_chunks(data[:cut], warnings))
        assert all(c.type in ("IHDR", "IDAT") for c in chunks)
        assert warnings
    garbage = data[:33] + b"\x00\x00\x00\x04\x00\x01\x02\x03" + data[33:]
    warnings = []
    assert [c.type for c in pngchunks.iter_chunks(garbage, warnings)] == ["IHDR"]
    assert "garbage" in warnings[0]


def test_iter_chunks_is_bounded() -> None:
    many = png_with_chunks_after_idat(*[png_chunk(b"tEXt", b"k\x00v")] * 10_050)
    warnings: list[str] = []
    chunks = list(pngchunks.iter_chunks(many, warnings))
    assert len(chunks) == pngchunks.MAX_CHUNKS
    assert "more than" in warnings[0]


def test_ztxt_bomb_is_capped() -> None:
    bomb = zlib.compress(b"A" * (pngchunks.MAX_TEXT_BYTES + 1_000_000), 9)
    data = png_with_chunks_after_idat(png_chunk(b"zTXt", b"parameters\x00\x00" + bomb))
    texts = pngchunks.text_chunks(data)
    assert len(texts[0].text) == pngchunks.MAX_TEXT_BYTES
    assert texts[0].truncated is True

    result = extract_metadata(data, "PNG", None)
    entry = result["png_text"][0]
    assert len(entry["text"]) == metadata.MAX_STRING
    assert entry["truncated"] is True


def test_many_small_ztxt_bombs_share_one_budget() -> None:
    bomb = png_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(bytes(1024 * 1024), 9))
    data = png_with_chunks_after_idat(*[bomb] * 200)  # 200 MiB if all were inflated
    texts = pngchunks.text_chunks(data, max_total=8 * 1024 * 1024)
    assert sum(len(t.text) for t in texts) == 8 * 1024 * 1024
    assert texts[-1].text == "" and texts[-1].truncated

    start = time.perf_counter()
    result = extract_metadata(data, "PNG", None)
    assert time.perf_counter() - start < 1.0
    assert len(result["png_text"]) == 200
    assert has_warning(result, "budget used up")


def test_broken_text_chunks_are_skipped() -> None:
    data = png_with_chunks_after_idat(
        png_chunk(b"tEXt", b"no separator"),
        png_chunk(b"zTXt", b"k\x00\x00not zlib"),
        png_chunk(b"zTXt", b"k\x00\x07" + zlib.compress(b"x")),
        png_chunk(b"iTXt", b"k\x00\x00\x00"),
        png_chunk(b"iTXt", b"cut\x00\x01\x00en\x00\x00" + zlib.compress(b"long text")[:-6]),
        png_chunk(b"tEXt", b"good\x00value"),
    )
    result = extract_metadata(data, "PNG", None)
    assert [t["keyword"] for t in result["png_text"]] == ["cut", "good"]
    # A cut-short compressed stream gives what could be inflated, marked as truncated.
    assert "long text".startswith(result["png_text"][0]["text"])
    assert result["png_text"][0]["truncated"] is True
    assert result["png_text"][1]["text"] == "value"
    assert sum("unreadable" in w for w in result["warnings"]) == 4


def test_png_xmp_with_a_dtd_is_refused() -> None:
    packet = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f"<x:xmpmeta {XMP_NS[0]}><rdf:RDF {XMP_NS[1]}>"
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="&lol2;"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG", pnginfo=info)
    result = extract_metadata(buffer.getvalue(), "PNG", None)
    assert "xmp" not in result
    assert has_warning(result, "XMP", "DTD")


# ---------------------------------------------------------------------------------------------
# Synthetic JPEG and WebP files
# ---------------------------------------------------------------------------------------------


def make_exif(user_comment: bytes | None = None, **ifd0: str) -> Image.Exif:
    exif = Image.Exif()
    names = {"make": 0x010F, "model": 0x0110, "software": 0x0131, "description": 0x010E}
    for key, value in ifd0.items():
        exif[names[key]] = value
    if user_comment is not None:
        exif.get_ifd(0x8769)[0x9286] = user_comment
    return exif


def test_jpeg_exif_written_by_pillow(tmp_path: Path) -> None:
    prompt = "ink wash heron\nSteps: 30, Sampler: DPM++ 2M, 墨"
    exif = make_exif(
        b"UNICODE\x00" + prompt.encode("utf-16-le"), make="InksealCam", software="Krita"
    )
    path = tmp_path / "made.jpg"
    Image.new("RGB", (4, 4), "white").save(path, exif=exif)
    result = extract_metadata(path.read_bytes(), "JPEG", Image.open(path))
    assert result["exif"]["Image Make"] == "InksealCam"
    assert result["exif"]["Image Software"] == "Krita"
    assert result["exif"]["EXIF UserComment"] == prompt
    assert result["jpeg_segments"] == ["APP0:JFIF", "APP1:Exif"]
    assert result["warnings"] == []


def test_long_user_comment_is_bounded() -> None:
    text = "Steps: 20, " * 20_000  # 220,000 characters, too long for a JPEG APP1 segment
    exif = make_exif(b"UNICODE\x00" + text.encode("utf-16-be"))
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG", exif=exif.tobytes())
    result = extract_metadata(buffer.getvalue(), "PNG", None)
    comment = result["exif"]["EXIF UserComment"]
    assert len(comment) == metadata.MAX_STRING
    assert text.startswith(comment)
    assert result["warnings"] == []


def test_webp_with_exif_and_xmp(tmp_path: Path) -> None:
    exif = make_exif(b"ASCII\x00\x00\x00Steps: 12", make="WebCam")
    xmp = xmp_packet(
        "<xmp:CreatorTool>Inkseal</xmp:CreatorTool>"
        "<Iptc4xmpExt:DigitalSourceType>"
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        "</Iptc4xmpExt:DigitalSourceType>",
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"',
    )
    path = tmp_path / "made.webp"
    Image.new("RGB", (4, 4), "blue").save(path, "WEBP", exif=exif.tobytes(), xmp=xmp)
    data = path.read_bytes()
    for image in (Image.open(path), None):
        result = extract_metadata(data, "WEBP", image)
        assert result["exif"]["Image Make"] == "WebCam"
        assert result["exif"]["EXIF UserComment"] == "Steps: 12"
        assert result["xmp"]["xmp:CreatorTool"] == "Inkseal"
        assert result["xmp"]["Iptc4xmpExt:DigitalSourceType"].endswith("trainedAlgorithmicMedia")
        assert {"EXIF", "XMP "} <= set(result["webp_chunks"])


def test_jpeg_billion_laughs_xmp_is_refused() -> None:
    packet = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        + b"".join(
            f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n'.encode()
            for i in range(1, 10)
        ).replace(b"&lol0;", b"&lol;")
        + b"]>\n<x:xmpmeta xmlns:x='adobe:ns:meta/'>&lol9;</x:xmpmeta>"
    )
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    start = time.perf_counter()
    result = extract_metadata(data, "JPEG", None)
    assert time.perf_counter() - start < 0.5
    assert "xmp" not in result
    assert has_warning(result, "XMP", "refused")


def test_external_entity_is_refused() -> None:
    packet = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/secret">]>'
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&e;</x:xmpmeta>"
    )
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    result = extract_metadata(data, "JPEG", None)
    assert "xmp" not in result
    assert has_warning(result, "XMP", "refused")


def test_xmp_not_well_formed_gives_line() -> None:
    packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n<rdf:RDF>\n<oops></x:xmpmeta>"
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    result = extract_metadata(data, "JPEG", None)
    assert any(w.startswith("XMP: not well-formed (line") for w in result["warnings"])


def test_xmp_shapes_and_bounds() -> None:
    body = (
        "<dc:subject><rdf:Bag><rdf:li>one</rdf:li><rdf:li>two</rdf:li></rdf:Bag></dc:subject>"
        '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Title</rdf:li></rdf:Alt></dc:title>'
        '<my:Struct rdf:parseType="Resource"><my:Inner>deep</my:Inner></my:Struct>'
        '<my:Link rdf:resource="https://example.com/x"/>'
        "<my:Long>"
        + "x" * 70_000
        + "</my:Long>"
        + "<my:Nest rdf:parseType='Resource'>" * 12
        + "<my:Leaf>lost</my:Leaf>"
        + "</my:Nest>" * 12
        + "<my:Many><rdf:Seq>"
        + "<rdf:li>i</rdf:li>" * 3_000
        + "</rdf:Seq></my:Many>"
    )
    packet = xmp_packet(
        body,
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:my="http://example.com/ns/mine/" '
        'my:Attr="from an attribute"',
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode(), zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG", pnginfo=info)
    result = extract_metadata(buffer.getvalue(), "PNG", None)
    xmp = result["xmp"]
    assert xmp["dc:subject"] == ["one", "two"]
    assert xmp["dc:title"] == ["Title"]
    assert xmp["my:Struct/my:Inner"] == "deep"
    assert xmp["my:Link"] == "https://example.com/x"
    assert xmp["my:Attr"] == "from an attribute"
    assert len(xmp["my:Long"]) == metadata.MAX_STRING
    assert not any("Leaf" in key for key in xmp)
    assert len(xmp["my:Many"]) < metadata.MAX_XMP_PROPERTIES
    assert has_warning(result, "nested deeper")
    assert has_warning(result, "more than 2000 values")


def test_deeply_nested_descriptions_are_cut() -> None:
    nested = "<rdf:Description>" * 1_500
    closing = "</rdf:Description>" * 1_500
    packet = xmp_packet(
        nested + "<my:Leaf>x</my:Leaf>" + closing + "<my:Top>y</my:Top>",
        'xmlns:my="http://example.com/ns/mine/"',
    )
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    result = extract_metadata(data, "JPEG", None)
    assert result["xmp"] == {"my:Top": "y"}
    assert has_warning(result, "nested deeper")


def test_unknown_namespace_uses_declared_prefix() -> None:
    packet = xmp_packet("<sd:Prompt>a heron</sd:Prompt>", 'xmlns:sd="http://example.org/sd/1.0/"')
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))
    assert extract_metadata(data, "JPEG", None)["xmp"] == {"sd:Prompt": "a heron"}


def extended_xmp_segments(extended: bytes, guid: str, parts: int) -> list[tuple[int, bytes]]:
    size = -(-len(extended) // parts)
    segments = []
    for offset in range(0, len(extended), size):
        header = b"http://ns.adobe.com/xmp/extension/\x00" + guid.encode()
        header += struct.pack(">II", len(extended), offset)
        segments.append((0xE1, header + extended[offset : offset + size]))
    return segments


@pytest.mark.parametrize("good_digest", [True, False])
def test_extended_xmp_synthetic(good_digest: bool) -> None:
    extended = xmp_packet(
        "<my:Big>" + "b" * 5_000 + "</my:Big>", 'xmlns:my="http://example.com/ns/mine/"'
    )
    digest = hashlib.md5(extended).hexdigest().upper()
    guid = digest if good_digest else "0" * 32
    main = xmp_packet(
        f"<xmpNote:HasExtendedXMP>{guid}</xmpNote:HasExtendedXMP>",
        'xmlns:xmpNote="http://ns.adobe.com/xmp/note/"',
    )
    segments = extended_xmp_segments(extended, guid, parts=3)
    segments.reverse()
    data = jpeg_with_segments((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + main), *segments)
    result = extract_metadata(data, "JPEG", None)
    assert result["xmp"]["my:Big"] == "b" * 5_000
    assert result["xmp_size"] == len(main) + len(extended)
    assert has_warning(result, "checksum") is not good_digest


def test_jpeg_segment_names_and_truncation() -> None:
    data = jpeg_with_segments(
        (0xE2, b"ICC_PROFILE\x00\x01\x01" + bytes(20)),
        (0xE2, b"MPF\x00MM\x00*"),
        (0xEB, b"JP\x00\x01" + bytes(10)),
        (0xED, b"Photoshop 3.0\x00"),
        (0xE5, b"\x00\x01binary"),
        (0xFE, "a comment ✓".encode()),
    )
    result = extract_metadata(data, "JPEG", None)
    assert result["jpeg_segments"] == [
        "APP2:ICC_PROFILE",
        "APP2:MPF",
        "APP11:JUMBF",
        "APP13:Photoshop",
        "APP5",
        "COM",
        "APP0:JFIF",
    ]
    assert result["comments"] == ["a comment ✓"]
    assert result["icc_profile"] is True
    cut = extract_metadata(data[:30], "JPEG", None)
    assert has_warning(cut, "JPEG", "truncated")


def test_exifread_logging_is_captured(caplog: pytest.LogCaptureFixture) -> None:
    # IFD0 with one ASCII entry (Make) whose bytes are not UTF-8: exifread logs a warning.
    tiff = b"MM\x00*\x00\x00\x00\x08\x00\x01" + struct.pack(">HHII", 0x010F, 2, 5, 26)
    tiff += b"\x00\x00\x00\x00" + b"\xc9cole\x00"
    data = jpeg_with_segments((0xE1, b"Exif\x00\x00" + tiff))
    with caplog.at_level(logging.DEBUG):
        result = extract_metadata(data, "JPEG", None)
    assert not [r for r in caplog.records if r.name.startswith("exifread")]
    assert has_warning(result, "EXIF: Possibly corrupted field Make")
    assert result["exif"]["Image Make"] == "\xc9cole"
    # Outside our calls exifread's logger is left alone.
    with caplog.at_level(logging.WARNING, logger="exifread"):
        logging.getLogger("exifread").warning("outside")
    assert [r.getMessage() for r in caplog.records if r.name == "exifread"] == ["outside"]


def test_sections_fail_independently(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(metadata, "_read_iptc", explode)
    result = read_corpus("iptc-xmp__iptc-reference-2021.jpg", with_image=False)
    assert "iptc" not in result
    assert result["xmp"] and result["exif"]
    assert "IPTC: could not be read (RuntimeError: boom)" in result["warnings"]


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP", b"GIF89a", b"II*\x00"],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF", "AVIF", "?"])
def test_tiny_inputs(data: bytes, fmt: str) -> None:
    result = extract_metadata(data, fmt, None)
    json.dumps(result, allow_nan=False)
    assert isinstance(result["warnings"], list)


# ---------------------------------------------------------------------------------------------
# Decoders
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        (b"ASCII\x00\x00\x00Steps: 20\x00\x00", ">", "Steps: 20"),
        (b"UNICODE\x00" + "Steps: 20".encode("utf-16-be"), ">", "Steps: 20"),
        (b"UNICODE\x00" + "Steps: 20".encode("utf-16-le"), "<", "Steps: 20"),
        # The text's own zero bytes win over the container's byte order.
        (b"UNICODE\x00" + "Steps: 20".encode("utf-16-le"), ">", "Steps: 20"),
        (b"UNICODE\x00" + "Steps: 20".encode("utf-16-be"), "<", "Steps: 20"),
        # Text without ASCII gives no hint: the container's byte order decides.
        (b"UNICODE\x00" + "水墨画".encode("utf-16-le"), "<", "水墨画"),
        (b"UNICODE\x00" + "水墨画".encode("utf-16-be"), ">", "水墨画"),
        (b"UNICODE\x00" + "\ufeff墨".encode("utf-16-le"), ">", "墨"),
        (b"JIS\x00\x00\x00\x00\x00" + "墨".encode("shift_jis"), ">", "墨"),
        (b"\x00" * 8 + "café".encode(), ">", "café"),
        ("no header at all ✓".encode(), ">", "no header at all ✓"),
        (b"\x00" * 8 + b"        ", ">", ""),
    ],
)
def test_decode_user_comment(raw: bytes, order: str, expected: str) -> None:
    assert decode_user_comment(raw, order) == expected


def iim(record: int, number: int, value: bytes) -> bytes:
    return bytes([0x1C, record, number]) + struct.pack(">H", len(value)) + value


def test_parse_iptc() -> None:
    raw = (
        iim(1, 90, b"\x1b%G")
        + iim(2, 0, b"\x00\x04")
        + iim(2, 5, "Héron".encode())
        + iim(2, 25, b"ink")
        + iim(2, 25, b"wash")
        + iim(2, 80, b"A. Painter")
        + iim(2, 80, b"B. Painter")
        + iim(2, 240, b"custom")
        + bytes([0x1C, 2, 120, 0x80, 0x02, 0x00, 0x05])
        + b"Long!"
    )
    assert parse_iptc(raw) == {
        "RecordVersion": 4,
        "ObjectName": "Héron",
        "Keywords": ["ink", "wash"],
        "By-line": ["A. Painter", "B. Painter"],
        "2:240": "custom",
        "Caption-Abstract": "Long!",
    }


def test_parse_iptc_keeps_only_what_it_is_asked_for() -> None:
    raw = iim(2, 5, b"Heron") + iim(2, 110, b"AI generated") + iim(2, 25, b"a") + iim(2, 25, b"b")
    assert parse_iptc(raw, keep={"Credit", "Keywords"}) == {
        "Credit": "AI generated",
        "Keywords": ["a", "b"],
    }
    warnings: list[str] = []
    assert parse_iptc(raw[:-1], warnings.append, keep={"Credit"}) == {"Credit": "AI generated"}
    assert warnings == ["IPTC: dataset 2:25 is truncated"]  # the walk is the same


def test_parse_iptc_latin1_and_damage() -> None:
    warnings: list[str] = []
    raw = iim(2, 5, "Héron".encode("latin-1")) + iim(2, 90, b"Paris")[:-2] + b"\x00"
    assert parse_iptc(raw[:-1], warnings.append) == {"ObjectName": "Héron", "City": "Par"}
    assert warnings == ["IPTC: dataset 2:90 is truncated"]
    warnings.clear()
    assert parse_iptc(iim(2, 5, b"x") + b"junk!", warnings.append) == {"ObjectName": "x"}
    assert warnings == ["IPTC: garbage at offset 6"]


def test_scan_checks_the_crc_of_metadata_chunks_only() -> None:
    # A bad CRC on image data (IDAT) and on a text chunk. Import's reading reports both;
    # scan's (complete=False), which reads no pixel data, checks the text chunk's only.
    data = bytearray(png_with_chunks_after_idat(png_chunk(b"tEXt", b"Comment\x00hello", crc=0)))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length : idat + 8 + length] = b"\x00\x00\x00\x00"
    full = extract_metadata(bytes(data), "PNG", None)["warnings"]
    light = extract_metadata(bytes(data), "PNG", None, complete=False)["warnings"]
    assert "PNG: bad CRC in chunk(s) IDAT, tEXt after IDAT" in full
    assert "PNG: bad CRC in chunk(s) tEXt after IDAT" in light
