"""The Trash: removing works from the library without losing them by accident.

Moving to the Trash hides a work and can be undone (restore). Emptying the Trash deletes the
works' records and the stored copies no other work uses; the audit log keeps their history.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from inkseal.library.errors import NotFound
from inkseal.library.events import append_event, append_events
from inkseal.library.library import Library, store_rel, thumb_rel
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
    Only the deleted works' files and the detached ones are looked at, never the whole store.
    """
    with lib.write.begin() as s:
        trashed = select(Work.id).where(Work.trashed_at.is_not(None))
        doomed = s.execute(
            select(Work.id, Work.title).where(Work.trashed_at.is_not(None)).order_by(Work.id)
        ).all()
        files = s.execute(
            select(Asset.work_id, Asset.sha256, Asset.stored_path, Asset.thumb_path).where(
                Asset.work_id.in_(trashed)
            )
        ).all()
        own: dict[int, set[str]] = {}
        for work_id, sha, _, _ in files:
            own.setdefault(work_id, set()).add(sha)
        append_events(
            s,
            (
                ("work.deleted", work_id, {"title": title, "files": sorted(own.get(work_id, ()))})
                for work_id, title in doomed
            ),
        )
        # One statement; SQLite's foreign keys remove the works' files, signals,
        # declarations, tags and links with them, and its triggers keep the counts.
        s.execute(delete(Work).where(Work.trashed_at.is_not(None)))
        stored = {p for _, _, p, _ in files if p}
        thumbs = {t for _, _, _, t in files if t}
        # Listed before the commit: if the sweep below never finishes (a crash, a lock held
        # too long by another process), the next one still finds these files.
        _note_pending(lib, stored | thumbs)
    sweep_detached(lib, stored=stored, thumbs=thumbs)
    return len(doomed)


_PENDING_SUFFIX = ".sweep"


def _note_pending(lib: Library, paths: set[str]) -> None:
    if not paths:
        return
    lib.tmp_dir.mkdir(parents=True, exist_ok=True)
    note = lib.tmp_dir / f"trash-{uuid.uuid4().hex}{_PENDING_SUFFIX}"
    with open(note, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{p}\n" for p in sorted(paths)))
        fh.flush()
        os.fsync(fh.fileno())


def _listable(rel: str) -> bool:
    """Whether a list may name `rel`: only a path spelled exactly as the store spells its
    copies and thumbnails, so that a list can neither reach outside the store nor name a
    file in use under another spelling (or another case, on a disk that ignores case)."""
    sha, dot, ext = rel.rpartition("/")[2].partition(".")
    if not dot or len(sha) != 64 or sha.strip("0123456789abcdef"):
        return False
    if not (ext.isascii() and ext.isalnum() and ext == ext.lower()):
        return False
    return rel in (store_rel(sha, ext), thumb_rel(sha, ext))


def _pending(lib: Library) -> tuple[set[str], list[Path]]:
    """Files that emptyings of the Trash listed and may not have removed, and the lists
    read (a list that cannot be read is left for a later sweep)."""
    paths: set[str] = set()
    notes: list[Path] = []
    for note in sorted(lib.tmp_dir.glob(f"trash-*{_PENDING_SUFFIX}")):
        try:
            if not note.is_file():
                continue
            lines = note.read_text("utf-8", "replace").splitlines()
        except OSError:
            continue
        notes.append(note)
        paths.update(line for line in lines if _listable(line))
    return paths, notes


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o644)
        path.unlink()


def _detached_copies(lib: Library, s: Session) -> tuple[set[str], set[str]]:
    """The store and thumbnail paths (relative to the library) that files detached from
    their works may have left: found by their content hash, as the store names its files."""
    shas = set()
    for (payload,) in s.execute(
        text("SELECT payload_json FROM events WHERE kind = 'file.detached'")
    ):
        try:
            sha = json.loads(payload)["file"]["sha256"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(sha, str) and len(sha) == 64 and sha.isalnum():
            shas.add(sha.lower())
    stored: set[str] = set()
    thumbs: set[str] = set()
    for sha in shas:
        for found, folder in (
            (stored, (lib.root / store_rel(sha, "")).parent),
            (thumbs, (lib.root / thumb_rel(sha, "")).parent),
        ):
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    if entry.name.partition(".")[0] == sha:
                        found.add(Path(entry.path).relative_to(lib.root).as_posix())
    return stored, thumbs


def sweep_detached(
    lib: Library, *, stored: set[str] | None = None, thumbs: set[str] | None = None
) -> int:
    """Delete stored copies and thumbnails that no file of the catalogue refers to any more:
    `stored` and `thumbs` (those of the works just deleted), and the copies of files detached
    from their works (kept until the Trash is emptied, for undo).

    Runs under the write lock, so that no import can be half-way through placing a file.
    Also removes what earlier emptyings listed and did not get to (`store/tmp/trash-*.sweep`).
    Thumbnails are written before their file is recorded, so recent thumbnails other than
    those of the works just deleted are left alone (an import in another process may be about
    to record them); those and files that cannot be removed now are listed for the next
    sweep. Returns how many files were removed.
    """
    removed = 0
    recent = time.time() - 3600
    with lib.write.begin() as s:
        detached_stored, detached_thumbs = _detached_copies(lib, s)
        listed, notes = _pending(lib)
        own = (stored or set()) | (thumbs or set())
        candidates = own | detached_stored | detached_thumbs | listed
        shas = sorted({Path(rel).name.partition(".")[0] for rel in candidates})
        used: set[str] = set()
        for i in range(0, len(shas), 500):
            rows = s.execute(
                select(Asset.stored_path, Asset.thumb_path).where(
                    Asset.sha256.in_(shas[i : i + 500])
                )
            )
            for stored_path, thumb_path in rows:
                used.update(p for p in (stored_path, thumb_path) if p)
        later: set[str] = set()  # listed again, for the next sweep
        for rel in sorted(candidates - used):
            path = lib.root / rel
            if not rel.startswith(("store/", "thumbs/")) or path.parent == lib.tmp_dir:
                continue
            if rel.startswith("thumbs/") and rel not in own:
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime > recent:
                        if rel in listed:
                            later.add(rel)
                        continue
            try:
                if path.is_file():
                    _remove(path)
                    removed += 1
            except OSError:  # in use elsewhere, no permission: tried again next time
                later.add(rel)
        _note_pending(lib, later)  # before the lists it replaces go
        for note in notes:
            with contextlib.suppress(OSError):
                note.unlink()
    return removed
