"""Checking a library: are the files still what was imported, and is the record intact?

Three checks:
- every stored or referenced file is read again and its SHA-256 compared with the one
  recorded at import (missing, modified and unreadable files are named);
- the event log is walked from the first entry: each entry must name the previous entry's
  hash and hash to its own; the first entry that does not is named;
- the catalogue is compared with the log: each work's declarations, title, fields and files
  must be what its events say. A row changed by hand (a declaration edited in SQLite) shows
  up here even though the log itself is intact.

What it cannot see: the newest entries of the log removed together with everything they
describe leave a shorter, consistent record. A signed report or an exported copy made before
is the anchor that shows it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from inkseal.library.events import GENESIS_HASH, event_hash
from inkseal.library.importer import CancelToken
from inkseal.library.library import Library
from inkseal.models.entities import Asset, Declaration, Event, Work, utcnow

FileStatus = Literal["ok", "missing", "modified", "unreadable"]
VerifyProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileCheck:
    file_id: int
    work_id: int
    name: str
    path: str
    status: FileStatus
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "work_id": self.work_id,
            "name": self.name,
            "path": self.path,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class VerifyReport:
    files_checked: int
    file_problems: tuple[FileCheck, ...]
    events_checked: int
    # The id of the first event that does not follow from the one before it, and why.
    first_broken_event: int | None
    chain_problem: str | None
    # Rows of the catalogue that differ from what the log says, one line each.
    record_problems: tuple[str, ...]
    cancelled: bool = False
    verified_at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        return (
            not self.file_problems
            and self.first_broken_event is None
            and not self.record_problems
            and not self.cancelled
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verified_at": self.verified_at.isoformat(),
            "cancelled": self.cancelled,
            "files": {
                "checked": self.files_checked,
                "problems": [p.to_json() for p in self.file_problems],
            },
            "events": {
                "checked": self.events_checked,
                "chain_ok": self.first_broken_event is None,
                "first_broken_event": self.first_broken_event,
                "problem": self.chain_problem,
            },
            "records": {"problems": list(self.record_problems)},
        }

    def summary(self) -> str:
        """A few plain lines for the CLI and the GUI."""
        lines = []
        bad = len(self.file_problems)
        lines.append(
            f"{self.files_checked} file(s) checked: "
            + ("all as imported" if not bad else f"{bad} problem(s)")
        )
        for p in self.file_problems:
            lines.append(f"  {p.status}: work #{p.work_id} {p.name}" + _detail(p.detail))
        if self.first_broken_event is None:
            lines.append(f"{self.events_checked} history event(s): the chain is intact")
        else:
            lines.append(
                f"history broken at event #{self.first_broken_event}: {self.chain_problem}"
            )
        if self.record_problems:
            lines.append(f"{len(self.record_problems)} record(s) differ from the history:")
            lines.extend(f"  {p}" for p in self.record_problems)
        if self.cancelled:
            lines.append("cancelled before every file was checked")
        lines.append("verified: OK" if self.ok else "verified: PROBLEMS FOUND")
        return "\n".join(lines)


def _detail(text: str | None) -> str:
    return f" ({text})" if text else ""


def _hash_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _check_file(lib: Library, row: _Row) -> FileCheck:
    file_id, work_id, name, stored, referenced, sha = row
    path = lib.root / stored if stored else Path(referenced or "")
    where = str(path)
    try:
        actual = _hash_file(path)
    except FileNotFoundError:
        return FileCheck(file_id, work_id, name, where, "missing", "the file is not there")
    except IsADirectoryError:
        return FileCheck(file_id, work_id, name, where, "missing", "a folder is there instead")
    except PermissionError:
        return FileCheck(file_id, work_id, name, where, "unreadable", "permission denied")
    except OSError as exc:
        return FileCheck(file_id, work_id, name, where, "unreadable", exc.strerror or str(exc))
    if actual != sha:
        return FileCheck(
            file_id,
            work_id,
            name,
            where,
            "modified",
            f"SHA-256 is {actual[:16]}…, {sha[:16]}… was recorded",
        )
    return FileCheck(file_id, work_id, name, where, "ok")


_Row = tuple[int, int, str, str | None, str | None, str]


def _asset_rows(lib: Library, work_ids: list[int] | None = None) -> list[_Row]:
    """(file id, work id, name, stored path, referenced path, SHA-256) of the files to check."""
    stmt = select(
        Asset.id,
        Asset.work_id,
        Asset.original_name,
        Asset.stored_path,
        Asset.referenced_path,
        Asset.sha256,
    ).order_by(Asset.id)
    if work_ids is not None:
        stmt = stmt.where(Asset.work_id.in_(work_ids))
    with lib.read() as s:
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in s.execute(stmt)]


def _check_files(
    lib: Library, progress: VerifyProgress | None, cancel: CancelToken
) -> tuple[int, list[FileCheck], bool]:
    rows = _asset_rows(lib)
    results: list[FileCheck] = []
    cancelled = False
    workers = min(4, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inkseal-verify") as pool:
        # hashlib releases the GIL: files are hashed in parallel, in bounded batches so
        # that a cancel is noticed quickly and memory stays flat.
        for start in range(0, len(rows), 64):
            if cancel.cancelled:
                cancelled = True
                break
            batch = rows[start : start + 64]
            results += pool.map(lambda r: _check_file(lib, r), batch)
            if progress:
                progress(len(results), len(rows))
    _record_file_state(lib, results)
    return len(results), [r for r in results if r.status != "ok"], cancelled


def _record_file_state(lib: Library, results: list[FileCheck]) -> None:
    """Keep when each file was verified and what was found."""
    now = utcnow()
    by_status: dict[str, list[int]] = {}
    for r in results:
        by_status.setdefault(r.status, []).append(r.file_id)
    with lib.write.begin() as s:
        for status, ids in by_status.items():
            for start in range(0, len(ids), 500):
                s.execute(
                    update(Asset)
                    .where(Asset.id.in_(ids[start : start + 500]))
                    .values(verified_at=now, verify_status=status)
                )


def _events(s: Session) -> Iterator[Event]:
    """The whole log, oldest first, streamed from one read snapshot."""
    yield from s.scalars(select(Event).order_by(Event.id).execution_options(yield_per=2000))


def check_chain(lib: Library, session: Session | None = None) -> tuple[int, int | None, str | None]:
    """(events checked, first broken event id or None, why)."""
    if session is None:
        with lib.read() as s:
            return check_chain(lib, s)
    expected = GENESIS_HASH
    previous_id: int | None = None
    n = 0
    for ev in _events(session):
        n += 1
        if ev.prev_hash != expected:
            after = f"event #{previous_id}" if previous_id is not None else "the start"
            return (
                n,
                ev.id,
                f"it does not follow {after}: an event before it was removed or changed",
            )
        try:
            payload = json.loads(ev.payload_json)
            recomputed = event_hash(ev.prev_hash, ev.kind, ev.work_id, ev.at, payload)
        except (ValueError, TypeError):
            return n, ev.id, "its content cannot be read"
        if recomputed != ev.hash:
            return n, ev.id, "its content was changed after it was written"
        expected = ev.hash
        previous_id = ev.id
    return n, None, None


def _uses(value: Any) -> list[tuple[Any, Any, Any]]:
    if not isinstance(value, list):
        return []
    return [
        (u.get("tool"), u.get("stage"), u.get("note")) if isinstance(u, dict) else (u, None, None)
        for u in value
    ]


_FIELDS = ("creator", "creation_date", "medium", "description")


@dataclass
class _Expected:
    """What the log says a work should look like now."""

    declarations: list[dict[str, Any]] = field(default_factory=list)
    title: Any = None
    has_title: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    deleted: bool = False


# Works compared a range of ids at a time, so that memory stays flat at a million works.
_RECORD_BATCH = 5000
_LARGEST_ID = 2**63 - 1


def _replay(session: Session, lo: int, last: int) -> dict[int, _Expected]:
    """What the log says of the works with ids from lo to last."""
    works: dict[int, _Expected] = {}
    rows = session.execute(
        select(Event.work_id, Event.kind, Event.payload_json)
        .where(Event.work_id >= lo, Event.work_id <= last)
        .order_by(Event.id)
    )
    for wid, kind, payload_json in rows:
        if wid is None:  # not selected; for the type checker
            continue
        try:
            payload = json.loads(payload_json)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        if kind == "work.imported":
            # A new work (an id used again after an old work was deleted starts afresh).
            x = works[wid] = _Expected()
            x.title, x.has_title = payload.get("title"), True
            if "creator" in payload:  # logged since schema 0004
                x.fields["creator"] = payload.get("creator")
            for name in _FIELDS[1:]:
                x.fields[name] = None
            x.files.add(_sha_of(payload))
            continue
        x = works.setdefault(wid, _Expected())
        if kind == "work.declared":
            x.declarations.append(payload)
        elif kind == "work.renamed":
            x.title, x.has_title = payload.get("to"), True
        elif kind == "work.edited":
            changes = payload.get("changes")
            if isinstance(changes, dict):
                for name, change in changes.items():
                    if isinstance(change, dict):
                        x.fields[name] = change.get("to")
        elif kind == "file.attached":
            x.files.add(_sha_of(payload))
        elif kind == "file.detached":
            x.files.discard(_sha_of(payload))
        elif kind == "work.deleted":
            x.deleted = True
    return works


def check_records(lib: Library, session: Session | None = None) -> list[str]:
    """The catalogue's rows that differ from what the log says about them."""
    if session is None:
        with lib.read() as s:
            return check_records(lib, s)
    problems: list[str] = []
    lo = _next_work_id(session, None)
    while lo is not None:
        last = min(lo + _RECORD_BATCH - 1, _LARGEST_ID)  # SQLite's integers end there
        expected = _replay(session, lo, last)
        present: set[int] = set()
        rows = session.scalars(
            select(Work)
            .options(
                selectinload(Work.declarations).selectinload(Declaration.ai_uses),
                selectinload(Work.files),
            )
            .where(Work.id >= lo, Work.id <= last)
            .order_by(Work.id)
        )
        for w in rows:
            present.add(w.id)
            x = expected.get(w.id)
            if x is None:
                problems.append(f"work #{w.id} is in the catalogue but not in the history")
                continue
            problems += _compare_work(w, x)
        for wid, x in sorted(expected.items()):
            if wid not in present and not x.deleted:
                problems.append(f"work #{wid} is in the history but gone from the catalogue")
        session.expunge_all()  # the batch's works are done with
        # Ids may be sparse: the next batch starts at the next id there is.
        lo = _next_work_id(session, last + 1) if last < _LARGEST_ID else None
    return problems


