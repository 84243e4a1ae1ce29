"""Process files (Krita, OpenRaster, Procreate, Photoshop, Clip Studio, video) by content,
and the archive defences: every file here is made in the test with zipfile, Pillow or struct."""

from __future__ import annotations

import io
import plistlib
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any

import pytest
from PIL import Image

from inkseal.library import processfiles
from inkseal.library.processfiles import (
    ProcessFile,
    ProcessFileError,
    extension_from_name,
    identify_process_file,
)

# --- builders ---------------------------------------------------------------------------------


def png(size: tuple[int, int] = (32, 24), colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "JPEG")
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, fmt)
    return out.getvalue()


Members = Iterable[tuple[str, bytes]]


def make_zip(members: Members, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members:
            # Krita and OpenRaster store their mimetype first and uncompressed.
            zf.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else method)
    return out.getvalue()


KRITA_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE DOC PUBLIC '-//KDE//DTD krita 2.0//EN' 'http://www.calligra.org/DTDs/krita-2.0.dtd'>
<DOC xmlns="http://www.calligra.org/DTDs/krita" syntaxVersion="2.0" kritaVersion="5.2.2">
 <IMAGE width="640" height="480" name="Unnamed" mime="application/x-kra">
  <layers>
   <layer name="Background" nodetype="paintlayer"/>
   <layer name="Group" nodetype="grouplayer"><layers><layer name="Ink"/></layers></layer>
  </layers>
 </IMAGE>
</DOC>
"""

ORA_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<image version="0.0.5" w="300" h="200">
 <stack><layer name="a" src="data/a.png"/><stack><layer name="b" src="data/b.png"/></stack></stack>
</image>
"""


def krita_members(
    *, merged: bytes | None = None, preview: bytes | None = None, xml: bytes | None = KRITA_XML
) -> list[tuple[str, bytes]]:
    members = [("mimetype", b"application/x-krita")]
    if xml is not None:
        members.append(("maindoc.xml", xml))
    if merged is not None:
        members.append(("mergedimage.png", merged))
    if preview is not None:
        members.append(("preview.png", preview))
    members.append(("Unnamed/layers/layer1", b"\x00" * 300))
    return members


def krita(**kwargs: Any) -> bytes:
    kwargs.setdefault("merged", png((64, 48)))
    return make_zip(krita_members(**kwargs))


