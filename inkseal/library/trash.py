"""The Trash: removing works from the library without losing them by accident.

Moving to the Trash hides a work and can be undone (restore). Emptying the Trash deletes the
works' records and the stored copies no other work uses; the audit log keeps their history.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from inkseal.library.errors import NotFound
from inkseal.library.events import append_event
from inkseal.library.library import Library
from inkseal.models.entities import Asset, Work, utcnow


def _works(s: Session, ids: Sequence[int]) -> list[Work]:
    found = list(s.scalars(select(Work).where(Work.id.in_(list(ids)))).all())
    missing = sorted(set(ids) - {w.id for w in found})
    if missing:
        raise NotFound(f"no work with id {', '.join(map(str, missing))}")
    return found


def trash_works(lib: Library, ids: Sequence[int]) -> list[int]:
    """Move works to the Trash; returns the ids that were not there yet."""
    moved: list[int] = []
    with lib.write.begin() as s:
        for w in _works(s, ids):
            if w.trashed_at is None:
                w.trashed_at = utcnow()
                append_event(s, "work.trashed", w.id, {"title": w.title})
                moved.append(w.id)
    return moved


def restore_works(lib: Library, ids: Sequence[int]) -> list[int]:
    """Bring works back from the Trash; returns the ids that were in it."""
    restored: list[int] = []
    with lib.write.begin() as s:
        for w in _works(s, ids):
            if w.trashed_at is not None:
                w.trashed_at = None
                append_event(s, "work.restored", w.id, {"title": w.title})
                restored.append(w.id)
    return restored


def empty_trash(lib: Library) -> int:
    """Delete every work in the Trash for good, with the stored files nothing else uses
    (also those of files detached from their works, kept until now for undo).

    The records go in one transaction; files are removed only after it commits (so a
    failure never leaves a record without its file), and then under the write lock, checking
    again that nothing refers to them: another process may have imported the same file since.
    """
    with lib.write.begin() as s:
        doomed = list(s.scalars(select(Work).where(Work.trashed_at.is_not(None))).all())
        ids = [w.id for w in doomed]
        assets = list(s.scalars(select(Asset).where(Asset.work_id.in_(ids))))
        thumbs = {a.thumb_path for a in assets if a.thumb_path}
        for w in doomed:
            own = sorted({a.sha256 for a in assets if a.work_id == w.id})
            append_event(s, "work.deleted", w.id, {"title": w.title, "files": own})
            s.delete(w)
    sweep_detached(lib, thumbs=thumbs)
    return len(ids)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o644)
        path.unlink()


def sweep_detached(lib: Library, *, thumbs: set[str] | None = None) -> int:
    """Delete stored copies and thumbnails that no file of the catalogue refers to any more
    (files detached from their works are kept until the Trash is emptied, for undo).

    Runs under the write lock, so that no import can be half-way through placing a file.
    Thumbnails are written before their file is recorded, so recent ones are left alone (an
    import in another process may be about to record them), except `thumbs`, those of the
    works just deleted. Returns how many files were removed.
    """
    removed = 0
    recent = time.time() - 3600
    with lib.write.begin() as s:
        used = set(s.scalars(select(Asset.stored_path).where(Asset.stored_path.is_not(None))))
        used_thumbs = set(s.scalars(select(Asset.thumb_path).where(Asset.thumb_path.is_not(None))))
        for top, keep in ((lib.store_dir, used), (lib.thumbs_dir, used_thumbs)):
            for path in top.rglob("*"):
                if not path.is_file() or path.parent == lib.tmp_dir:
                    continue
                rel = path.relative_to(lib.root).as_posix()
                if rel in keep:
                    continue
                if (
                    top == lib.thumbs_dir
                    and rel not in (thumbs or ())
                    and (path.stat().st_mtime > recent)
                ):
                    continue
                if rel not in keep:
                    _remove(path)
                    removed += 1
    return removed
