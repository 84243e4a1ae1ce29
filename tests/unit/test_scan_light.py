"""`scan` reads less than import (metadata.extract_metadata with complete=False) and must
find exactly what import finds.

What scan leaves out: exifread (its own directory walk gives the text tags), every XMP
property detectors do not read, and Pillow for files whose size the header gives.
"""

from __future__ import annotations

import codecs
import io
import random
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from inkseal.library import formats, metadata
from inkseal.library.detect.base import IPTC_KEYS, XMP_KEYS, FileFacts
from inkseal.library.detect.comfyui import _PREFIXED as PREFIXED
from inkseal.library.detect.run import detect_file
from inkseal.library.formats import Format, dimensions, sniff
from inkseal.library.imaging import DecodeError, open_image
from inkseal.library.scan import scan_file
from tests.detect_helpers import assert_scan_reads_alike, facts_for, png_with_xmp, xmp_packet
from tests.images import gradient, jpeg_bytes

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
NEEDS_CORPUS = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").exists(), reason="../shared/corpus is not here"
)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv")


def _image(data: bytes) -> Image.Image | None:
    try:
        return open_image(data)
    except DecodeError:
        return None


def corpus_images() -> Iterator[tuple[Path, bytes, Format, Image.Image | None]]:
    """(path, bytes, format, Pillow image or None) of each corpus file in a known format."""
    for path in corpus_files():
        data = path.read_bytes()
        fmt = sniff(data)
        if fmt is not None:
            yield path, data, fmt, _image(data)


@NEEDS_CORPUS
def test_scan_finds_what_import_finds_in_every_corpus_file() -> None:
    for path in corpus_files():
        assert_scan_reads_alike(path.read_bytes())


@NEEDS_CORPUS
def test_scan_results_match_import_findings() -> None:
    from inkseal.library.probe import ReadError, probe_file, read_file

    for path in corpus_files():
        scanned = scan_file(path)
        try:
            full = probe_file(read_file(path))
        except ReadError:
            assert scanned.error
            continue
        assert scanned.findings == full.detection.findings, path.name
        assert scanned.suggested_class == full.detection.suggested_class, path.name


@NEEDS_CORPUS
def test_walked_exif_text_tags_are_exifreads() -> None:
    """The text tags scan's walk gives carry exifread's names and values, and every tag a
    detector reads is among them."""
    read_by_detectors = {
        "Image Make",
        "Image Model",
        "Image Software",
        "Image ImageDescription",
        "EXIF DateTimeOriginal",
        "EXIF UserComment",
    }
    compared = 0
    for path, data, fmt, image in corpus_images():
        full = metadata.extract_metadata(data, fmt.name, image).get("exif", {})
        light = metadata.extract_metadata(data, fmt.name, image, complete=False).get("exif", {})
        for key, value in light.items():
            if key in full:
                assert full[key] == value, (path.name, key)
                compared += 1
        for key in read_by_detectors & full.keys():
            assert light.get(key) == full[key], (path.name, key)
    assert compared > 100


def test_walked_exif_of_a_made_jpeg() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R6"
    exif[0x0131] = "Adobe Lightroom Classic 13.1"
    exif[0x013B] = "Jane Doe"
    exif.get_ifd(0x8769)[0x9003] = "2024:05:17 10:22:31"
    exif.get_ifd(0x8769)[0x9291] = "120"
    data = jpeg_bytes(exif=exif.tobytes())
    full = metadata.extract_metadata(data, "JPEG", None)["exif"]
    light = metadata.extract_metadata(data, "JPEG", None, complete=False)["exif"]
    assert light == {
        "Image Make": "Canon",
        "Image Model": "Canon EOS R6",
        "Image Software": "Adobe Lightroom Classic 13.1",
        "Image Artist": "Jane Doe",
        "EXIF DateTimeOriginal": "2024:05:17 10:22:31",
        "EXIF SubSecTimeOriginal": "120",
    }
    assert all(full[k] == v for k, v in light.items())


def test_walked_exif_of_a_multipage_tiff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pages after the second are exifread's "IFD 2", "IFD 3"...: the walk names them so too,
    # in the same order, and needs no exifread for them.
    pages = [gradient(seed=i).convert("L") for i in range(4)]
    buf = io.BytesIO()
    tiffinfo = {0x0131: "ScanStation 4", 0x010E: "page text"}
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], tiffinfo=tiffinfo)
    data = buf.getvalue()
    image = open_image(data)
    full = metadata.extract_metadata(data, "TIFF", image)["exif"]

    def no_exifread(*_args: Any) -> dict[str, str]:
        raise AssertionError("exifread was run")

    monkeypatch.setattr(metadata, "_exif_with_exifread", no_exifread)
    light = metadata.extract_metadata(data, "TIFF", image, complete=False)["exif"]
    # Every text tag of every page, under exifread's names and in its order.
    assert list(light) == [
        f"{page} {name}"
        for page in ("Image", "Thumbnail", "IFD 2", "IFD 3")
        for name in ("ImageDescription", "Software")
    ]
    assert list(light) == [k for k in full if k in light]
    assert {k: full[k] for k in light} == light


def _exif_with_texts(order: str, texts: list[tuple[int, bytes]]) -> bytes:
    """An EXIF block whose IFD0 holds the given ASCII entries (values stored after it)."""
    head = (b"MM\x00*" if order == ">" else b"II*\x00") + struct.pack(order + "I", 8)
    table_end = 8 + 2 + 12 * len(texts) + 4
    entries, values = b"", b""
    for tag, raw in texts:
        if len(raw) <= 4:
            entries += struct.pack(order + "HHI", tag, 2, len(raw)) + raw.ljust(4, b"\x00")
        else:
            at = table_end + len(values)
            entries += struct.pack(order + "HHI", tag, 2, len(raw)) + struct.pack(order + "I", at)
            values += raw
    return (
        b"Exif\x00\x00" + head + struct.pack(order + "H", len(texts)) + entries + bytes(4) + values
    )


