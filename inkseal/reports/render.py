"""Rendering provenance reports to PDF with Qt (QTextDocument on a QPdfWriter).

Everything on the pages comes from the manifest (see manifest.py) and is escaped: a title such
as `<img src="file:///etc/passwd">` prints as those characters. The document loads nothing by
itself: pictures are handed to it as resources under the app's own `inkseal:` names, and any
other name it is asked for gives nothing.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QTextDocument,
)

from inkseal.library.evidence import ROLE_WORDS
from inkseal.reports.manifest import CLASS_WORDS

e = html.escape
# Gives a file's picture (a manifest file entry, the longest side) as image bytes, or None.
PictureOf = Callable[..., bytes | None]
SERIF = ["DejaVu Serif", "Noto Serif CJK SC", "Noto Serif CJK JP", "serif"]
SANS = ["Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans", "sans-serif"]
CLASS_COLOURS = {
    "human-made": "#2e7d32",
    "ai-assisted": "#1565c0",
    "ai-generated": "#6a1b9a",
    "undeclared": "#616161",
}
SEAL_RED = "#b3261e"
STAGE_WORDS = {"colouring": "colouring", "wip": "work in progress"}
MAX_PICTURE_SIDE = 1200


class _SafeDocument(QTextDocument):
    """A text document that only shows the pictures it was given."""

    def loadResource(self, kind: int, name: QUrl | str) -> Any:  # noqa: N802
        url = QUrl(name) if isinstance(name, str) else name
        if url.scheme() == "inkseal":
            return super().loadResource(kind, url)
        return QByteArray()


@dataclass
class Pictures:
    """Pictures for the pages, as PNG/JPEG bytes by resource name, decoded with Pillow's
    limits (never by Qt from a path)."""

    images: dict[str, QImage] = field(default_factory=dict)

    def add(self, name: str, data: bytes | None) -> str | None:
        if not data:
            return None
        image = QImage.fromData(data)
        if image.isNull():
            return None
        self.images[name] = image
        return f"inkseal:{name}"


def picture_bytes(path: str | None, max_side: int = MAX_PICTURE_SIDE) -> bytes | None:
    """A file's picture, oriented and reduced, as JPEG (PNG with transparency), or None."""
    if not path or not Path(path).is_file():
        return None
    try:
        from inkseal.library.imaging import open_image

        img = open_image(Path(path).read_bytes())
        from PIL import Image, ImageOps

        if img.format == "JPEG":
            img.draft("RGB", (max_side, max_side))
        img = ImageOps.exif_transpose(img)
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            img.convert("RGBA").save(out, "PNG")
        else:
            img.convert("RGB").save(out, "JPEG", quality=88)
        return out.getvalue()
    except Exception:  # an unreadable picture leaves a gap, never a failed report
        return None


def seal_image(side: int = 240) -> QImage:
    """The red seal: a square stamp with 印 cut into it."""
    image = QImage(side, side, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    inset = side * 0.06
    path.addRoundedRect(QRectF(inset, inset, side - 2 * inset, side - 2 * inset), 18, 18)
    p.fillPath(path, QColor(SEAL_RED))
    p.setPen(QColor("white"))
    font = QFont()
    font.setFamilies(SERIF)
    font.setPixelSize(int(side * 0.55))
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, -side * 0.02, side, side), Qt.AlignmentFlag.AlignCenter, "印")
    p.end()
    return image


STYLE = f"""
body {{ font-family: {", ".join(repr(f) for f in SERIF)}; font-size: 10pt; color: #222; }}
h1 {{ font-size: 20pt; margin: 0; }}
h2 {{ font-size: 12.5pt; color: {SEAL_RED}; margin-top: 14pt; margin-bottom: 4pt;
      border-bottom: 1px solid #ccc; }}
.small {{ font-size: 8pt; color: #555; }}
.mono {{ font-family: 'DejaVu Sans Mono', monospace; font-size: 7.5pt; }}
.warn {{ background-color: #fdecea; color: #8a1c14; }}
td {{ vertical-align: top; }}
th {{ text-align: left; background-color: #f2efe9; }}
"""


def _fmt_date(text: str | None) -> str:
    if not text:
        return "—"
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return e(text)


def _badge(cls: str) -> str:
    colour = CLASS_COLOURS.get(cls, "#616161")
    return (
        f"<span style='background-color:{colour}; color:white; font-weight:bold'>"
        f"&nbsp;{e(cls)}&nbsp;</span>"
    )


