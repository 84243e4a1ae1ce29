"""Making a provenance report: check the files now, gather the record, render, embed the
manifest, sign, write. One entry point for the GUI and the command line."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkseal.library.errors import InvalidInput
from inkseal.library.events import append_event
from inkseal.library.library import Library
from inkseal.library.safewrite import write_file
from inkseal.library.verify import check_chain, check_files_of
from inkseal.library.works import get_work
from inkseal.reports.manifest import (
    MANIFEST_NAME,
    ReportOptions,
    build_manifest,
    new_report_id,
)
from inkseal.reports.render import picture_bytes, render_pdf

ReportProgress = Callable[[int, int, str], None]
MAX_WORKS = 5000


@dataclass(frozen=True)
class ReportResult:
    path: Path
    report_id: str
    work_ids: tuple[int, ...]
    signed: bool
    integrity_ok: bool
    manifest: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "report_id": self.report_id,
            "works": list(self.work_ids),
            "signed": self.signed,
            "integrity_ok": self.integrity_ok,
        }


def ensure_qt() -> None:
    """Reports are drawn with QtGui, which needs a QGuiApplication; the command line has none,
    so one is made on the offscreen platform (no display needed)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        ensure_qt.app = QGuiApplication(["inkseal"])  # type: ignore[attr-defined]


def embed_manifest(pdf: bytes, manifest: dict[str, Any]) -> bytes:
    """The PDF with the manifest as a file attachment (and its document info filled in)."""
    from pypdf import PdfReader, PdfWriter

    from inkseal.reports.pdftext import fix_text_maps

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    fix_text_maps(writer)
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    writer.add_attachment(MANIFEST_NAME, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read_manifest(pdf: bytes) -> dict[str, Any] | None:
    """The manifest attached to a report, or None when there is none (or it is damaged)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        found = reader.attachments.get(MANIFEST_NAME)
        if not found:
            return None
        value = json.loads(found[0])
        return value if isinstance(value, dict) else None
    except Exception:
        return None


THUMB_SIDE = 512  # the library's own thumbnails are this size


def _pictures(works: list[Any]) -> Callable[..., bytes | None]:
    """`picture_of(file, max_side)` for the renderer. Small pictures come from the library's
    thumbnails; the large one of each work is decoded from its file, all of them up front on
    two threads (Pillow lets go of the interpreter while it decodes)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = {f.info.id: (f.info.path, f.info.thumb_path) for w in works for f in w.files}
    big: dict[int, bytes | None] = {}

    def large(file_id: int) -> bytes | None:
        path, thumb = paths[file_id]
        return picture_bytes(path) or picture_bytes(thumb)

    primaries = [
        next((f.info.id for f in w.files if f.info.role == "primary"), None) for w in works
    ]
    wanted = [fid for fid in primaries if fid is not None]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="inkseal-report") as pool:
        big.update(zip(wanted, pool.map(large, wanted), strict=True))

    def picture_of(file: dict[str, Any] | None, max_side: int = 1200) -> bytes | None:
        if file is None or file["id"] not in paths:
            return None
        path, thumb = paths[file["id"]]
        if max_side <= THUMB_SIDE:
            return picture_bytes(thumb, max_side) or picture_bytes(path, max_side)
        if file["id"] in big:
            return big[file["id"]]
        return picture_bytes(path, max_side) or picture_bytes(thumb, max_side)

    return picture_of


def make_report(
    lib: Library,
    work_ids: list[int],
    out: str | os.PathLike[str],
    *,
    options: ReportOptions | None = None,
    sign: bool = True,
    passphrase: str | None = None,
    progress: ReportProgress | None = None,
) -> ReportResult:
    """Write a certificate (one work) or portfolio (options.kind) to `out`."""
    options = options or ReportOptions(kind="certificate" if len(work_ids) == 1 else "portfolio")
    ids = list(dict.fromkeys(work_ids))
    if not ids:
        raise InvalidInput("a report needs at least one work")
    if len(ids) > MAX_WORKS:
        raise InvalidInput(f"a report holds at most {MAX_WORKS} works")
    if options.kind == "certificate" and len(ids) != 1:
        raise InvalidInput("a certificate is for one work; make a portfolio for several")
    total = len(ids) + 3

    def step(done: int, what: str) -> None:
        if progress:
            progress(done, total, what)

    material = None
    signer = None
    if sign:
        from inkseal.library.identity import load_identity, signing_material

        info = load_identity(lib.root)
        if info is None:
            raise InvalidInput(
                "no signing identity yet: create one in Preferences (or `inkseal identity "
                "create NAME`), or make the report unsigned"
            )
        material = signing_material(lib.root, passphrase)
        signer = {"name": info.name, "email": info.email, "fingerprint": info.fingerprint_sha256}
    works = []
    for n, wid in enumerate(ids):
        works.append(get_work(lib, wid))
        step(n + 1, "reading the record")
    checks = check_files_of(lib, ids)
    checked, broken, why = check_chain(lib)
    step(len(ids) + 1, "checking the files")
    report_id = new_report_id()
    manifest = build_manifest(
        works,
        checks,
        report_id=report_id,
        options=options,
        chain={"checked": checked, "ok": broken is None, "first_broken": broken, "problem": why},
        signer=signer,
    )
    manifest["report"]["thumbnails"] = options.include_thumbnails
    picture_of = _pictures(works)

    ensure_qt()
    pdf = render_pdf(manifest, picture_of, paper=options.paper, compact=options.compact)
    step(len(ids) + 2, "rendering")
    pdf = embed_manifest(pdf, manifest)
    if material is not None:
        from inkseal.reports.signing import sign_pdf

        pdf = sign_pdf(pdf, material, reason="Inkseal provenance report")
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(target, pdf)
    with lib.write.begin() as s:
        for wid in ids:
            append_event(
                s,
                "work.exported",
                wid,
                {
                    "what": f"{options.kind} report",
                    "to": target.name,
                    "report_id": report_id,
                    "signed": material is not None,
                },
            )
    step(total, "done")
    return ReportResult(
        path=target,
        report_id=report_id,
        work_ids=tuple(ids),
        signed=material is not None,
        integrity_ok=manifest["integrity"]["files_ok"] and broken is None,
        manifest=manifest,
    )