@pytest.mark.parametrize("order", ["<", ">"])
def test_walked_exif_decodes_text_as_exifread_does(order: str) -> None:
    texts = [
        (0x010F, b"Fuji\x00"),  # inline
        (0x0110, "Jos\u00e9 N\u00fa\u00f1ez\x00".encode()),  # UTF-8
        (0x0131, "Caf\u00e9 Paint\x00".encode("latin-1")),  # not UTF-8
        (0x013B, b"Jane\x00garbage after the zero"),
        (0x8298, b""),
    ]
    data = jpeg_bytes(exif=_exif_with_texts(order, texts))  # type: ignore[arg-type]
    full = metadata.extract_metadata(data, "JPEG", None)["exif"]
    light = metadata.extract_metadata(data, "JPEG", None, complete=False)["exif"]
    assert light["Image Model"] == "Jos\u00e9 N\u00fa\u00f1ez"
    assert light["Image Software"] == "Caf\u00e9 Paint"
    assert light["Image Artist"] == "Jane"
    assert {k: full[k] for k in light} == light


# --------------------------------------------------------------------------------------------
# XMP: the kept properties read by streaming, compared with the whole reading


def _packet(body: str, extra_ns: str = "") -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{RDF}" {extra_ns}>{body}</rdf:RDF>'
        '</x:xmpmeta><?xpacket end="w"?>'
    ).encode()


NS = (
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
    'xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" '
    'xmlns:dcterms="http://purl.org/dc/terms/"'
)