def _rows(pairs: list[tuple[str, str | None]]) -> str:
    cells = "".join(
        f"<tr><td width='22%' class='small'>{e(k)}</td><td>{v}</td></tr>" for k, v in pairs if v
    )
    return f"<table cellspacing='0' cellpadding='2' width='100%'>{cells}</table>"


def certificate_html(
    work: dict[str, Any], report: dict[str, Any], pictures: Pictures, picture_of: PictureOf
) -> str:
    """One work's certificate. `picture_of(file) -> bytes | None` gives a file's picture."""
    w = work
    parts: list[str] = []
    seal = "inkseal:seal"
    parts.append(
        "<table width='100%' cellspacing='0'><tr>"
        f"<td width='70'><img src='{seal}' width='58' height='58'></td>"
        f"<td><h1>{e(w['title'])}</h1>"
        f"<div class='small'>Provenance certificate · work #{w['id']} · made with Inkseal"
        "</div></td></tr></table>"
    )
    parts.append(
        _rows(
            [
                ("Creator", e(w["creator"]) if w.get("creator") else None),
                ("Created", e(w["creation_date"]) if w.get("creation_date") else None),
                ("Medium", e(w["medium"]) if w.get("medium") else None),
                ("Tags", e(", ".join(w.get("tags") or [])) or None),
                ("Series", e(", ".join(w.get("collections") or [])) or None),
            ]
        )
    )
    primary = next((f for f in w["files"] if f["role"] == "primary"), None)
    if primary is not None:
        src = pictures.add(f"work/{w['id']}", picture_of(primary))
        if src:
            parts.append(f"<p align='center'><img src='{src}' width='420'></p>")
    if w.get("description"):
        parts.append(f"<p>{e(w['description'])}</p>")

    # Declared ---------------------------------------------------------------------------
    cls = w["class"]
    parts.append("<h2>What the artist declares</h2>")
    parts.append(f"<p>{_badge(cls)} &nbsp;<b>{e(CLASS_WORDS.get(cls, cls))}</b></p>")
    if w.get("iptc_digital_source_type"):
        parts.append(
            f"<p class='small'>IPTC Digital Source Type: {e(w['iptc_digital_source_type'])}</p>"
        )
    decl = w.get("declaration")
    uses = decl.get("ai_uses", []) if decl else []
    if uses:
        rows = "".join(
            f"<tr><td>{e(u.get('tool') or '')}</td><td>{e(u.get('stage') or '')}</td>"
            f"<td>{e(u.get('note') or '')}</td></tr>"
            for u in uses
        )
        parts.append(
            "<table cellspacing='0' cellpadding='3' width='100%' border='0'>"
            "<tr><th>AI tool</th><th>Stage</th><th>What it did</th></tr>"
            f"{rows}</table>"
        )
    elif cls != "undeclared":
        parts.append("<p><b>No generative AI declared.</b></p>")
    if decl:
        who = f" by {e(decl['declared_by'])}" if decl.get("declared_by") else ""
        parts.append(f"<p class='small'>Declared{who} on {_fmt_date(decl.get('declared_at'))}</p>")
        if decl.get("note"):
            parts.append(f"<p><i>{e(decl['note'])}</i></p>")

    # Detected ---------------------------------------------------------------------------
    parts.append("<h2>What the files say about themselves</h2>")
    if w.get("needs_review"):
        parts.append(
            "<p class='warn'><b>The declaration and the files disagree.</b> "
            f"{e(w.get('review_reason') or '')}</p>"
        )
    found = [(f, s) for f in w["files"] for s in f["signals"]]
    if found:
        rows = "".join(
            f"<tr><td>{e(f['name'])}</td><td>{e(s['source'])}</td>"
            f"<td>{e(s.get('tool') or s.get('family') or '')}"
            + (" (signature valid)" if s.get("verified") is True else "")
            + (" (unverified)" if s.get("verified") is False else "")
            + f"</td><td>{e(s.get('verdict') or '—')}</td></tr>"
            + (
                f"<tr><td></td><td colspan='3' class='small'>{e(s['detail'][:400])}</td></tr>"
                if s.get("detail")
                else ""
            )
            + (
                f"<tr><td></td><td colspan='3' class='small'>Prompt: {e(s['prompt'][:600])}"
                "</td></tr>"
                if s.get("prompt")
                else ""
            )
            for f, s in found[:40]
        )
        parts.append(
            "<table cellspacing='0' cellpadding='3' width='100%'>"
            "<tr><th>File</th><th>Where</th><th>Tool</th><th>Suggests</th></tr>"
            f"{rows}</table>"
        )
    else:
        parts.append(
            "<p>No file carries generator parameters, Content Credentials or AI fields.</p>"
        )
    for f in w["files"]:
        c2pa = f.get("c2pa")
        if c2pa:
            state = c2pa.get("validation_state") or "unknown"
            parts.append(
                f"<p class='small'><b>Content Credentials in {e(f['name'])}</b>: signed by "
                f"{e(str(c2pa.get('signer') or 'unknown'))}, validation {e(str(state))}. "
                "A valid signature proves who signed, not that a person made the work.</p>"
            )
    suggestion = w.get("suggested_class")
    if suggestion and suggestion != "unknown":
        parts.append(f"<p class='small'>The files suggest: {e(suggestion)}.</p>")

    # Process ----------------------------------------------------------------------------
    evidence = sorted(
        w["files"], key=lambda f: f.get("file_modified_at") or f.get("imported_at") or ""
    )
    parts.append("<h2>Process: the files, in the order they were made</h2>")
    steps: list[str] = []
    for n, f in enumerate(evidence):
        thumb = pictures.add(f"file/{f['id']}", picture_of(f, 192)) if report["thumbs"] else None
        pic = f"<img src='{thumb}' width='64'>" if thumb else ""
        size = f", {f['width']}×{f['height']}" if f.get("width") and f.get("height") else ""
        steps.append(
            f"<tr><td width='72'>{pic}</td><td><b>{e(ROLE_WORDS.get(f['role'], f['role']))}"
            f"</b> · {e(f['name'])}<br><span class='small'>{e(f['media_type'])}{size}, "
            f"{f['size']:,} bytes · made {_fmt_date(f.get('file_modified_at'))} · imported "
            f"{_fmt_date(f.get('imported_at'))}</span><br>"
            f"<span class='mono'>SHA-256 {e(f['sha256'])}</span></td></tr>"
        )
        if n < len(evidence) - 1:
            steps.append("<tr><td align='center' class='small'>↓</td><td></td></tr>")
    parts.append(f"<table cellspacing='0' cellpadding='2' width='100%'>{''.join(steps)}</table>")

    if w.get("links"):
        parts.append("<h2>Related works</h2><p>")
        parts.append(
            "<br>".join(
                f"{e(_link_words(x['kind'], x['direction']))} work #{x['work_id']} "
                f"“{e(x['title'])}”"
                for x in w["links"]
            )
        )
        parts.append("</p>")

    if w.get("declarations"):
        parts.append("<h2>Declarations over time</h2><p class='small'>")
        parts.append(
            "<br>".join(
                f"{_fmt_date(d.get('declared_at'))}: {e(d.get('class') or '')}"
                + (f" ({len(d['ai_uses'])} AI use(s))" if d.get("ai_uses") else "")
                for d in w["declarations"]
            )
        )
        parts.append("</p>")

    # Integrity --------------------------------------------------------------------------
    parts.append("<h2>Integrity when this report was made</h2>")
    bad = [f for f in w["files"] if f.get("integrity") != "ok"]
    if not bad:
        parts.append(
            f"<p>All {len(w['files'])} file(s) were read again and match the SHA-256 "
            "recorded when they entered the library.</p>"
        )
    else:
        parts.append(
            "<p class='warn'>"
            + "<br>".join(
                f"{e(f['name'])}: {e(str(f.get('integrity')))} — "
                f"{e(str(f.get('integrity_detail') or ''))}"
                for f in bad
            )
            + "</p>"
        )
    chain = report.get("chain") or {}
    if chain:
        parts.append(
            "<p class='small'>"
            + (
                f"The library's history ({chain.get('checked')} entries, each chained to the "
                "one before by SHA-256) is intact."
                if chain.get("ok")
                else f"The library's history is broken at entry #{chain.get('first_broken')}: "
                f"{e(str(chain.get('problem') or ''))}"
            )
            + f" This work's history has {len(w.get('history') or [])} entries; the newest is "
            + (e(w["history"][-1]["hash"]) if w.get("history") else "—")
            + ".</p>"
        )
    return "".join(parts)