def procreate_archive(size: str = "{1536, 2048}", layers: int = 2) -> bytes:
    uid = plistlib.UID
    objects: list[Any] = [
        "$null",
        {"size": uid(2), "layers": uid(3), "$class": uid(4)},
        size,
        {"NS.objects": [uid(5)] * layers},
        {"$classname": "SilicaDocument"},
        {"name": "Layer"},
    ]
    archive = {"$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)}, "$objects": objects}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def psd(
    width: int = 5, height: int = 3, *, version: int = 1, layer_count: int | None = None
) -> bytes:
    """A minimal RGB Photoshop file: header, empty sections, a raw (uncompressed) composite."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", version, 3, height, width, 8, 3)
    sections = struct.pack(">II", 0, 0)  # colour mode data, image resources
    word = ">Q" if version == 2 else ">I"  # PSB widens the section lengths
    if layer_count is None:
        sections += struct.pack(word, 0)
    else:  # a layer-info block with only its count: enough for the fact, Pillow skips it
        info = struct.pack(">h", -layer_count) + b"\x00\x00"
        lengths = struct.pack(word, struct.calcsize(word) + len(info)) + struct.pack(
            word, len(info)
        )
        sections += lengths + info
    planes = bytes([200]) * (width * height) + bytes([10]) * (width * height) * 2
    return header + sections + struct.pack(">H", 0) + planes


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + struct.pack(">I", 0) + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 16


def ebml(doctype: bytes) -> bytes:
    elements = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(elements)]) + elements + b"\x18\x53\x80\x67"


def _central_entries(buf: bytes) -> dict[str, int]:
    """Offsets of the central-directory entries of a zip without an archive comment."""
    count, _size, offset = struct.unpack_from("<HII", buf, len(buf) - 22 + 10)
    entries: dict[str, int] = {}
    pos = offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<3H", buf, pos + 28)
        entries[buf[pos + 46 : pos + 46 + name_len].decode()] = pos
        pos += 46 + name_len + extra_len + comment_len
    return entries


def patch_member(
    data: bytes, name: str, *, file_size: int | None = None, crc: int | None = None, flags: int = 0
) -> bytes:
    """Rewrite what both headers of one member declare (sizes, CRC, flag bits)."""
    buf = bytearray(data)
    central = _central_entries(data)[name]
    (local,) = struct.unpack_from("<I", buf, central + 42)
    # Offsets of the flag bits, CRC-32 and uncompressed size in the local and central headers.
    for flag_at, crc_at, usize_at in (
        (local + 6, local + 14, local + 22),
        (central + 8, central + 16, central + 24),
    ):
        struct.pack_into("<H", buf, flag_at, struct.unpack_from("<H", buf, flag_at)[0] | flags)
        if crc is not None:
            struct.pack_into("<I", buf, crc_at, crc)
        if file_size is not None:
            struct.pack_into("<I", buf, usize_at, file_size)
    return bytes(buf)


def opened(preview: bytes | None) -> tuple[int, int]:
    assert preview is not None
    with Image.open(io.BytesIO(preview)) as image:
        image.load()
        return image.size


def refused(data: bytes, name: str = "x.kra") -> str:
    with pytest.raises(ProcessFileError) as caught:
        identify_process_file(data, name)
    message = str(caught.value)
    assert "\n" not in message and message
    return message


# --- each kind --------------------------------------------------------------------------------


def test_krita_document() -> None:
    merged = png((64, 48))
    result = identify_process_file(krita(merged=merged), "art.kra")
    assert isinstance(result, ProcessFile)
    assert (result.kind, result.label) == ("krita", "Krita document")
    assert (result.media_type, result.extension) == ("application/x-krita", "kra")
    assert result.preview == merged and opened(result.preview) == (64, 48)
    assert result.facts == {"width": 640, "height": 480, "layers": 3}
    assert result.warnings == ()


def test_kind_comes_from_content_not_name() -> None:
    result = identify_process_file(krita(), "renamed.zip")
    assert result is not None and (result.kind, result.extension) == ("krita", "kra")


def test_krita_without_merged_image_falls_back_to_preview_png() -> None:
    result = identify_process_file(krita(merged=None, preview=png((16, 12))), "a.kra")
    assert result is not None and opened(result.preview) == (16, 12)
    assert result.warnings == (
        "the merged image inside the Krita file is missing; using its small preview",
    )


def test_krita_without_any_image_warns_and_has_no_preview() -> None:
    result = identify_process_file(make_zip(krita_members()), "a.kra")
    assert result is not None and result.kind == "krita" and result.preview is None
    assert result.warnings == ("the merged image inside the Krita file is missing; no preview",)


def test_preview_that_is_not_an_image_is_dropped_with_a_warning() -> None:
    result = identify_process_file(krita(merged=b"<html>not a png</html>"), "a.kra")
    assert result is not None and result.preview is None
    assert result.warnings == (
        "mergedimage.png inside the Krita file is not a PNG or JPEG image; no preview",
    )
    damaged = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    result = identify_process_file(krita(merged=damaged), "a.kra")
    assert result is not None and result.preview is None
    assert "cannot be read" in result.warnings[0]


@pytest.mark.parametrize(
    ("xml", "warning"),
    [
        (b"<DOC><IMAGE width='640'", "is not well-formed XML"),
        (
            b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<DOC><IMAGE width="&b;" height="1"/></DOC>',
            "was refused (EntitiesForbidden)",
        ),
        (b"<DOC><IMAGE width='-4' height='wide'/></DOC>", "gives no usable document size"),
    ],
    ids=["malformed", "entities", "nonsense-size"],
)
def test_bad_maindoc_xml_only_loses_the_size(xml: bytes, warning: str) -> None:
    result = identify_process_file(krita(xml=xml), "a.kra")
    assert result is not None and result.kind == "krita" and result.preview is not None
    assert "width" not in result.facts
    assert len(result.warnings) == 1 and warning in result.warnings[0]


def test_oversized_xml_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processfiles, "MAX_METADATA_BYTES", 100)
    result = identify_process_file(krita(), "a.kra")
    assert result is not None and "width" not in result.facts
    assert result.warnings == (
        "maindoc.xml in the Krita file is over 100 bytes; document size unknown",
    )


def test_openraster_document() -> None:
    merged = png((30, 20))
    data = make_zip(
        [
            ("mimetype", b"image/openraster"),
            ("stack.xml", ORA_XML),
            ("mergedimage.png", merged),
            ("Thumbnails/thumbnail.png", png((15, 10))),
            ("data/a.png", png((30, 20))),
        ]
    )
    result = identify_process_file(data, "sketch.ora")
    assert result is not None
    assert (result.kind, result.label) == ("openraster", "OpenRaster document")
    assert (result.media_type, result.extension) == ("image/openraster", "ora")
    assert result.preview == merged and opened(result.preview) == (30, 20)
    assert result.facts == {"width": 300, "height": 200, "layers": 2}
    assert result.warnings == ()


def test_openraster_falls_back_to_its_thumbnail() -> None:
    data = make_zip(
        [
            ("mimetype", b"image/openraster"),
            ("stack.xml", ORA_XML),
            ("Thumbnails/thumbnail.png", png((15, 10))),
        ]
    )
    result = identify_process_file(data, "sketch.ora")
    assert result is not None and opened(result.preview) == (15, 10)
    assert result.warnings == (
        "the merged image inside the OpenRaster file is missing; using its thumbnail",
    )


def test_procreate_document_counts_timelapse_segments() -> None:
    thumb = png((40, 30))
    data = make_zip(
        [
            ("Document.archive", procreate_archive()),
            ("QuickLook/Thumbnail.png", thumb),
            ("video/segments/segment-1.mp4", ftyp(b"isom")),
            ("video/segments/segment-2.mp4", ftyp(b"isom")),
            ("Video/Segments/SEGMENT-3.MP4", ftyp(b"isom")),
            ("video/segments/notes.txt", b"not a segment"),
            ("video/segments/old/segment-0.mp4", b"nested: not counted"),
            ("1A2B3C/0~0.chunk", b"\x00" * 100),
        ]
    )
    result = identify_process_file(data, "painting.procreate")
    assert result is not None
    assert (result.kind, result.label) == ("procreate", "Procreate document")
    assert (result.media_type, result.extension) == ("application/x-procreate", "procreate")
    assert result.preview == thumb and opened(result.preview) == (40, 30)
    assert result.facts == {"timelapse_segments": 3, "width": 1536, "height": 2048, "layers": 2}
    assert result.warnings == ()


def test_procreate_with_jpeg_thumbnail_and_unreadable_archive() -> None:
    thumb = jpeg((20, 10))
    data = make_zip([("Document.archive", b"garbage"), ("QuickLook/Thumbnail.jpg", thumb)])
    result = identify_process_file(data, "p.procreate")
    assert result is not None and result.kind == "procreate"
    assert opened(result.preview) == (20, 10)
    assert result.facts == {"timelapse_segments": 0}
    assert result.warnings == (
        "Document.archive in the Procreate file cannot be read; size unknown",
    )


def test_procreate_without_thumbnail_warns() -> None:
    result = identify_process_file(make_zip([("Document.archive", procreate_archive())]), "p")
    assert result is not None and result.kind == "procreate" and result.preview is None
    assert result.warnings == ("the thumbnail inside the Procreate file is missing; no preview",)


def test_photoshop_document_opens_in_pillow() -> None:
    data = psd(5, 3)
    result = identify_process_file(data, "layers.psd")
    assert result is not None
    assert (result.kind, result.label) == ("photoshop", "Photoshop document")
    assert (result.media_type, result.extension) == ("image/vnd.adobe.photoshop", "psd")
    assert result.preview == data and opened(result.preview) == (5, 3)
    with Image.open(io.BytesIO(data)) as image:
        assert image.convert("RGB").getpixel((0, 0)) == (200, 10, 10)
    assert result.facts == {"width": 5, "height": 3}
    assert result.warnings == ()


def test_photoshop_layer_count_from_the_layer_section() -> None:
    result = identify_process_file(psd(4, 4, layer_count=3), "a.psd")
    assert result is not None and result.facts == {"width": 4, "height": 4, "layers": 3}
    assert opened(result.preview) == (4, 4)


def test_photoshop_large_format_has_no_preview() -> None:
    result = identify_process_file(psd(7, 9, version=2, layer_count=2), "big.psb")
    assert result is not None and result.kind == "photoshop" and result.extension == "psb"
    assert result.preview is None and result.facts == {"width": 7, "height": 9, "layers": 2}
    assert result.warnings == ("large-format Photoshop (PSB) files have no preview here",)


def test_photoshop_layer_section_that_does_not_fit_is_ignored() -> None:
    data = psd(4, 4, layer_count=3)
    at = 26 + 8  # the layer-and-mask section length
    data = data[:at] + struct.pack(">I", 1 << 30) + data[at + 4 :]
    result = identify_process_file(data, "a.psd")
    assert result is not None and result.facts == {"width": 4, "height": 4}


@pytest.mark.parametrize(
    "data",
    [
        b"8BPS",
        b"8BPS" + struct.pack(">H6xHIIHH", 3, 3, 4, 4, 8, 3),
        b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 0, 4, 8, 3),
        b"8BPS" + struct.pack(">H6xHIIHH", 1, 0, 4, 4, 8, 3),
        b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 4, 4, 7, 3),
    ],
    ids=["cut", "version", "zero-height", "no-channels", "depth"],
)
def test_photoshop_with_invalid_header_is_refused(data: bytes) -> None:
    assert refused(data, "a.psd").startswith("not a valid Photoshop file")


def test_photoshop_with_unreadable_composite_has_no_preview() -> None:
    data = psd(4, 4)
    data = data[:22] + struct.pack(">H", 16) + data[24:]  # 16 bits: Pillow cannot open it
    result = identify_process_file(data, "a.psd")
    assert result is not None and result.kind == "photoshop" and result.preview is None
    assert "cannot be read" in result.warnings[0]


def test_clip_studio_file() -> None:
    result = identify_process_file(b"CSFCHUNK" + b"\x00" * 40, "x.clip")
    assert result == ProcessFile(
        kind="clip-studio",
        label="Clip Studio Paint file",
        media_type="application/x-clip-studio",
        extension="clip",
        preview=None,
    )


@pytest.mark.parametrize(
    ("data", "label", "media_type", "extension"),
    [
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "Video (MP4)", "video/mp4", "mp4"),
        (ftyp(b"mp42", b"isom"), "Video (MP4)", "video/mp4", "mp4"),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), "Video (MP4)", "video/mp4", "mp4"),
        (ftyp(b"qt  ", b"qt  "), "Video (QuickTime)", "video/quicktime", "mov"),
        (ebml(b"webm"), "Video (WebM)", "video/webm", "webm"),
        (ebml(b"matroska"), "Video (Matroska)", "video/x-matroska", "mkv"),
        (b"\x1a\x45\xdf\xa3\x00", "Video (Matroska)", "video/x-matroska", "mkv"),
    ],
    ids=["isom", "mp42", "m4v", "mov", "webm", "mkv", "ebml-damaged"],
)
def test_videos(data: bytes, label: str, media_type: str, extension: str) -> None:
    result = identify_process_file(data, "timelapse.bin")
    assert result is not None
    assert (result.kind, result.label) == ("video", label)
    assert (result.media_type, result.extension, result.preview) == (media_type, extension, None)


@pytest.mark.parametrize(
    "data",
    [
        image_bytes("JPEG"),
        image_bytes("PNG"),
        image_bytes("WEBP"),
        image_bytes("GIF"),
        image_bytes("TIFF"),
        image_bytes("BMP"),
        b"MM\x00*" + b"\x00" * 20,
        ftyp(b"heic", b"mif1", b"heic"),
        ftyp(b"mif1", b"mif1", b"heix"),
        ftyp(b"avif", b"avif", b"mif1", b"miaf"),
        ftyp(b"avis", b"avis", b"msf1"),
        ftyp(b"msf1", b"hevc"),
    ],
    ids=["jpeg", "png", "webp", "gif", "tiff", "bmp", "tiff-mm", "heic", "heif", "avif", "avis"]
    + ["hevc"],
)
def test_plain_images_are_left_to_the_image_pipeline(data: bytes) -> None:
    assert identify_process_file(data, "photo.psd") is None


@pytest.mark.parametrize(
    ("data", "name", "extension"),
    [
        (b"hello, this is plain text", "notes.TXT", "txt"),
        (b"", "empty", "bin"),
        (b"\x00\x01\x02garbage", "weird.na me", "bin"),
        (b"BM but not a bitmap at all", "C:\\scans\\scan.bmp", "bmp"),
        (ftyp(b"crx ", b"isom"), "raw.CR3", "cr3"),
        (ftyp(b"M4A ", b"isom"), "song.m4a", "m4a"),
        (make_zip([("readme.txt", b"hi")]), "bundle.zip", "zip"),
        (make_zip([("mimetype", b"application/epub+zip")]), "book.epub", "epub"),
        (make_zip([]), "empty.zip", "zip"),
    ],
    ids=["text", "empty", "unsafe-ext", "not-bmp", "cr3", "m4a", "zip", "epub", "empty-zip"],
)
def test_anything_else_is_other(data: bytes, name: str, extension: str) -> None:
    result = identify_process_file(data, name)
    assert result == ProcessFile(
        kind="other",
        label="File",
        media_type="application/octet-stream",
        extension=extension,
        preview=None,
    )


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("a.PNG", "png"),
        ("dir.d/file", "bin"),
        ("archive.tar.gz", "gz"),
        (".bashrc", "bin"),
        ("x.abcdefghijk", "bin"),
        ("x.", "bin"),
        ("x.é", "bin"),
        ("../../x.sh", "sh"),
    ],
)
def test_extension_from_name(name: str, extension: str) -> None:
    assert extension_from_name(name) == extension


# --- archive safety ---------------------------------------------------------------------------


def test_zip_bomb_by_declared_size() -> None:
    data = patch_member(krita(), "mergedimage.png", file_size=int(3.2 * 1024**3))
    message = refused(data)
    assert message.startswith("refused as a zip bomb: mergedimage.png would expand to 3.2 GiB")


def test_member_over_the_limit_is_refused_even_at_a_sane_ratio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merged = png((64, 48))
    monkeypatch.setattr(processfiles, "MAX_MEMBER_BYTES", len(merged) - 1)
    message = refused(make_zip(krita_members(merged=merged), zipfile.ZIP_STORED))
    expected = f"would expand to {len(merged)} bytes, over the {len(merged) - 1} bytes limit"
    assert message == f"refused: mergedimage.png {expected}"


def test_zip_bomb_by_compression_ratio() -> None:
    zeros = bytes(16 * 1024 * 1024)  # 16 MiB, under the 64 MiB cap, deflates ~1000:1
    message = refused(make_zip(krita_members(merged=zeros)))
    assert message.startswith("refused as a zip bomb: mergedimage.png would expand to 16 MiB")


def test_zip_bomb_by_total_declared_size() -> None:
    members = [(f"Unnamed/layers/big{i}", b"\x00" * 10) for i in range(3)]
    data = make_zip([*krita_members(merged=png()), *members])
    for name, _ in members:
        data = patch_member(data, name, file_size=int(3.5 * 1024**3))
    assert refused(data) == "refused as a zip bomb: the archive would expand to 10.5 GiB"


def test_lying_header_yields_no_more_than_it_declares() -> None:
    """Real bytes: the deflate stream holds a PNG and then 8 MiB of zeros, but both headers
    declare only the PNG's size (with its CRC). Nothing past the declared size comes out."""
    merged = png((12, 8))
    stream = merged + bytes(8 * 1024 * 1024)
    data = make_zip(krita_members(merged=stream))
    data = patch_member(data, "mergedimage.png", file_size=len(merged), crc=zlib.crc32(merged))
    result = identify_process_file(data, "a.kra")
    assert result is not None and result.preview == merged and opened(result.preview) == (12, 8)
    # With the honest CRC of the whole stream left in place, the mismatch is caught instead.
    data = make_zip(krita_members(merged=stream))
    data = patch_member(data, "mergedimage.png", file_size=len(merged))
    assert refused(data).startswith("damaged archive: mergedimage.png: BadZipFile: Bad CRC-32")