PACKETS = {
    "attributes": _packet(
        '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney" crs:Exposure="+1" '
        'photoshop:Credit="Made with AI"/>',
        NS,
    ),
    "elements, alt, bag, struct": _packet(
        '<rdf:Description rdf:about="">'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">A heron</rdf:li>'
        '<rdf:li xml:lang="fr">Un h\u00e9ron</rdf:li></rdf:Alt></dc:description>'
        "<dc:rights><rdf:Alt><rdf:li>(c) Jane</rdf:li></rdf:Alt></dc:rights>"
        "<dc:subject><rdf:Bag><rdf:li>bird</rdf:li><rdf:li>lake</rdf:li></rdf:Bag></dc:subject>"
        "<Iptc4xmpExt:DigitalSourceType>"
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        "</Iptc4xmpExt:DigitalSourceType>"
        '<Iptc4xmpExt:ArtworkOrObject><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<Iptc4xmpExt:AOTitle>Old</Iptc4xmpExt:AOTitle>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:ArtworkOrObject>"
        "<crs:ToneCurve><rdf:Seq><rdf:li>0, 0</rdf:li><rdf:li>255, 255</rdf:li></rdf:Seq>"
        "</crs:ToneCurve>"
        "</rdf:Description>",
        NS,
    ),
    "kept property holding a structure": _packet(
        '<rdf:Description rdf:about="">'
        '<Iptc4xmpExt:AISystemUsed rdf:parseType="Resource">'
        "<rdf:value>Firefly</rdf:value></Iptc4xmpExt:AISystemUsed>"
        '<dcterms:provenance rdf:resource="https://example.org/manifest.c2pa"/>'
        "</rdf:Description>",
        NS,
    ),
    "nested and repeated descriptions": _packet(
        '<rdf:Description rdf:about="" xmp:CreatorTool="One">'
        '<rdf:Description xmp:CreatorTool="Two"/></rdf:Description>'
        '<rdf:Description rdf:about="" xmp:CreatorTool="Three"/>',
        NS,
    ),
    "default namespace and an unknown one": _packet(
        '<rdf:Description rdf:about="">'
        '<CreatorTool xmlns="http://ns.adobe.com/xap/1.0/">Stable Diffusion</CreatorTool>'
        '<my:Software xmlns:my="http://ns.adobe.com/tiff/1.0/">DALL-E</my:Software>'
        '<q:thing xmlns:q="urn:example:q">x</q:thing>'
        "</rdf:Description>"
    ),
    "a second rdf:RDF is not read": _packet('<rdf:Description xmp:CreatorTool="A"/>', NS) + b"",
    "comments and processing instructions": _packet(
        '<!-- a note --><rdf:Description rdf:about=""><?pi x?>'
        "<xmp:CreatorTool><!-- c -->Tool</xmp:CreatorTool></rdf:Description>",
        NS,
    ),
    "rdf:RDF as the root": (
        f'<rdf:RDF xmlns:rdf="{RDF}" {NS}><rdf:Description xmp:CreatorTool="Root"/></rdf:RDF>'
    ).encode(),
    "empty xmpmeta": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    "no rdf:RDF": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><a/></x:xmpmeta>',
    "not well-formed": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>',
    "a DTD": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>'
    ),
    "a DTD after a comment holding a tag": (
        b'<?xml version="1.0"?><!-- <a> --><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>'
    ),
    "an undeclared entity": b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol;</x:xmpmeta>',
    "UTF-16": codecs.BOM_UTF16_LE
    + _packet('<rdf:Description xmp:CreatorTool="Wide \u00e9"/>', NS)
    .decode()
    .replace('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>', "")
    .encode("utf-16-le"),
}
_CRS = " ".join(f'crs:Setting{i}="{i}"' for i in range(12))
PACKETS.update(
    {
        # More attributes than _FEW_ATTRIBUTES: the kept ones are asked for by name.
        "many attributes in standard namespaces": _packet(
            f'<rdf:Description rdf:about="" {_CRS} xmp:CreatorTool="Midjourney" '
            'photoshop:Credit="AI generated" dc:format="image/png"/>',
            NS,
        ),
        # ... unless a namespace of the packet's own could give a kept key ("dc" here).
        "many attributes and a kept name in another namespace": _packet(
            f'<rdf:Description rdf:about="" {_CRS} xmlns:dc="http://example.org/dc/" '
            'dc:description="Made with AI" xmp:CreatorTool="Tool"/>',
            NS.replace('xmlns:dc="http://purl.org/dc/elements/1.1/" ', ""),
        ),
        "one namespace under two prefixes": _packet(
            '<rdf:Description rdf:about="" xmlns:a="urn:example:x" xmlns:b="urn:example:x" '
            'a:CreatorTool="A" b:Software="B"/>'
        ),
        "a long value": _packet(
            f'<rdf:Description rdf:about="" crs:Blob="{"QUJD" * 20000}" xmp:CreatorTool="Tool"/>',
            NS,
        ),
        "CDATA, character and entity references": _packet(
            '<rdf:Description rdf:about=""><xmp:CreatorTool><![CDATA[A <b>]]> &amp; &#x263A;'
            '</xmp:CreatorTool><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">\n (c)\t&lt;'
            "</rdf:li></rdf:Alt></dc:rights></rdf:Description>",
            NS,
        ),
        "an unbound prefix": _packet(
            '<rdf:Description rdf:about=""><foo:Bar>x</foo:Bar></rdf:Description>', NS
        ),
        "a relative namespace URI": _packet(
            '<rdf:Description rdf:about="" xmlns:rel="relative" rel:x="1" xmp:CreatorTool="Tool"/>',
            NS,
        ),
        "Latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?>'
        + _packet('<rdf:Description rdf:about="" xmp:CreatorTool="Caf\u00e9"/>', NS)
        .decode()
        .encode("latin-1"),
    }
)
_SH = "\u0219"  # ș: a name character to libxml2 (XML 1.0, fifth edition), not to expat
_NAMESPACES = " ".join(f'xmlns:n{i}="urn:n{i}"' for i in range(196))
PACKETS.update(
    {
        "a name character expat does not take": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney">'
            f'<ro:Descriere{_SH} xmlns:ro="urn:ro">x</ro:Descriere{_SH}></rdf:Description>',
            NS,
        ),
        "... in an attribute name": _packet(
            f'<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney" crs:a{_SH}="1"/>', NS
        ),
        "... in a prefix": _packet(
            f'<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney" xmlns:{_SH}="urn:x" '
            f'{_SH}:a="1"/>',
            NS,
        ),
        "... in a processing instruction": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney"><?\u017f x?>'
            "</rdf:Description>",
            NS,
        ),
        "a byte order mark inside a name": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney" crs:a\ufeffb="1"/>', NS
        ),
        "a name past U+FFFF": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney">'
            "<crs:\U0001d4b3>x</crs:\U0001d4b3></rdf:Description>",
            NS,
        ),
        "text and values beyond ASCII": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Caf\u00e9 \U0001d4b3">'
            "<dc:rights><rdf:Alt><rdf:li>\u00a9 J\u0219</rdf:li></rdf:Alt></dc:rights>"
            "</rdf:Description>",
            NS,
        ),
        "utf8 declared": b'<?xml version="1.0" encoding="utf8"?>'
        + _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney">'
            "<dc:rights>\u00a9 Jane</dc:rights></rdf:Description>",
            NS,
        ),
        "UTF-32 without a byte order mark": _packet(
            '<rdf:Description rdf:about="" xmp:CreatorTool="Midjourney"/>', NS
        )
        .decode()
        .replace('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>', "")
        .encode("utf-32-le"),
        "the xml prefix declared, past 200 namespaces": _packet(
            f'<rdf:Description rdf:about="" {_NAMESPACES}>'
            '<q xmlns:xml="http://www.w3.org/XML/1998/namespace"/>'
            '<dc:description xmlns:dc="urn:made-up">Made with AI</dc:description>'
            "</rdf:Description>",
            NS,
        ),
    }
)
# What libxml2 reads (the rest are streamed by expat: a DTD, UTF-16 or 32, another encoding,
# a word from libxml2 about the packet, a name beyond ASCII, the xml prefix declared, or
# values near the cap).
READ_BY_LIBXML2 = {
    "attributes",
    "elements, alt, bag, struct",
    "kept property holding a structure",
    "nested and repeated descriptions",
    "default namespace and an unknown one",
    "a second rdf:RDF is not read",
    "comments and processing instructions",
    "rdf:RDF as the root",
    "empty xmpmeta",
    "no rdf:RDF",
    "many attributes in standard namespaces",
    "many attributes and a kept name in another namespace",
    "one namespace under two prefixes",
    "a long value",
    "CDATA, character and entity references",
    "a relative namespace URI",
    "text and values beyond ASCII",
}
PACKETS["a second rdf:RDF is not read"] = PACKETS["a second rdf:RDF is not read"].replace(
    b"</x:xmpmeta>",
    f'<rdf:RDF xmlns:rdf="{RDF}" {NS}><rdf:Description xmp:CreatorTool="B"/></rdf:RDF>'
    "</x:xmpmeta>".encode(),
)


def _both(packet: bytes) -> tuple[Any, list[str], Any, list[str]]:
    whole = metadata._Context(data=b"", fmt="JPEG", image=None)
    kept = metadata._Context(data=b"", fmt="JPEG", image=None, complete=False)
    kept.xmp_keys = frozenset(XMP_KEYS)
    full = metadata._parse_xmp(packet, whole)
    light = metadata._parse_xmp(packet, kept)
    if full is not None:
        full = {k: v for k, v in full.items() if k.split("/")[0] in XMP_KEYS}
    return full, whole.warnings, light, kept.warnings


