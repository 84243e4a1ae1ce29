"""Process evidence: the sketches, stages, layered files and timelapses kept with a work.

Attached files go through the same pipeline as imported ones (read once, SHA-256, stored
read-only or referenced, metadata and detectors for images, a thumbnail where there is a
picture) and are recorded in one transaction and one event each. Files can be given another
role, reordered and detached; every change is an event, and detaching keeps enough to be
undone exactly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inkseal.library.detect.verdict import combine
from inkseal.library.dto import ImportOutcome, ImportReport
from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.events import append_event
from inkseal.library.importer import (
    CancelToken,
    ProgressCallback,
    _drop_unused_thumb,
    _Duplicate,
    _failed,
    _prepare,
    _Prepared,
    file_event,
    new_asset,
    place_in_store,
    run_pipeline,
    staging_failure,
)
from inkseal.library.library import Library
from inkseal.library.works import refresh_review
from inkseal.models.entities import Asset, FileRole, Signal, Work, utcnow

EVIDENCE_ROLES = tuple(r.value for r in FileRole if r != FileRole.PRIMARY)
# Each role in words, for the window and the reports.
ROLE_WORDS = {
    "primary": "Final",
    "sketch": "Sketch",
    "wip": "Work in progress",
    "source": "Source (layered file)",
    "timelapse": "Timelapse",
    "reference": "Reference",
    "derivative": "Derivative",
}
ALL_ROLES = tuple(r.value for r in FileRole)

_SOURCE_EXTENSIONS = {
    "kra", "ora", "procreate", "psd", "psb", "clip", "xcf", "afphoto", "afdesign", "sai",
    "sai2", "mdp", "ai", "svg", "blend", "fla", "tvpp",
}  # fmt: skip
_VIDEO_EXTENSIONS = {"mp4", "mov", "m4v", "webm", "mkv", "avi"}
_IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "bmp", "heic", "heif"}


def suggest_role(path: str | os.PathLike[str]) -> str:
    """A sensible role for a file dropped on a work: layered documents are sources,
    videos timelapses, pictures work in progress, anything else a reference."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in _SOURCE_EXTENSIONS:
        return FileRole.SOURCE.value
    if ext in _VIDEO_EXTENSIONS:
        return FileRole.TIMELAPSE.value
    if ext in _IMAGE_EXTENSIONS or ext == "avif":
        return FileRole.WIP.value
    return FileRole.REFERENCE.value


def _check_role(role: str, allowed: Sequence[str] = EVIDENCE_ROLES) -> None:
    if role not in allowed:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(allowed)}")


def _live_work(s: Session, work_id: int) -> Work:
    work = s.get(Work, work_id)
    if work is None:
        raise NotFound(f"no work with id {work_id}")
    if work.trashed_at is not None:
        raise InvalidInput(f"work {work_id} is in the Trash; restore it first")
    return work


def _refresh_suggestion(work: Work) -> None:
    work.suggested_class = combine(
        a.suggested_class or "unknown" for a in work.files if a.role == FileRole.PRIMARY.value
    )
    refresh_review(work)
    work.updated_at = utcnow()


