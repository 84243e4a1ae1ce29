"""The Trash: removing works from the library without losing them by accident.

Moving to the Trash hides a work and can be undone (restore). Emptying the Trash deletes the
works' records and the stored copies no other work uses; the audit log keeps their history.
"""

from __future__ import annotations

import contextlib
import os
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
    """Delete every work in the Trash for good, with the stored files nothing else uses.

    The records go in one transaction; files are removed only after it commits, so a
    failure never leaves a record without its file.
    """
    with lib.write.begin() as s:
        doomed = list(s.scalars(select(Work).where(Work.trashed_at.is_not(None))).all())
        if not doomed:
            return 0
        ids = [w.id for w in doomed]
        assets = list(s.scalars(select(Asset).where(Asset.work_id.in_(ids))))
        files = {(a.sha256, a.stored_path, a.thumb_path) for a in assets}
        for w in doomed:
            own = sorted({a.sha256 for a in assets if a.work_id == w.id})
            append_event(s, "work.deleted", w.id, {"title": w.title, "files": own})
            s.delete(w)
        s.flush()
        still_used = set(
            s.scalars(
                select(Asset.sha256).where(Asset.sha256.in_([sha for sha, _, _ in files]))
            ).all()
        )
    for sha, stored, thumb in files:
        if sha in still_used:
            continue
        for rel in (stored, thumb):
            if rel:
                path = lib.root / rel
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(path, 0o644)
                    Path(path).unlink()
    return len(ids)