class _EndlessStream(io.RawIOBase):
    """A member stream that never ends, as a decompressor fed a lying header could behave."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        view[:] = b"\x00" * len(view)
        self.served += len(view)
        return len(view)


def test_streaming_cap_stops_a_member_that_never_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """zipfile itself stops at the declared size; this proves the module's own cap holds
    even when the stream does not, by handing it a member that yields zeros forever."""
    data = krita(merged=png())
    cap = 2 * 1024 * 1024
    monkeypatch.setattr(processfiles, "MAX_MEMBER_BYTES", cap)
    streams: list[_EndlessStream] = []
    real_open = zipfile.ZipFile.open

    def fake_open(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        if member != "mergedimage.png":
            return real_open(self, name, *args, **kwargs)
        streams.append(_EndlessStream())
        return streams[-1]

    monkeypatch.setattr(zipfile.ZipFile, "open", fake_open)
    message = refused(data)
    assert message.startswith("refused as a zip bomb: mergedimage.png expands past 2 MiB")
    assert len(streams) == 1 and cap < streams[0].served <= cap + 1024 * 1024


@pytest.mark.parametrize(
    "member", ["../evil.png", "/abs.png", "..\\evil.png", "a/../../evil.png", "C:/evil.png"]
)
def test_unsafe_member_names_are_refused(member: str) -> None:
    data = make_zip([*krita_members(merged=png()), (member, b"x")])
    assert refused(data) == f"unsafe path in archive: {member}"


def test_unsafe_names_are_refused_in_unrecognised_zips_too() -> None:
    assert refused(make_zip([("../../etc/passwd", b"x")]), "a.zip").startswith("unsafe path")


def test_too_many_members() -> None:
    data = make_zip(
        [("mimetype", b"application/x-krita"), *((f"f{i}", b"") for i in range(10_000))],
        zipfile.ZIP_STORED,
    )
    assert refused(data) == "refused: the archive has more than 10,000 members"


def test_too_many_members_caught_after_parsing_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # If the quick count of the central directory cannot be made, zipfile's list is checked.
    monkeypatch.setattr(processfiles, "_central_directory_count", lambda data: None)
    monkeypatch.setattr(processfiles, "MAX_MEMBERS", 5)
    data = make_zip([(f"f{i}", b"") for i in range(6)])
    assert refused(data) == "refused: the archive has more than 5 members"
    assert identify_process_file(make_zip([(f"f{i}", b"") for i in range(5)]), "a") is not None


def test_encrypted_member_is_refused() -> None:
    data = patch_member(krita(), "mergedimage.png", flags=0x1)
    assert refused(data) == (
        "encrypted member in archive: mergedimage.png (encrypted files cannot be checked)"
    )


def test_unsupported_compression_is_refused() -> None:
    data = make_zip(krita_members(merged=png()), zipfile.ZIP_BZIP2)
    assert refused(data) == "unsupported compression in archive: mergedimage.png uses bzip2"


def test_bad_crc_is_refused() -> None:
    merged = png()
    data = make_zip(krita_members(merged=merged), zipfile.ZIP_STORED)
    at = data.index(merged) + len(merged) - 5
    data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    assert refused(data).startswith("damaged archive: mergedimage.png: BadZipFile: Bad CRC-32")


def test_duplicate_preview_members_are_refused() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        data = make_zip([*krita_members(merged=png()), ("mergedimage.png", png((2, 2)))])
    assert refused(data) == "ambiguous archive: it holds 2 members named mergedimage.png"


def test_truncated_and_damaged_zips_never_raise_anything_else() -> None:
    samples = [
        krita(merged=png((16, 16)), preview=png((8, 8))),
        make_zip(
            [("mimetype", b"image/openraster"), ("stack.xml", ORA_XML), ("mergedimage.png", png())]
        ),
        make_zip(
            [
                ("Document.archive", procreate_archive()),
                ("QuickLook/Thumbnail.png", png((8, 8))),
            ],
            zipfile.ZIP_STORED,
        ),
    ]
    outcomes = {"result": 0, "refused": 0}
    for data in samples:
        variants = [data[:cut] for cut in range(0, len(data), 5)]
        variants += [
            data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :] for at in range(0, len(data), 2)
        ]
        for variant in variants:
            try:
                result = identify_process_file(variant, "x.kra")
            except ProcessFileError as exc:
                assert "\n" not in str(exc)
                outcomes["refused"] += 1
            else:
                assert result is None or isinstance(result, ProcessFile)
                outcomes["result"] += 1
    assert outcomes["refused"] > 500 and outcomes["result"] > 100


def test_unexpected_errors_become_process_file_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(data: bytes) -> int | None:
        raise MemoryError("boom")

    monkeypatch.setattr(processfiles, "_central_directory_count", explode)
    assert refused(krita()) == "cannot read this file (MemoryError: boom)"


def test_results_are_frozen() -> None:
    result = identify_process_file(b"CSFCHUNK", "a.clip")
    with pytest.raises(AttributeError):
        result.kind = "other"  # type: ignore[misc, union-attr]