def attach_files(
    lib: Library,
    work_id: int,
    paths: Iterable[str | os.PathLike[str]],
    role: str | None = None,
    *,
    reference: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Attach files (and the files in folders) to a work as process evidence.

    `role` None gives each file the role `suggest_role` picks. A file the work already has
    is reported as a duplicate; a file another work holds is attached all the same.
    """
    if role is not None:
        _check_role(role)
    with lib.read() as s:
        _live_work(s, work_id)

    def record(result: _Prepared | _Duplicate) -> ImportOutcome:
        if isinstance(result, _Duplicate):  # evidence is never a duplicate of another work
            return _failed(result.path, "unexpected duplicate", result.sha256)
        chosen = role or suggest_role(result.path)
        return _commit_attached(lib, work_id, result, chosen, reference)

    return run_pipeline(
        lib,
        paths,
        lambda path, token: _prepare(lib, path, reference, token, evidence=True),
        record,
        progress=progress,
        cancel=cancel,
        workers=workers,
    )


def _commit_attached(
    lib: Library, work_id: int, p: _Prepared, role: str, reference: bool
) -> ImportOutcome:
    placed: Path | None = None
    failed = staging_failure(lib, p)
    if failed is not None:
        return failed
    try:
        with lib.write.begin() as s:
            work = _live_work(s, work_id)
            held = s.execute(
                select(Asset.id, Asset.role).where(
                    Asset.work_id == work_id, Asset.sha256 == p.sha256
                )
            ).first()
            if held is not None:  # reported with the role the file has, not the one asked
                return ImportOutcome(
                    str(p.path), "duplicate", work_id, p.sha256, None, (), file_id=held[0],
                    role=held[1],
                )  # fmt: skip
            stored_rel, placed = place_in_store(lib, p)
            last = s.scalar(select(func.max(Asset.position)).where(Asset.work_id == work_id))
            position = (last if last is not None else -1) + 1
            asset = new_asset(p, role, position, stored_rel, reference)
            work.files.append(asset)
            s.flush()
            _refresh_suggestion(work)
            append_event(
                s,
                "file.attached",
                work_id,
                {"file_id": asset.id, "file": file_event(p, role, reference)},
            )
            file_id = asset.id
    except (NotFound, InvalidInput) as exc:
        _release(lib, p, placed)
        return _failed(p.path, str(exc), p.sha256)
    except Exception as exc:
        _release(lib, p, placed)
        return _failed(p.path, f"could not be recorded in the library: {exc}", p.sha256)
    finally:
        p.release_staged()
    return ImportOutcome(
        str(p.path), "added", work_id, p.sha256, None, p.warnings, file_id=file_id, role=role
    )


def _release(lib: Library, p: _Prepared, placed: Path | None) -> None:
    if placed is not None:
        with contextlib.suppress(OSError):
            os.chmod(placed, 0o644)
            placed.unlink()
    _drop_unused_thumb(lib, p.sha256, p.thumb_rel)


# Detaching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetachedFile:
    """Everything a detached file's row held, so that undo can put it back as it was.

    The stored copy stays in the store until the Trash is emptied.
    """

    work_id: int
    file_id: int
    columns: dict[str, Any]
    signals: tuple[dict[str, Any], ...]


_ASSET_SKIP = {"id", "work_id"}
_SIGNAL_SKIP = {"id", "asset_id"}


def _row(obj: Asset | Signal, skip: set[str]) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def _event_file(a: Asset) -> dict[str, Any]:
    return {
        "sha256": a.sha256,
        "name": a.original_name,
        "size": a.size,
        "media_type": a.media_type,
        "role": a.role,
        "location": "store" if a.stored_path else "reference",
    }


def _asset(s: Session, file_id: int) -> Asset:
    asset = s.get(Asset, file_id)
    if asset is None:
        raise NotFound(f"no file with id {file_id}")
    return asset


def detach_file(lib: Library, file_id: int) -> DetachedFile:
    """Remove a file from its work (the work keeps at least one primary file)."""
    with lib.write.begin() as s:
        asset = _asset(s, file_id)
        work = _live_work(s, asset.work_id)
        if asset.role == FileRole.PRIMARY.value and not any(
            a.role == FileRole.PRIMARY.value and a.id != asset.id for a in work.files
        ):
            raise InvalidInput(
                f"{asset.original_name} is the work's only primary file; it cannot be detached "
                "(move the work to the Trash instead)"
            )
        snapshot = DetachedFile(
            work_id=work.id,
            file_id=asset.id,
            columns=_row(asset, _ASSET_SKIP),
            signals=tuple(_row(sig, _SIGNAL_SKIP) for sig in asset.signals),
        )
        payload = {"file_id": asset.id, "file": _event_file(asset)}
        work.files.remove(asset)
        s.delete(asset)
        s.flush()
        _refresh_suggestion(work)
        append_event(s, "file.detached", work.id, payload)
        return snapshot


def restore_detached(lib: Library, detached: DetachedFile) -> int:
    """Put a detached file back as it was (undo); returns its new file id."""
    cols = dict(detached.columns)
    stored = cols.get("stored_path")
    with lib.write.begin() as s:
        work = _live_work(s, detached.work_id)
        # Checked under the write lock: emptying the Trash (which removes detached copies)
        # cannot run between this check and the row coming back.
        if stored and not (lib.root / stored).exists():
            raise InvalidInput(
                f"{cols.get('original_name')} was deleted from the library when the Trash "
                "was emptied; attach it again from its original"
            )
        if s.execute(
            select(Asset.id).where(Asset.work_id == work.id, Asset.sha256 == cols["sha256"])
        ).first():
            raise InvalidInput(f"{cols.get('original_name')} is attached to the work already")
        asset = Asset(**cols)
        asset.signals = [Signal(**sig) for sig in detached.signals]
        work.files.append(asset)
        s.flush()
        _refresh_suggestion(work)
        append_event(
            s,
            "file.attached",
            work.id,
            {"file_id": asset.id, "file": _event_file(asset), "restored": True},
        )
        return asset.id


# Roles and order ----------------------------------------------------------------------


def set_role(lib: Library, file_id: int, role: str) -> str:
    """Give a file another role; returns the role it had."""
    _check_role(role, ALL_ROLES)
    with lib.write.begin() as s:
        asset = _asset(s, file_id)
        work = _live_work(s, asset.work_id)
        old = asset.role
        if old == role:
            return old
        if old == FileRole.PRIMARY.value and not any(
            a.role == FileRole.PRIMARY.value and a.id != asset.id for a in work.files
        ):
            raise InvalidInput(
                f"{asset.original_name} is the work's only primary file; make another file "
                "primary first"
            )
        if role == FileRole.PRIMARY.value and asset.thumb_path is None:
            raise InvalidInput(f"{asset.original_name} has no picture; it cannot be primary")
        asset.role = role
        s.flush()
        _refresh_suggestion(work)
        append_event(
            s,
            "file.role_changed",
            work.id,
            {"file_id": asset.id, "name": asset.original_name, "from": old, "to": role},
        )
        return old


def file_id_of(lib: Library, work_id: int, sha256: str) -> int:
    """A work's file by its content: the identity that survives detach and undo (a file put
    back gets a new row id)."""
    with lib.read() as s:
        fid = s.scalar(select(Asset.id).where(Asset.work_id == work_id, Asset.sha256 == sha256))
    if fid is None:
        raise NotFound(f"work {work_id} has no file with SHA-256 {sha256[:16]}…")
    return fid


def file_shas(lib: Library, work_id: int) -> list[str]:
    """A work's files in order, by content."""
    with lib.read() as s:
        return list(
            s.scalars(
                select(Asset.sha256)
                .where(Asset.work_id == work_id)
                .order_by(Asset.position, Asset.id)
            )
        )