@pytest.mark.parametrize("lxml", [True, False], ids=["libxml2", "without lxml"])
@pytest.mark.parametrize("name", sorted(PACKETS))
def test_kept_xmp_is_the_whole_reading_cut_to_the_kept_keys(
    name: str, lxml: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not lxml:  # lxml is a dependency, but the reading stands without it
        monkeypatch.setattr(metadata, "_lxml_etree", lambda: None)
    full, full_warnings, light, light_warnings = _both(PACKETS[name])
    assert light == full
    assert light_warnings == full_warnings


def _names_beyond_ascii(packet: bytes) -> bool:
    """Whether a name in the packet has a character beyond ASCII, from libxml2's tree: the
    plain, slow way that `metadata._names_read_alike` must agree with."""
    from lxml import etree

    root = etree.fromstring(packet)
    for event, item in etree.iterwalk(root, events=("start", "start-ns")):
        names = [item[0]] if event == "start-ns" else [item.tag, *item.attrib]
        if not all(name.isascii() for name in names):
            return True
    instructions = [*root.iter(etree.PI), *root.itersiblings(etree.PI, preceding=True)]
    return any(not pi.target.isascii() for pi in instructions)


def test_names_beyond_ascii_are_told_from_text_and_values() -> None:
    from lxml import etree

    rng = random.Random(11)
    wide = ["\u0219", "\u00e9", "\u00a9", "\ufeff", "\U0001d4b3", "\u4e2d"]
    slots = ["E", "A", "P", "J", "V", "T", "C", "D", "I", "Q"]
    template = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{RDF}"><rdf:Description rdf:about="" xmlns:a@E@="urn:a" '
        'xmlns:b@P@="urn:b" a@E@:n@A@="v@V@&gt;@V@" b@P@:q=\'it"s@Q@\'>'
        "<a@E@:e@E@ a@E@:f@A@='@V@\"@V@'>t@T@ > @T@'@T@"
        "<!-- c@C@ > @C@ --><![CDATA[d@D@ > @D@]]><?pi@J@ d@I@ > @I@?></a@E@:e@E@>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    told = {True: 0, False: 0}
    for _ in range(3000):
        text = template
        for slot in rng.sample(slots, rng.randrange(1, 4)):
            text = text.replace(f"@{slot}@", rng.choice(wide))
        for slot in slots:
            text = text.replace(f"@{slot}@", "z")
        packet = text.encode()
        try:
            etree.fromstring(packet)
        except etree.XMLSyntaxError:
            continue  # libxml2 refuses it too: the streamed reading decides
        in_names = _names_beyond_ascii(packet)
        said = metadata._names_read_alike(packet)
        assert not (in_names and said), text  # never a name beyond ASCII let through
        if not in_names:
            told[said] += 1
    # Text, values, comments, CDATA and PI data beyond ASCII stay with libxml2.
    assert told[True] > 500 and told[False] == 0, told
    # Where the markup around it is unclear (a "<" inside CDATA), expat decides.
    unclear = _packet("<rdf:Description><![CDATA[ a < \u00e9 ]]></rdf:Description>")
    assert not metadata._names_read_alike(unclear)


def _note_streamed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The packets that go to expat's streamed reading from now on."""
    streamed: list[bytes] = []
    real = metadata._parse_xmp_kept_streamed

    def noting(packet: bytes, *args: Any) -> Any:
        streamed.append(packet)
        return real(packet, *args)

    monkeypatch.setattr(metadata, "_parse_xmp_kept_streamed", noting)
    return streamed


@pytest.mark.parametrize("name", sorted(PACKETS))
def test_plain_packets_are_read_by_libxml2_and_the_rest_streamed(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = _note_streamed(monkeypatch)
    _both(PACKETS[name])
    assert (not streamed) == (name in READ_BY_LIBXML2)


def test_the_made_packets_say_what_they_should() -> None:
    assert _both(PACKETS["attributes"])[2] == {
        "xmp:CreatorTool": "Midjourney",
        "photoshop:Credit": "Made with AI",
    }
    light = _both(PACKETS["elements, alt, bag, struct"])[2]
    assert light["dc:description"] == ["A heron", "Un h\u00e9ron"]
    assert light["Iptc4xmpExt:DigitalSourceType"].endswith("trainedAlgorithmicMedia")
    assert _both(PACKETS["nested and repeated descriptions"])[2] == {
        "xmp:CreatorTool": ["One", "Two", "Three"]
    }
    assert _both(PACKETS["a second rdf:RDF is not read"])[2] == {"xmp:CreatorTool": "A"}
    assert _both(PACKETS["default namespace and an unknown one"])[2] == {
        "xmp:CreatorTool": "Stable Diffusion",
        "tiff:Software": "DALL-E",
    }
    for name in ("a DTD", "a DTD after a comment holding a tag"):
        assert _both(PACKETS[name])[3] == ["XMP: refused, the packet contains a DTD"]
    assert _both(PACKETS["UTF-16"])[2] == {"xmp:CreatorTool": "Wide \u00e9"}
    assert _both(PACKETS["many attributes in standard namespaces"])[2] == {
        "xmp:CreatorTool": "Midjourney",
        "photoshop:Credit": "AI generated",
    }
    assert _both(PACKETS["many attributes and a kept name in another namespace"])[2] == {
        "dc:description": "Made with AI",
        "xmp:CreatorTool": "Tool",
    }
    assert _both(PACKETS["CDATA, character and entity references"])[2] == {
        "xmp:CreatorTool": "A <b> & \u263a",
        "dc:rights": ["\n (c)\t<"],
    }
    assert _both(PACKETS["Latin-1 declared"])[2] == {"xmp:CreatorTool": "Caf\u00e9"}
    assert _both(PACKETS["an unbound prefix"])[3] == ["XMP: not well-formed (line 1)"]
    # Packets only libxml2 would read say nothing to scan either (import sees no XMP).
    for name in ("a name character expat does not take", "utf8 declared"):
        assert _both(PACKETS[name])[2:] == (None, ["XMP: not well-formed (line 1)"]), name
    assert _both(PACKETS["text and values beyond ASCII"])[2] == {
        "xmp:CreatorTool": "Caf\u00e9 \U0001d4b3",
        "dc:rights": ["\u00a9 J\u0219"],
    }


@pytest.mark.parametrize("count", [100, 2100])
def test_kept_xmp_near_and_past_the_cap_on_values(
    tmp_path: Path, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the cap, which values the whole reading keeps depends on the skipped ones: the
    # packet is then read whole and cut, by either reader.
    packet = _packet(
        '<rdf:Description rdf:about="" xmp:CreatorTool="Tool"><dc:subject><rdf:Bag>'
        + "<rdf:li>k</rdf:li>" * count
        + "</rdf:Bag></dc:subject><photoshop:Credit>Made with AI</photoshop:Credit>"
        "</rdf:Description>",
        NS,
    )
    data = png_with_xmp(tmp_path / "cap.png", packet.decode()).read_bytes()
    streamed = _note_streamed(monkeypatch)
    full = metadata.extract_metadata(data, "PNG", None)
    light = metadata.extract_metadata(data, "PNG", None, complete=False, xmp_keys=XMP_KEYS)
    cut = {k: v for k, v in full["xmp"].items() if k.split("/")[0] in XMP_KEYS}
    assert light["xmp"] == cut
    assert light["warnings"] == full["warnings"]
    assert ("Made with AI" in str(cut)) == (count < 2000)
    assert bool(streamed) == (count > 1000)  # counted in C, then left to expat


def test_png_text_chunks_are_decoded_once_and_handed_to_the_detectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import PngImagePlugin

    from inkseal.library import pngchunks
    from inkseal.library.probe import RawFile, probe_file
    from tests.detect_helpers import assert_png_texts_shared_alike

    def png(**chunks: tuple[str, str]) -> bytes:
        info = PngImagePlugin.PngInfo()
        for key, (kind, text) in chunks.items():
            if kind == "iTXt":
                info.add_itxt(key, text, zip=True)
            else:
                info.add_text(key, text, zip=kind == "zTXt")
        buf = io.BytesIO()
        gradient((8, 8)).save(buf, "PNG", pnginfo=info)
        return buf.getvalue()

    plain = png(
        parameters=("tEXt", "a heron\nSteps: 20, Seed: 1"),
        Comment=("zTXt", "{}"),
        prompt=("iTXt", '{"1": {}}'),
    )
    assert assert_png_texts_shared_alike(plain)
    # A text the metadata reading cuts (past 256 KiB) is decoded again, in full, for the
    # detectors: nothing is handed on.
    long_one = png(parameters=("zTXt", "x" * 300_000), Dream=("tEXt", "y"))
    assert not assert_png_texts_shared_alike(long_one)
    calls: list[bytes] = []
    real = pngchunks.text_chunks

    def counting(data: bytes, *args: Any, **kwargs: Any) -> Any:
        calls.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(pngchunks, "text_chunks", counting)
    for data, handed in ((plain, True), (long_one, False)):
        raw = RawFile(Path("x.png"), data, "0" * 64, datetime.now(UTC))
        calls.clear()
        for complete in (True, False):
            probe_file(raw, open_now=False, complete=complete)
        assert (not calls) == handed


@NEEDS_CORPUS
def test_kept_xmp_of_every_corpus_file() -> None:
    packets = 0
    for path, data, fmt, image in corpus_images():
        full = metadata.extract_metadata(data, fmt.name, image)
        light = metadata.extract_metadata(
            data, fmt.name, image, complete=False, xmp_keys=XMP_KEYS, iptc_keys=IPTC_KEYS
        )
        wanted = XMP_KEYS | {"xmpNote:HasExtendedXMP"}
        cut = {k: v for k, v in full.get("xmp", {}).items() if k.split("/")[0] in wanted}
        assert light.get("xmp", {}) == cut, path.name
        iptc = {k: v for k, v in full.get("iptc", {}).items() if k in IPTC_KEYS}
        assert light.get("iptc", {}) == iptc, path.name
        packets += "xmp_size" in full
        xmp_warnings = [w for w in full["warnings"] if w.startswith("XMP")]
        assert [w for w in light["warnings"] if w.startswith("XMP")] == xmp_warnings
    assert packets >= 20


class _Recording(dict):  # type: ignore[type-arg]
    """A dict that notes each key asked for, and whether it was read whole."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.asked: set[str] = set()
        self.whole = False

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def _whole(self) -> None:
        self.whole = True

    def items(self) -> Any:
        self._whole()
        return super().items()

    def keys(self) -> Any:
        self._whole()
        return super().keys()

    def values(self) -> Any:
        self._whole()
        return super().values()

    def __iter__(self) -> Iterator[Any]:
        self._whole()
        return super().__iter__()


def _made_xmp_files(tmp_path: Path) -> Iterator[bytes]:
    props = {
        "Iptc4xmpExt__DigitalSourceType": "trainedAlgorithmicMedia",
        "Iptc4xmpExt__AISystemUsed": "Firefly",
        "Iptc4xmpExt__AIPromptInformation": "a heron",
        "photoshop__Credit": "Generated with AI",
        "xmp__CreatorTool": "Midjourney",
        "dc__description": "Job ID: 1234",
    }
    for i, (key, value) in enumerate(props.items()):
        yield png_with_xmp(tmp_path / f"{i}.png", xmp_packet(**{key: value})).read_bytes()
    for name in sorted(PACKETS):
        yield png_with_xmp(tmp_path / "p.png", PACKETS[name].decode("latin-1")).read_bytes()


def _jpeg_with_iptc(**datasets: str) -> bytes:
    """A JPEG whose Photoshop APP13 segment holds these IPTC datasets (by name)."""
    numbers = {name: n for n, name in metadata._IPTC_NAMES.items()}
    iim = b"".join(
        bytes([0x1C, 2, numbers[name]]) + struct.pack(">H", len(v.encode())) + v.encode()
        for name, v in datasets.items()
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim
    resource += b"\x00" * (len(resource) % 2)
    body = b"Photoshop 3.0\x00" + resource
    data = jpeg_bytes()
    return data[:2] + b"\xff\xed" + struct.pack(">H", len(body) + 2) + body + data[2:]


def _asked_by_detectors(files: list[bytes], section: str) -> tuple[set[str], int]:
    """The keys of a metadata section ("xmp", "iptc") that the detectors ask for over these
    files, and how many files have the section; fails if a detector reads it whole."""
    asked: set[str] = set()
    having = 0
    for data in files:
        fmt = sniff(data)
        if fmt is None:
            continue
        image = _image(data)
        found = metadata.extract_metadata(data, fmt.name, image)
        if section not in found:
            continue
        having += 1
        recording = _Recording(found[section])
        found[section] = recording
        detect_file(FileFacts(data, fmt.name, found, image))
        assert not recording.whole, f"a detector read {section} whole: scan would miss some"
        asked |= recording.asked
        assert_scan_reads_alike(data)
    return asked, having


def test_detectors_read_only_the_iptc_datasets_scan_keeps() -> None:
    files = [p.read_bytes() for p in corpus_files()] + [
        _jpeg_with_iptc(**{name: "Made with AI by Midjourney" for name in IPTC_KEYS}),
        _jpeg_with_iptc(Credit="AI generated", Headline="x", Keywords="y"),
    ]
    asked, with_iptc = _asked_by_detectors(files, "iptc")
    assert with_iptc >= 5
    assert asked == IPTC_KEYS, asked ^ IPTC_KEYS


def test_detectors_read_only_the_xmp_properties_scan_keeps(tmp_path: Path) -> None:
    files = [p.read_bytes() for p in corpus_files()] + list(_made_xmp_files(tmp_path))
    asked, with_xmp = _asked_by_detectors(files, "xmp")
    assert with_xmp >= 10
    assert asked <= XMP_KEYS | {"xmpNote:HasExtendedXMP"}, asked - XMP_KEYS
    # Every listed key is read by some detector (no stale names that slow scan down).
    assert asked >= XMP_KEYS, XMP_KEYS - asked


# --------------------------------------------------------------------------------------------
# Sizes from headers, so that scan need not open WebP and TIFF files with Pillow


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("RGB", {}),
        ("RGBA", {}),
        ("RGB", {"lossless": True}),
        ("RGBA", {"lossless": True}),
        ("RGB", {"exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"}),
    ],
)
def test_webp_size_from_the_header(mode: str, options: dict[str, Any]) -> None:
    for size in [(1, 1), (17, 33), (16383, 2), (3000, 2000)]:
        out = io.BytesIO()
        Image.new(mode, size).save(out, "WEBP", **options)
        data = out.getvalue()
        fmt = sniff(data)
        assert fmt is not None
        assert dimensions(data, fmt) == size


def test_animated_webp_size_is_the_canvas() -> None:
    out = io.BytesIO()
    frames = [gradient((40, 30), seed=i) for i in range(3)]
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    data = out.getvalue()
    fmt = sniff(data)
    assert fmt is not None and fmt.animated
    assert dimensions(data, fmt) == (40, 30) == Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "I;16"])
@pytest.mark.parametrize("compression", [None, "tiff_lzw"])
def test_tiff_size_from_the_first_directory(mode: str, compression: str | None) -> None:
    for size in [(1, 1), (70000, 1), (3, 70000), (640, 480)]:
        out = io.BytesIO()
        Image.new(mode, size).save(out, "TIFF", compression=compression)
        data = out.getvalue()
        fmt = sniff(data)
        assert fmt is not None
        assert dimensions(data, fmt) == size


def test_tiff_size_big_endian_and_unsorted() -> None:
    def tiff(order: str, entries: list[tuple[int, int, int]]) -> bytes:
        head = (b"MM\x00*" if order == ">" else b"II*\x00") + struct.pack(order + "I", 8)
        body = struct.pack(order + "H", len(entries))
        for tag, kind, value in entries:
            packed = struct.pack(order + ("H" if kind == 3 else "I"), value).ljust(4, b"\x00")
            body += struct.pack(order + "HHI", tag, kind, 1) + packed
        return head + body + b"\x00\x00\x00\x00"

    fmt = sniff(tiff(">", [(256, 4, 5), (257, 3, 7)]))
    assert fmt is not None
    assert dimensions(tiff(">", [(256, 4, 5), (257, 3, 7)]), fmt) == (5, 7)
    # Out of order, a writer's bug: not trusted, Pillow is asked instead.
    assert dimensions(tiff("<", [(258, 3, 8), (256, 3, 5), (257, 3, 7)]), fmt) is None


def _gif_with_application_block(identifier: bytes, payload: bytes, frames: int = 1) -> bytes:
    """A GIF with an application extension holding `payload` the way XMP's writers store
    it: the raw bytes, then the 257-byte "magic trailer" that lets block readers skip it.
    Put after `frames` frames of noise (compressed data in runs of full sub-blocks)."""
    out = io.BytesIO()
    images = [Image.effect_noise((90, 70), 80 + 10 * i).convert("P") for i in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:])
    gif = out.getvalue()
    trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    extension = b"\x21\xff\x0b" + identifier + payload + trailer
    return gif[:-1] + extension + gif[-1:]


def test_gif_xmp_is_read_from_its_application_extension() -> None:
    packet = PACKETS["attributes"]
    data = _gif_with_application_block(b"XMP DataXMP", packet)
    found = metadata.extract_metadata(
        data, "GIF", open_image(data), complete=False, xmp_keys=XMP_KEYS
    )
    assert found["xmp"] == {"xmp:CreatorTool": "Midjourney", "photoshop:Credit": "Made with AI"}
    # Anywhere else (here an application block of another name) it is not the file's XMP.
    other = _gif_with_application_block(b"NOTXMP 1.00", packet)
    assert "xmp" not in metadata.extract_metadata(other, "GIF", open_image(other))
    # After many frames, found by walking the blocks; in a file cut short (no trailer, the
    # blocks cannot be walked to the end), by searching for the name.
    late = _gif_with_application_block(b"XMP DataXMP", packet, frames=6)
    assert [name for name, _ in formats.gif_application_blocks(late) or []] == [b"XMP DataXMP"]
    cut = late[:-1]
    assert formats.gif_application_blocks(cut) is None
    for gif in (late, cut):
        found = metadata.extract_metadata(gif, "GIF", None, complete=False, xmp_keys=XMP_KEYS)
        assert found["xmp"]["xmp:CreatorTool"] == "Midjourney"


def _gif_blocks_one_by_one(data: bytes) -> list[tuple[bytes, int]] | None:
    """What gif_application_blocks finds, by the plainest walk: one sub-block at a time."""
    packed = data[10]
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    found = []
    while pos < len(data):
        if data[pos] == 0x3B:
            return found
        if data[pos] == 0x21:
            if data[pos + 1] == 0xFF and data[pos + 2] == 11:
                found.append((data[pos + 3 : pos + 14], pos))
            pos += 2
        elif data[pos] == 0x2C:
            local = data[pos + 9]
            pos += 11 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
        else:
            return None
        while pos < len(data) and data[pos]:
            pos += 1 + data[pos]
        pos += 1
    return None


@pytest.mark.parametrize("frames", [1, 3, 12])
def test_gif_blocks_are_walked_as_one_sub_block_at_a_time_would(frames: int) -> None:
    for identifier in (b"XMP DataXMP", b"C2PA_GIF\x01\x00\x00", b"ICCRGBG1012"):
        data = _gif_with_application_block(identifier, b"<x:xmpmeta/>" * 40, frames)
        walked = formats.gif_application_blocks(data)
        assert walked is not None and walked == _gif_blocks_one_by_one(data)
        assert walked[-1][0] == identifier
    corpus = CORPUS / "format__animated-90frames.gif"
    if corpus.exists():
        data = corpus.read_bytes()
        assert formats.gif_application_blocks(data) == _gif_blocks_one_by_one(data)


# --------------------------------------------------------------------------------------------
# EXIF layouts where scan's own walk must step aside for exifread (or give exactly its answer)

Entry = tuple[int, int, int, bytes]  # tag, type, count, value bytes


def _ascii(tag: int, text: str) -> Entry:
    raw = text.encode() + b"\x00"
    return (tag, 2, len(raw), raw)


def _short(tag: int, value: int, order: str) -> Entry:
    return (tag, 3, 1, struct.pack(order + "H", value))


def _directory(order: str, entries: list[Entry], at: int, next_at: int = 0) -> bytes:
    """One TIFF directory starting at offset `at`, its long values stored right after it."""
    table = b""
    values = b""
    after = at + 2 + 12 * len(entries) + 4
    for tag, kind, count, raw in entries:
        table += struct.pack(order + "HHI", tag, kind, count)
        if len(raw) <= 4:
            table += raw.ljust(4, b"\x00")
        else:
            table += struct.pack(order + "I", after + len(values))
            values += raw + b"\x00" * (len(raw) % 2)
    count = struct.pack(order + "H", len(entries))
    return count + table + struct.pack(order + "I", next_at) + values


def _exif_block(
    order: str,
    ifd0: list[Entry],
    exif: list[Entry] | None = None,
    ifd1: list[Entry] | None = None,
) -> bytes:
    """A JPEG APP1 EXIF payload: IFD0, then the EXIF directory it points to, then IFD1."""
    pointer = [(0x8769, 4, 1, bytes(4))] if exif is not None else []
    size0 = len(_directory(order, ifd0 + pointer, 8))
    exif_at = 8 + size0
    exif_blob = _directory(order, exif or [], exif_at) if exif is not None else b""
    ifd1_at = exif_at + len(exif_blob) if ifd1 is not None else 0
    if exif is not None:
        pointer = [(0x8769, 4, 1, struct.pack(order + "I", exif_at))]
    blob = _directory(order, ifd0 + pointer, 8, ifd1_at) + exif_blob
    if ifd1 is not None:
        blob += _directory(order, ifd1, ifd1_at)
    head = (b"MM\x00*" if order == ">" else b"II*\x00") + struct.pack(order + "I", 8)
    return b"Exif\x00\x00" + head + blob


def _assert_exif_alike(data: bytes) -> dict[str, Any]:
    """Every EXIF key scan gives is import's, with import's value; the tags detectors read
    are all there; and the findings are import's."""
    image = _image(data)
    full = metadata.extract_metadata(data, "JPEG", image).get("exif", {})
    light = metadata.extract_metadata(data, "JPEG", image, complete=False).get("exif", {})
    for key, value in light.items():
        assert full.get(key) == value, key
    for key, value in full.items():
        # Detectors read these by name, and ComfyUI's looks at every text for its prefix.
        if key in DETECTOR_EXIF_KEYS or (isinstance(value, str) and PREFIXED.match(value[:64])):
            assert light.get(key) == value, key
    assert_scan_reads_alike(data)
    return light


DETECTOR_EXIF_KEYS = {
    "Image Make",
    "Image Model",
    "Image Software",
    "Image ImageDescription",
    "Image Artist",
    "Image Copyright",
    "EXIF DateTimeOriginal",
    "EXIF UserComment",
}
COMFY = 'prompt:{"3": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 20}}}'


@pytest.mark.parametrize("order", ["<", ">"])
def test_exif_layouts_scan_reads_as_import_does(order: str) -> None:
    layouts: dict[str, tuple[list[Entry], list[Entry] | None, list[Entry] | None]] = {
        "a repeated Software tag": (
            [_ascii(0x0131, "GIMP 2.10"), _ascii(0x0131, "Stable Diffusion web UI")],
            None,
            None,
        ),
        "a thousand numeric tags, then Software": (
            [_short(0x2000 + i, i, order) for i in range(1001)] + [_ascii(0x0131, "Midjourney")],
            None,
            None,
        ),
        "a ComfyUI prompt in an odd tag": (
            [_ascii(0x010F, "Canon"), _ascii(0xC614, COMFY)],
            None,
            None,
        ),
        "Make in the thumbnail's directory": (
            [_ascii(0x0110, "Pixel 8")],
            [_ascii(0x9003, "2024:01:01 00:00:00")],
            [_ascii(0x010F, "DALL-E 3"), _short(0x0103, 6, order)],
        ),
        "Orientation stored as text": ([(0x0112, 2, 2, b"6\x00")], None, None),
        "Software stored as bytes, with long arrays": (
            [
                (0x0131, 7, 80, b"NovelAI Diffusion".ljust(80, b" ")),
                (0x0132, 7, 5000, bytes(5000)),
                (0x013E, 5, 2000, bytes(16000)),
            ],
            None,
            None,
        ),
        "an EXIF pointer with a count past the data": (
            [(0x8769, 4, 100_000, struct.pack(order + "I", 8)), _ascii(0x0131, "Midjourney")],
            None,
            None,
        ),
        "an EXIF pointer stored as a short": (
            [(0x8769, 3, 1, struct.pack(order + "H", 8)), _ascii(0x0131, "Midjourney")],
            None,
            None,
        ),
        "a numeric array past the data": (
            [(0x0102, 3, 50_000, struct.pack(order + "I", 8)), _ascii(0x0131, "Midjourney")],
            None,
            None,
        ),
        "a text tag a detector reads, stored as numbers": (
            [(0x010E, 3, 2, struct.pack(order + "HH", 1, 2)), _ascii(0x0131, "Firefly")],
            None,
            None,
        ),
    }
    for name, (ifd0, exif, ifd1) in layouts.items():
        data = jpeg_bytes(exif=_exif_block(order, ifd0, exif, ifd1))
        try:
            _assert_exif_alike(data)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from e


def test_a_comfyui_prompt_in_an_odd_tag_is_found_by_scan() -> None:
    data = jpeg_bytes(exif=_exif_block("<", [_ascii(0x010F, "Canon"), _ascii(0xC614, COMFY)]))
    light = _assert_exif_alike(data)
    assert any(v == COMFY for v in light.values())
    found = detect_file(facts_for(data))
    assert [(f.tool, f.source) for f in found.findings] == [("ComfyUI", "exif:Tag 0xC614")]
    assert found.findings[0].extra["nodes"] == 1


@pytest.mark.parametrize("extra", [-10, 10])
def test_xmp_at_the_property_cap_is_cut_as_import_cuts_it(tmp_path: Path, extra: int) -> None:
    """Import stops reading a packet at MAX_XMP_PROPERTIES properties; scan, which counts
    only the kept ones, must stop where import stops, not read on to a later tool name."""
    count = metadata.MAX_XMP_PROPERTIES + extra
    filler = "".join(f"<dc:x{i}>v</dc:x{i}>" for i in range(count))
    packet = _packet(
        f'<rdf:Description rdf:about="">{filler}'
        "<xmp:CreatorTool>Midjourney</xmp:CreatorTool></rdf:Description>",
        NS,
    ).decode()
    data = png_with_xmp(tmp_path / "many.png", packet).read_bytes()
    image = _image(data)
    full = metadata.extract_metadata(data, "PNG", image)
    light = metadata.extract_metadata(data, "PNG", image, complete=False, xmp_keys=XMP_KEYS)
    kept = {k: v for k, v in full.get("xmp", {}).items() if k in XMP_KEYS}
    assert light.get("xmp", {}) == kept
    assert ("xmp:CreatorTool" in kept) == (extra < 0)
    assert light.get("warnings") == full.get("warnings")
    assert_scan_reads_alike(data)


def _webp_declaring(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "WEBP", lossless=True)
    data = bytearray(out.getvalue())
    at = data.find(b"VP8L") + 8
    assert data[at] == 0x2F
    bits = (width - 1) | ((height - 1) << 14)
    bits |= int.from_bytes(data[at + 1 : at + 5], "little") & ~((1 << 28) - 1)
    data[at + 1 : at + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def _tiff_declaring(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (8, 8)).save(out, "TIFF")
    data = bytearray(out.getvalue())
    (first,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, first)
    for i in range(count):
        at = first + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):
            packed = "<H" if kind == 3 else "<I"
            assert kind == 4 or max(width, height) < 65536
            struct.pack_into(packed, data, at + 8, width if tag == 256 else height)
    return bytes(data)


@pytest.mark.parametrize(
    "make", [lambda: _webp_declaring(16384, 16384), lambda: _tiff_declaring(60000, 60000)]
)
def test_bombs_scan_refuses_as_import_does(lib, tmp_path: Path, make) -> None:
    """The header gives their size, so scan need not open them; it still asks Pillow, whose
    refusal import reports."""
    from inkseal.library.importer import import_paths

    path = tmp_path / "bomb"
    path.write_bytes(make())
    (outcome,) = import_paths(lib, [path]).outcomes
    assert outcome.status == "failed"
    assert "decompression bomb" in str(outcome.reason)
    assert scan_file(path).error == outcome.reason
