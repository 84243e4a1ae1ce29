"""Building detector input the way the importer does, for tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from inkseal.library.detect.base import FileFacts
from inkseal.library.formats import sniff
from inkseal.library.imaging import DecodeError, open_image
from inkseal.library.metadata import extract_metadata


def assert_scan_reads_alike(data: bytes) -> None:
    """`scan` reads less than import does (metadata.extract_metadata with complete=False:
    no exifread, only the XMP properties detectors use, fewer files opened by Pillow). Its
    findings, suggestion and Content Credentials summary must still be import's, exactly."""
    from inkseal.library.probe import RawFile, ReadError, probe_file

    if sniff(data) is None:
        return
    raw = RawFile(Path("x"), data, hashlib.sha256(data).hexdigest(), datetime.now(UTC))
    try:
        full = probe_file(raw).detection
    except ReadError:
        return
    light = probe_file(raw, open_now=False, complete=False).detection
    assert light.findings == full.findings
    assert light.suggested_class == full.suggested_class
    assert light.c2pa == full.c2pa
    assert light.errors == full.errors
    assert_png_texts_shared_alike(data)


def assert_png_texts_shared_alike(data: bytes) -> bool:
    """The PNG text chunks the metadata reading hands on to the detectors, when it does,
    are exactly what `text_chunks` decodes on its own. True if they were handed on."""
    from inkseal.library.pngchunks import text_chunks

    handed = False
    for complete in (True, False):
        shared: list[tuple[object, ...]] = []
        extract_metadata(data, "PNG", None, complete=complete, png_texts=shared)  # type: ignore[arg-type]
        if shared:
            assert list(shared[0]) == text_chunks(data)
            handed = True
    return handed


def facts_for(path_or_bytes: Path | bytes) -> FileFacts:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    assert_scan_reads_alike(data)
    fmt = sniff(data)
    assert fmt is not None
    try:
        img = open_image(data)
    except DecodeError:
        img = None
    return FileFacts(data, fmt.name, extract_metadata(data, fmt.name, img), img)


def xmp_packet(**props: str) -> str:
    """A minimal XMP packet with the given properties as rdf:Description attributes."""
    ns = {
        "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
        "photoshop": "http://ns.adobe.com/photoshop/1.0/",
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "dc": "http://purl.org/dc/elements/1.1/",
    }
    attrs = " ".join(f'{k.replace("__", ":")}="{v}"' for k, v in props.items())
    decls = " ".join(f'xmlns:{p}="{u}"' for p, u in ns.items())
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {decls} {attrs}/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def png_with_xmp(path: Path, packet: str, seed: int = 0) -> Path:
    from PIL import PngImagePlugin

    from tests.images import gradient

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    path.parent.mkdir(parents=True, exist_ok=True)
    gradient(seed=seed).save(path, "PNG", pnginfo=info)
    return path