def reorder_by_content(lib: Library, work_id: int, shas: Sequence[str]) -> None:
    reorder_files(lib, work_id, [file_id_of(lib, work_id, sha) for sha in shas])


def file_order(lib: Library, work_id: int) -> list[int]:
    with lib.read() as s:
        return list(
            s.scalars(
                select(Asset.id).where(Asset.work_id == work_id).order_by(Asset.position, Asset.id)
            )
        )


def reorder_files(lib: Library, work_id: int, order: Sequence[int]) -> list[int]:
    """Put a work's files in `order` (all of its file ids); returns the previous order."""
    with lib.write.begin() as s:
        work = _live_work(s, work_id)
        current = sorted(work.files, key=lambda a: (a.position, a.id))
        before = [a.id for a in current]
        if sorted(order) != sorted(before) or len(set(order)) != len(order):
            raise InvalidInput("the new order must name each of the work's files once")
        if list(order) == before:
            return before
        by_id = {a.id: a for a in current}
        for position, fid in enumerate(order):
            by_id[fid].position = position
        work.updated_at = utcnow()
        append_event(
            s,
            "files.reordered",
            work_id,
            {"order": list(order), "names": [by_id[f].original_name for f in order]},
        )
        return before


def move_file(lib: Library, file_id: int, steps: int) -> list[int]:
    """Move a file up (negative) or down its work's list; returns the previous order."""
    with lib.read() as s:
        asset = _asset(s, file_id)
        work_id = asset.work_id
    order = file_order(lib, work_id)
    i = order.index(file_id)
    j = max(0, min(len(order) - 1, i + steps))
    if i == j:
        return order
    order.insert(j, order.pop(i))
    return reorder_files(lib, work_id, order)


# The timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    file_id: int
    role: str
    name: str
    # When the file was last modified on the artist's disk (the best guess of when that
    # stage was made), else when it was imported.
    at: datetime
    imported_at: datetime


def timeline(lib: Library, work_id: int) -> list[TimelineEntry]:
    """A work's files in the order they were made: file date, then import date."""
    with lib.read() as s:
        rows = s.execute(
            select(
                Asset.id, Asset.role, Asset.original_name, Asset.file_modified_at,
                Asset.imported_at,
            ).where(Asset.work_id == work_id)
        ).all()  # fmt: skip
    entries = [
        TimelineEntry(fid, role, name, modified or imported, imported)
        for fid, role, name, modified, imported in rows
    ]
    return sorted(entries, key=lambda e: (e.at, e.imported_at, e.file_id))


def describe_outcome(o: ImportOutcome) -> str:
    """One line for an attach outcome (CLI and GUI)."""
    if o.status == "added":
        return f"attached as {o.role}: {o.path}"
    if o.status == "duplicate":
        return f"already attached: {o.path}"
    return f"failed: {o.path}: {o.reason}"
