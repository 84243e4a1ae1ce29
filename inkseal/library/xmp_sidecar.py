"""XMP sidecars: written beside exported copies, read beside imported files.

Written: the IPTC Digital Source Type of the declared class, the IPTC Photo Metadata 2025.1 AI
fields (Iptc4xmpExt:AISystemUsed, AISystemVersionUsed, AIPromptInformation: plain text), the
creator, title, description and keywords (Dublin Core), and the tool (xmp:CreatorTool). A
file that exiftool, digiKam and Lightroom read, because it is ordinary RDF/XML.

Read: a sidecar found next to an imported image ("name.xmp", as Lightroom writes, or
"name.ext.xmp", as digiKam and darktable write) is untrusted input, parsed by the same safe XMP
reader as embedded XMP; what it says becomes findings like embedded XMP's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from inkseal import __version__
from inkseal.library.detect.base import Finding
from inkseal.library.dto import WorkDetail

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPES = {
    "human-made": "digitalCreation",
    "ai-assisted": "compositeWithTrainedAlgorithmicMedia",
    "ai-generated": "trainedAlgorithmicMedia",
}
MAX_TEXT = 20_000
MAX_SIDECAR = 4 << 20


def _clean(text: str) -> str:
    kept = "".join(ch for ch in text if ch in "\t\n" or ch.isprintable())
    return escape(kept[:MAX_TEXT], {'"': "&quot;"})


def _alt(tag: str, text: str) -> str:
    return f'<{tag}><rdf:Alt><rdf:li xml:lang="x-default">{_clean(text)}</rdf:li></rdf:Alt></{tag}>'


def _list(tag: str, kind: str, items: list[str]) -> str:
    lis = "".join(f"<rdf:li>{_clean(i)}</rdf:li>" for i in items)
    return f"<{tag}><rdf:{kind}>{lis}</rdf:{kind}></{tag}>"


def sidecar_xmp(work: WorkDetail, *, file_name: str | None = None) -> bytes:
    """The XMP sidecar for an exported copy of `work` (see the module docstring)."""
    parts: list[str] = []
    term = SOURCE_TYPES.get(work.provenance_class)
    if term:
        parts.append(f"<Iptc4xmpExt:DigitalSourceType>{IPTC}{term}</Iptc4xmpExt:DigitalSourceType>")
    uses = list(work.declaration.ai_uses) if work.declaration else []
    if uses:
        parts.append(
            f"<Iptc4xmpExt:AISystemUsed>{_clean('; '.join(u.tool for u in uses))}"
            "</Iptc4xmpExt:AISystemUsed>"
        )
        notes = "; ".join(f"{u.tool}: {u.stage}" + (f" ({u.note})" if u.note else "") for u in uses)
        parts.append(
            f"<Iptc4xmpExt:AIPromptInformation>{_clean(notes)}</Iptc4xmpExt:AIPromptInformation>"
        )
    if work.creator:
        parts.append(_list("dc:creator", "Seq", [work.creator]))
    parts.append(_alt("dc:title", work.title))
    if work.description:
        parts.append(_alt("dc:description", work.description))
    if work.tags:
        parts.append(_list("dc:subject", "Bag", list(work.tags)))
    parts.append(f"<xmp:CreatorTool>Inkseal {_clean(__version__)}</xmp:CreatorTool>")
    about = _clean(file_name or "")
    body = "".join(parts)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="{about}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    ).encode()


def sidecar_for(image_path: Path) -> Path | None:
    """The sidecar beside an image, "name.ext.xmp" or "name.xmp" (any case), or None."""
    folder = image_path.parent
    wanted = {f"{image_path.name}.xmp".lower(), f"{image_path.stem}.xmp".lower()}
    try:
        for entry in folder.iterdir():
            if entry.name.lower() in wanted and entry.is_file():
                return entry
    except OSError:
        return None
    return None


def read_sidecar(path: Path) -> list[Finding]:
    """What an XMP sidecar says about its image, as findings; [] when it says nothing or
    cannot be read (it is only a hint beside the file)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SIDECAR + 1)
    except OSError:
        return []
    if not raw or len(raw) > MAX_SIDECAR:
        return []
    try:
        from inkseal.library.detect.xmp_iptc import _ai_fields_finding, _source_type_findings
        from inkseal.library.metadata import _Context, _parse_xmp

        flat: dict[str, Any] | None = _parse_xmp(raw, _Context(raw, "XMP", None), "XMP sidecar")
        if not flat:
            return []
        found = _source_type_findings(flat)
        ai = _ai_fields_finding(flat)
        if ai is not None:
            found.append(ai)
    except Exception:  # hostile XML must not stop an import
        return []
    return [_in_sidecar(f, path.name) for f in found]


def _in_sidecar(f: Finding, name: str) -> Finding:
    from dataclasses import replace

    source = f.source.replace("xmp:", "xmp-sidecar:", 1)
    detail = f"{f.detail} (in the sidecar {name[:100]})" if f.detail else f"in the sidecar {name}"
    return replace(f, source=source, detail=detail)