def _link_words(kind: str, direction: str) -> str:
    from inkseal.library.history import link_words

    return link_words(kind, direction).capitalize()


def how_to_check_html(report: dict[str, Any]) -> str:
    signed = report.get("signer")
    return (
        "<h2>How to check this report</h2>"
        "<p>Each file's fingerprint is its SHA-256. Compute it for a copy of the file and "
        "compare it with the one printed here: <span class='mono'>sha256sum FILE</span> "
        "(Linux), <span class='mono'>shasum -a 256 FILE</span> (macOS) or "
        "<span class='mono'>certutil -hashfile FILE SHA256</span> (Windows). Any change to the "
        "file, even one pixel, gives a different fingerprint.</p>"
        "<p>Everything in this report is also inside the PDF as a file attachment, "
        "<span class='mono'>inkseal-manifest.json</span>, for programs to read.</p>"
        + (
            f"<p>This PDF is signed by {e(str(signed.get('name') or ''))} (certificate "
            f"fingerprint <span class='mono'>{e(str(signed.get('fingerprint') or ''))}</span>). "
            "A PDF reader shows the signature and says if the document was changed after "
            "signing; <span class='mono'>inkseal verify-report FILE.pdf</span> checks the same "
            "offline. A self-made certificate proves that the same key signed every report of "
            "this artist, not who the person is.</p>"
            if signed
            else "<p>This PDF is not signed: it shows what the library recorded, but anyone "
            "could have changed it since.</p>"
        )
        + f"<p class='small'>Report {e(report['id'])} · generated "
        f"{_fmt_date(report['generated_at'])} · {e(report['generator'])}</p>"
    )