def _next_work_id(session: Session, start: int | None) -> int | None:
    """The smallest work id at or after `start` in the catalogue or in the log."""
    found = []
    for column in (Work.id, Event.work_id):
        query = select(func.min(column))
        if start is not None:
            query = query.where(column >= start)
        value = session.scalar(query)
        if value is not None:
            found.append(int(value))
    return min(found, default=None)


def _sha_of(payload: dict[str, Any]) -> str:
    f = payload.get("file")
    return str(f.get("sha256")) if isinstance(f, dict) else ""


def _compare_work(w: Work, x: _Expected) -> list[str]:
    out: list[str] = []
    label = f"work #{w.id}"
    decls = list(w.declarations)
    events = x.declarations
    if len(decls) != len(events):
        out.append(
            f"{label}: {len(decls)} declaration(s) in the catalogue, {len(events)} in the history"
        )
    for i, (d, ev) in enumerate(zip(decls, events, strict=False), start=1):
        rows_uses = [(u.tool, u.stage, u.note) for u in d.ai_uses]
        if d.provenance_class != ev.get("class"):
            out.append(
                f"{label}: declaration {i} says {d.provenance_class}, the history says "
                f"{ev.get('class')}"
            )
        elif rows_uses != _uses(ev.get("ai_uses")):
            out.append(f"{label}: declaration {i}'s AI uses differ from the history")
        elif (d.note or None) != (ev.get("note") or None):
            out.append(f"{label}: declaration {i}'s note differs from the history")
        elif "declared_by" in ev and (d.declared_by or None) != (ev.get("declared_by") or None):
            out.append(f"{label}: declaration {i}'s author differs from the history")
    current = decls[-1].provenance_class if decls else "undeclared"
    if w.provenance_class != current:
        out.append(
            f"{label}: its class is {w.provenance_class}, but its latest declaration says {current}"
        )
    if x.has_title and x.title != w.title:
        out.append(f"{label}: its title differs from the history")
    for name, value in x.fields.items():
        if name in _FIELDS and getattr(w, name) != value:
            out.append(f"{label}: its {name.replace('_', ' ')} differs from the history")
    shas = {a.sha256 for a in w.files}
    for a in w.files:
        if a.sha256 not in x.files:
            out.append(f"{label}: file {a.original_name} is not in the history")
    missing = len(x.files - shas)
    if missing:
        out.append(f"{label}: {missing} file(s) the history records are gone from the catalogue")
    return out


def check_files_of(lib: Library, work_ids: list[int]) -> list[FileCheck]:
    """Re-hash the files of these works only (a report's integrity state at export)."""
    results = [_check_file(lib, r) for r in _asset_rows(lib, work_ids)]
    _record_file_state(lib, results)
    return results


def verify_library(
    lib: Library,
    *,
    progress: VerifyProgress | None = None,
    cancel: CancelToken | None = None,
) -> VerifyReport:
    """Run every check; see the module docstring. `progress(done, total)` is per file."""
    cancel = cancel or CancelToken()
    checked, problems, cancelled = _check_files(lib, progress, cancel)
    with lib.read() as s:  # one snapshot: edits made meanwhile are not half seen
        events, broken, why = check_chain(lib, s)
        records = check_records(lib, s)
    return VerifyReport(
        files_checked=checked,
        file_problems=tuple(problems),
        events_checked=events,
        first_broken_event=broken,
        chain_problem=why,
        record_problems=tuple(records),
        cancelled=cancelled,
    )
