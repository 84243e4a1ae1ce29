"""Checking a provenance report someone sent: is it signed, unchanged since, and do the files
it names still have the fingerprints it gives?

Works without the library that made the report: the signature and the embedded manifest are
inside the PDF. Given the library, or the files themselves, every SHA-256 is checked too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inkseal.reports.report import read_manifest

MAX_PDF_BYTES = 512 << 20


@dataclass(frozen=True)
class FileMatch:
    work_id: Any
    name: str
    sha256: str
    status: str  # "ok", "modified", "missing", "not checked"
    where: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "name": self.name,
            "sha256": self.sha256,
            "status": self.status,
            "where": self.where,
        }


@dataclass(frozen=True)
class ReportCheck:
    path: str
    signature: dict[str, Any] | None
    signature_ok: bool
    signature_words: str
    manifest_found: bool
    report_id: str | None
    works: int
    files: tuple[FileMatch, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "report_id": self.report_id,
            "works": self.works,
            "signature": self.signature,
            "manifest_found": self.manifest_found,
            "files": [f.to_json() for f in self.files],
            "problems": list(self.problems),
        }

    def summary(self) -> str:
        lines = [self.signature_words]
        if self.manifest_found:
            lines.append(f"Report {self.report_id}: {self.works} work(s).")
        checked = [f for f in self.files if f.status != "not checked"]
        if checked:
            good = sum(f.status == "ok" for f in checked)
            lines.append(f"{good} of {len(checked)} file(s) have the fingerprint the report gives.")
            for f in checked:
                if f.status != "ok":
                    lines.append(f"  {f.status}: {f.name} (work #{f.work_id})")
        lines += [f"problem: {p}" for p in self.problems]
        lines.append("report verified: OK" if self.ok else "report verified: PROBLEMS FOUND")
        return "\n".join(lines)


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _hashes_in(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """SHA-256 -> path for the given files and the files in the given folders."""
    found: dict[str, str] = {}
    for raw in paths:
        p = Path(raw)
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())
        for f in files:
            try:
                found.setdefault(_sha256_of(f), str(f))
            except OSError:
                continue
    return found


def _library_files(library: Any, shas: set[str]) -> dict[str, tuple[str, str]]:
    """SHA-256 -> (path, status) for the library's copies of these files, re-hashed."""
    from sqlalchemy import select

    from inkseal.models.entities import Asset

    with library.read() as s:
        rows = s.execute(
            select(Asset.sha256, Asset.stored_path, Asset.referenced_path).where(
                Asset.sha256.in_(sorted(shas))
            )
        ).all()
    out: dict[str, tuple[str, str]] = {}
    for sha, stored, referenced in rows:
        path = library.root / stored if stored else Path(referenced or "")
        try:
            status = "ok" if _sha256_of(path) == sha else "modified"
        except OSError:
            status = "missing"
        if out.get(sha, ("", ""))[1] != "ok":
            out[sha] = (str(path), status)
    return out


def verify_report(
    path: str | os.PathLike[str],
    *,
    library: Any = None,
    files: Sequence[str | os.PathLike[str]] = (),
    trusted: Sequence[bytes] = (),
) -> ReportCheck:
    """Check a report; see the module docstring. `trusted`: certificates (PEM or DER) the
    reader chooses to trust; a library's own identity is trusted when it is given."""
    from inkseal.reports.signing import check_pdf_signature

    where = str(path)
    problems: list[str] = []
    try:
        size = os.path.getsize(path)
        if size > MAX_PDF_BYTES:
            raise OSError(f"too large ({size} bytes)")
        pdf = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return ReportCheck(where, None, False, f"cannot be read: {reason}", False, None, 0, (), (
            f"the report cannot be read: {reason}",
        ))  # fmt: skip
    trust = list(trusted)
    # Certificates named by the reader must be the signer's; the library's own identity is
    # trusted when it signed, and not required.
    require_trust = bool(trusted)
    if library is not None:
        from inkseal.library.identity import export_certificate, has_identity

        if has_identity(library.root):
            trust.append(export_certificate(library.root))
    check = check_pdf_signature(pdf, trust)
    signature_ok = check.ok(require_trust=require_trust)
    if not check.signed:
        problems.append("the report is not signed: nothing shows it was not changed")
    elif not signature_ok:
        problems += list(check.problems) or ["the signature does not verify"]
    manifest = read_manifest(pdf)
    matches: list[FileMatch] = []
    if manifest is None:
        problems.append("the report carries no readable Inkseal manifest")
        works: list[dict[str, Any]] = []
    else:
        works = [w for w in manifest.get("works", []) if isinstance(w, dict)]
    entries = [(w.get("id"), f) for w in works for f in w.get("files", []) if isinstance(f, dict)]
    shas = {str(f.get("sha256")) for _, f in entries}
    given = _hashes_in(files) if files else {}
    in_library = _library_files(library, shas) if library is not None else {}
    for wid, f in entries:
        sha, name = str(f.get("sha256")), str(f.get("name"))
        if sha in given:
            matches.append(FileMatch(wid, name, sha, "ok", given[sha]))
        elif sha in in_library:
            where_, status = in_library[sha]
            matches.append(FileMatch(wid, name, sha, status, where_))
        elif library is not None:
            matches.append(FileMatch(wid, name, sha, "missing"))
        else:
            matches.append(FileMatch(wid, name, sha, "not checked"))
    for m in matches:
        if m.status in ("modified", "missing"):
            problems.append(f"{m.name} (work #{m.work_id}) is {m.status}")
    report = manifest.get("report", {}) if manifest else {}
    return ReportCheck(
        path=where,
        signature=check.to_json(),
        signature_ok=signature_ok,
        signature_words=check.summary(),
        manifest_found=manifest is not None,
        report_id=report.get("id") if isinstance(report, dict) else None,
        works=len(works),
        files=tuple(matches),
        problems=tuple(problems),
    )