def portfolio_html(
    manifest: dict[str, Any], pictures: Pictures, picture_of: PictureOf, compact: bool
) -> str:
    works = manifest["works"]
    counts: dict[str, int] = {}
    for w in works:
        counts[w["class"]] = counts.get(w["class"], 0) + 1
    creators = sorted({w["creator"] for w in works if w.get("creator")})
    parts = [
        "<table width='100%'><tr><td width='90'><img src='inkseal:seal' width='80' "
        "height='80'></td><td><h1>Portfolio provenance report</h1>"
        + (f"<p>{e(', '.join(creators))}</p>" if creators else "")
        + f"<p class='small'>{len(works)} work(s) · made with Inkseal</p></td></tr></table>",
        "<h2>How these works were made, as declared</h2><table cellpadding='3'>",
    ]
    for cls in ("human-made", "ai-assisted", "ai-generated", "undeclared"):
        if counts.get(cls):
            parts.append(
                f"<tr><td>{_badge(cls)}</td><td>{counts[cls]}</td>"
                f"<td class='small'>{e(CLASS_WORDS[cls])}</td></tr>"
            )
    parts.append("</table>")
    review = [w for w in works if w.get("needs_review")]
    if review:
        parts.append(
            f"<p class='warn'>{len(review)} work(s) carry file metadata that disagrees with "
            "the declaration; each section says why.</p>"
        )
    parts.append(
        "<h2>Summary</h2><table cellspacing='0' cellpadding='3' width='100%'>"
        "<tr><th>#</th><th>Title</th><th>Declared</th><th>Files</th><th>Integrity</th></tr>"
    )
    for w in works:
        ok = all(f.get("integrity") == "ok" for f in w["files"])
        parts.append(
            f"<tr><td>{w['id']}</td><td>{e(w['title'])}"
            + (" <b>(needs review)</b>" if w.get("needs_review") else "")
            + f"</td><td>{e(w['class'])}</td><td>{len(w['files'])}</td>"
            f"<td>{'verified' if ok else '<b>problem</b>'}</td></tr>"
        )
    parts.append("</table>")
    report = _report_context(manifest)
    for w in works:
        parts.append("<div style='page-break-before: always'></div>")
        if compact:
            parts.append(_compact_html(w, pictures, picture_of))
        else:
            parts.append(certificate_html(w, report, pictures, picture_of))
    parts.append("<div style='page-break-before: always'></div>")
    parts.append(how_to_check_html(report))
    return "".join(parts)


def _compact_html(w: dict[str, Any], pictures: Pictures, picture_of: PictureOf) -> str:
    primary = next((f for f in w["files"] if f["role"] == "primary"), None)
    src = pictures.add(f"work/{w['id']}", picture_of(primary, 400)) if primary else None
    pic = f"<img src='{src}' width='140'>" if src else ""
    uses = (w.get("declaration") or {}).get("ai_uses") or []
    return (
        f"<table width='100%' cellpadding='4'><tr><td width='150'>{pic}</td><td>"
        f"<h2>#{w['id']} {e(w['title'])}</h2>{_badge(w['class'])} "
        f"{e(CLASS_WORDS.get(w['class'], w['class']))}<br>"
        + (
            "AI use: " + e("; ".join(f"{u.get('tool')} ({u.get('stage')})" for u in uses))
            if uses
            else ("No generative AI declared." if w["class"] != "undeclared" else "")
        )
        + (
            f"<br><span class='warn'>{e(w.get('review_reason') or '')}</span>"
            if w.get("needs_review")
            else ""
        )
        + "<br>"
        + "<br>".join(
            f"<span class='mono'>{e(ROLE_WORDS.get(f['role'], f['role']))}: {e(f['sha256'])}</span>"
            for f in w["files"]
        )
        + "</td></tr></table>"
    )


def _report_context(manifest: dict[str, Any]) -> dict[str, Any]:
    r = manifest["report"]
    chain = (manifest.get("integrity") or {}).get("history_chain") or {}
    return {
        "id": r["id"],
        "generated_at": r["generated_at"],
        "generator": r["generator"],
        "thumbs": r.get("thumbnails", True),
        "chain": chain,
        "signer": manifest.get("signer"),
    }


def document_html(
    manifest: dict[str, Any], picture_of: PictureOf, compact: bool
) -> tuple[str, Pictures]:
    """The whole report as HTML, with the pictures it uses."""
    pictures = Pictures()
    if manifest["report"]["kind"] == "portfolio":
        body = portfolio_html(manifest, pictures, picture_of, compact)
    else:
        report = _report_context(manifest)
        body = certificate_html(manifest["works"][0], report, pictures, picture_of)
        body += how_to_check_html(report)
    return f"<html><head><style>{STYLE}</style></head><body>{body}</body></html>", pictures


def xmp_packet(title: str, author: str | None, report_id: str, generator: str) -> bytes:
    """The XMP metadata of the PDF: title, creator, the tool, and the report id."""
    x = html.escape
    creator = (
        f"<dc:creator><rdf:Seq><rdf:li>{x(author)}</rdf:li></rdf:Seq></dc:creator>"
        if author
        else ""
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
        'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{x(title)}</rdf:li></rdf:Alt>'
        f"</dc:title>{creator}"
        "<dc:format>application/pdf</dc:format>"
        f"<xmp:CreatorTool>{x(generator)}</xmp:CreatorTool>"
        f"<pdf:Producer>{x(generator)}</pdf:Producer>"
        f"<xmpMM:DocumentID>uuid:{x(report_id)}</xmpMM:DocumentID>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def render_pdf(
    manifest: dict[str, Any],
    picture_of: PictureOf,
    *,
    paper: str = "A4",
    compact: bool = False,
) -> bytes:
    """The report as PDF bytes (not yet carrying the manifest attachment or a signature)."""
    page = QPageSize(QPageSize.PageSizeId.Letter if paper == "Letter" else QPageSize.PageSizeId.A4)
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setPageLayout(
        QPageLayout(page, QPageLayout.Orientation.Portrait, QMarginsF(18, 16, 18, 16))
    )
    writer.setResolution(300)
    works = manifest["works"]
    title = (
        f"Provenance certificate: {works[0]['title']}"
        if manifest["report"]["kind"] == "certificate"
        else f"Portfolio provenance report ({len(works)} works)"
    )
    creators = sorted({w["creator"] for w in works if w.get("creator")})
    author = ", ".join(creators) or None
    generator = manifest["report"]["generator"]
    writer.setTitle(title)
    writer.setCreator(generator)
    if author:
        writer.setAuthor(author)
    writer.setDocumentXmpMetadata(
        QByteArray(xmp_packet(title, author, manifest["report"]["id"], generator))
    )
    text, pictures = document_html(manifest, picture_of, compact)
    doc = _SafeDocument()
    font = QFont()
    font.setFamilies(SERIF)
    font.setPointSizeF(10)
    doc.setDefaultFont(font)
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("inkseal:seal"), seal_image())
    for name, image in pictures.images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"inkseal:{name}"), image)
    doc.setHtml(text)
    doc.print_(writer)
    del writer  # finishes the PDF
    buf.close()
    return bytes(buf.data().data())
