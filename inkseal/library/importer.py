"""The import pipeline: files and folders in, works with stored, hashed, described files out.

Work is split in two:
- worker threads read each file once, hash it, decide its format from its bytes, read its
  metadata, decode it at reduced size for the thumbnail and stage a copy for the store
  (Pillow and hashlib release the GIL, so two threads keep two cores busy);
- the calling thread is the only writer: for each file, in the order the files were found,
  one transaction adds the work, its file and an event, or nothing at all.

A file that cannot be imported gets a one-line reason; the others go on.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inkseal.library.detect.run import Detection
from inkseal.library.dto import ImportOutcome, ImportProgress, ImportReport
from inkseal.library.errors import describe
from inkseal.library.events import append_event
from inkseal.library.formats import Format
from inkseal.library.imaging import Decoded, DecodeError, decode, open_image
from inkseal.library.library import Library
from inkseal.library.library import store_rel as _store_rel
from inkseal.library.library import thumb_rel as _thumb_rel
from inkseal.library.probe import (
    RawFile,
    ReadError,
    format_of,
    one_line,
    probe_file,
    read_file,
)
from inkseal.library.recovery import note_writing
from inkseal.library.text import plain_line
from inkseal.models.entities import Asset, Event, FileRole, Signal, Work

# Operating-system clutter that is never artwork.
JUNK_FILES = {
    ".ds_store",
    "thumbs.db",
    "ehthumbs.db",
    "ehthumbs_vista.db",
    "desktop.ini",
    ".directory",
    "icon\r",
}
JUNK_DIRS = {
    "__macosx",
    "@eadir",
    "$recycle.bin",
    "system volume information",
    ".spotlight-v100",
    ".trashes",
    ".fseventsd",
}

ProgressCallback = Callable[[ImportProgress], None]


class CancelToken:
    """Set from any thread to stop an import after the files already under way."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def _is_skipped(name: str) -> bool:
    # XMP sidecars in a folder describe the images beside them; they are read with those.
    low = name.lower()
    return (
        name.startswith(".") or low in JUNK_FILES or name.startswith("._") or low.endswith(".xmp")
    )


def collect_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[ImportOutcome]]:
    """Expand files and folders (recursively) into the files to import, in a stable order.

    Hidden files and OS clutter inside folders are skipped; symbolic links to folders are
    not followed (no loops). Paths that do not exist come back as failed outcomes.
    """
    found: list[Path] = []
    problems: list[ImportOutcome] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = os.path.abspath(p)  # compared as text: a Path costs more to make and hash
        if key not in seen:
            seen.add(key)
            found.append(Path(key))

    for raw in paths:
        text = os.fspath(raw)
        try:
            is_dir = stat.S_ISDIR(os.stat(text).st_mode)  # one look, following links
        except (FileNotFoundError, ValueError):  # ValueError: a NUL in the name
            if not os.path.lexists(text):
                problems.append(_failed(Path(text), "no such file or folder"))
                continue
            is_dir = False  # a dangling link: reading it says what is wrong
        except OSError:
            is_dir = False  # unreadable, a link loop...: reading it says what is wrong
        if is_dir:
            for f in _walk(Path(text), problems):
                add(str(f))
        else:
            add(text)
    return found, problems


def _walk(top: Path, problems: list[ImportOutcome]) -> Iterator[Path]:
    def onerror(err: OSError) -> None:
        where = Path(err.filename) if err.filename else top
        problems.append(_failed(where, f"folder cannot be read: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d.lower() not in JUNK_DIRS
        )
        for name in sorted(filenames):
            if not _is_skipped(name):
                yield Path(dirpath) / name


def _failed(path: Path, reason: str, sha256: str | None = None) -> ImportOutcome:
    return ImportOutcome(path=str(path), status="failed", sha256=sha256, reason=reason)


@dataclass(frozen=True)
class _Prepared:
    """A file read, hashed and described by a worker, waiting to be committed."""

    path: Path
    sha256: str
    size: int
    fmt: Format
    mtime: datetime
    width: int | None
    height: int | None
    frames: int
    metadata: dict[str, Any]
    thumb_rel: str | None  # None for files without a picture to show
    staged: Path | None  # the copy waiting in store/tmp, None in reference mode
    warnings: tuple[str, ...]
    detection: Detection
    perceptual_hash: str | None = None
    # The staged copy is written and flushed to disk by the store writer while the worker
    # goes on to the next file; this is done when it is on disk (or raises OSError).
    staged_ready: Future[None] | None = None

    def wait_staged(self) -> None:
        """Wait until the staged copy is on disk; raises the OSError writing it met."""
        if self.staged_ready is not None:
            self.staged_ready.result()

    def release_staged(self) -> None:
        """Remove the staged copy (once its writer is done with it)."""
        if self.staged is None:
            return
        if self.staged_ready is not None:
            with contextlib.suppress(BaseException):
                self.staged_ready.result()
        self.staged.unlink(missing_ok=True)


# Store writers write the staged copies: writing and flushing a file to disk waits on the
# device, not the processor, so the workers decode the next files meanwhile.
_store_writer: ThreadPoolExecutor | None = None
_store_writer_lock = threading.Lock()


def _write_staged(staged: Path, data: bytes) -> None:
    try:
        with open(staged, "wb") as fh:
            fh.write(data)
            fh.flush()
            # On disk before the catalogue says it is there (a power cut must not leave a
            # recorded work with an empty file).
            os.fsync(fh.fileno())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def _stage_copy(staged: Path, data: bytes) -> Future[None]:
    global _store_writer
    with _store_writer_lock:
        if _store_writer is None:
            # As many as there are workers: flushes to a slow disk then overlap too.
            writers = max(2, min(8, os.cpu_count() or 2))
            _store_writer = ThreadPoolExecutor(writers, thread_name_prefix="inkseal-store")
        return _store_writer.submit(_write_staged, staged, data)


@dataclass(frozen=True)
class _Duplicate:
    path: Path
    sha256: str
    work_id: int


_Result = _Prepared | _Duplicate | ImportOutcome


def _write_atomically(target: Path, data: bytes, tmp_dir: Path) -> None:
    tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
    root = tmp_dir.parent.parent  # <library>/store/tmp
    note_writing(root, tmp)  # a crash leaves them listed for the next open to remove
    note_writing(root, target)
    try:
        with open(tmp, "wb") as fh:  # a full disk fails here: the part is removed too
            fh.write(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _find_work_by_sha(lib: Library, sha: str) -> int | None:
    """The live work that holds this file already (one in the Trash is handled at commit)."""
    # One plain query on a pooled connection: this runs for every file, on the workers.
    with lib.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT a.work_id FROM assets a JOIN works w ON w.id = a.work_id "
            "WHERE a.sha256 = ? AND w.trashed_at IS NULL LIMIT 1",
            (sha,),
        ).scalar()


def _prepare(
    lib: Library,
    path: Path,
    reference: bool,
    cancel: CancelToken,
    *,
    evidence: bool = False,
) -> _Result:
    """Read, hash, describe and stage one file (on a worker thread).

    `evidence`: the file is process evidence for a work the caller names, so a file held by
    another work is no duplicate, and layered documents, timelapses and other files are taken
    as well as images.
    """
    if cancel.cancelled:
        return _failed(path, "cancelled")
    try:
        raw = read_file(path)
    except ReadError as exc:
        return _failed(path, exc.reason, exc.sha256)
    try:
        format_of(raw)
    except ReadError as exc:
        if not evidence:
            return _failed(path, exc.reason, exc.sha256)
        return _prepare_process_file(lib, raw, reference)
    if not evidence:
        existing = _find_work_by_sha(lib, raw.sha256)
        if existing is not None:
            return _Duplicate(path, raw.sha256, existing)

    sha = raw.sha256
    try:
        probe = probe_file(raw)
        if probe.image is None:
            return _failed(path, probe.open_error or "not a readable image", sha)
        decoded = decode(probe.image)
    except ReadError as exc:
        return _failed(path, exc.reason, sha)
    except DecodeError as exc:
        return _failed(path, str(exc), sha)
    except Exception as exc:  # a decoder bug on hostile input: report, never crash
        return _failed(path, f"the image cannot be read: {one_line(exc)}", sha)

    metadata = probe.metadata
    if probe.image.format == "JPEG" and "APP2:MPF" in metadata.get("jpeg_segments", ()):
        # Pillow opens a sound multi-picture file as MPO; a JPEG with an MPF segment that it
        # read as plain JPEG has a damaged multi-picture header.
        decoded = replace(
            decoded,
            warnings=(
                *decoded.warnings,
                "MPO: the multi-picture header is damaged; only the first picture is read",
            ),
        )
    problems = tuple(metadata.get("warnings", ())) + decoded.warnings
    if decoded.orientation != 1:
        metadata["orientation"] = decoded.orientation
    metadata["format"] = probe.fmt.name
    detection = _with_sidecar(path, probe.detection, metadata)
    return _stage(
        lib,
        raw,
        reference,
        fmt=probe.fmt,
        decoded=decoded,
        size=(decoded.width, decoded.height),
        metadata=metadata,
        warnings=problems,
        detection=detection,
    )


def _with_sidecar(path: Path, detection: Detection, metadata: dict[str, Any]) -> Detection:
    """The findings of an XMP sidecar beside the file ("name.xmp" or "name.ext.xmp"), added
    to the file's own; the sidecar's name is kept in the metadata."""
    try:
        from inkseal.library.xmp_sidecar import read_sidecar, sidecar_for

        side = sidecar_for(path)
        if side is None:
            return detection
        found = read_sidecar(side)
    except Exception:  # a sidecar is a hint beside the file; it never fails an import
        return detection
    if not found:
        return detection
    from inkseal.library.detect.verdict import suggest

    metadata["xmp_sidecar"] = side.name
    findings = (*detection.findings, *found)
    return replace(detection, findings=findings, suggested_class=suggest(list(findings)))


_NO_DETECTION = Detection((), None, "unknown")


def _prepare_process_file(lib: Library, raw: RawFile, reference: bool) -> _Result:
    """A layered document, timelapse or other evidence file: stored as it is, with a
    thumbnail from the preview image inside it where there is one."""
    from inkseal.library.processfiles import ProcessFileError, identify_process_file

    path, sha = raw.path, raw.sha256
    try:
        found = identify_process_file(raw.data, path.name)
    except ProcessFileError as exc:
        return _failed(path, str(exc), sha)
    if found is None:  # an image format that format_of refused (camera raw, ...)
        return _failed(path, "not a supported image or process file", sha)
    warnings = list(found.warnings)
    decoded: Decoded | None = None
    if found.preview is not None:
        try:
            decoded = decode(open_image(found.preview))
            warnings += decoded.warnings
        except DecodeError as exc:
            warnings.append(f"its preview image cannot be shown: {exc}")
        except Exception as exc:  # hostile input: report, never crash
            warnings.append(f"its preview image cannot be shown: {one_line(exc)}")
    facts = dict(found.facts)
    width = facts.get("width") if isinstance(facts.get("width"), int) else None
    height = facts.get("height") if isinstance(facts.get("height"), int) else None
    if width is None and decoded is not None and found.preview is raw.data:
        width, height = decoded.width, decoded.height
    metadata: dict[str, Any] = {"format": found.kind, "kind": found.label, "process": facts}
    if warnings:
        metadata["warnings"] = warnings
    fmt = Format(found.kind.upper(), found.media_type, found.extension)
    return _stage(
        lib,
        raw,
        reference,
        fmt=fmt,
        decoded=decoded,
        size=(width, height),
        metadata=metadata,
        warnings=tuple(warnings),
        detection=_NO_DETECTION,
    )


def _stage(
    lib: Library,
    raw: RawFile,
    reference: bool,
    *,
    fmt: Format,
    decoded: Decoded | None,
    size: tuple[int | None, int | None],
    metadata: dict[str, Any],
    warnings: tuple[str, ...],
    detection: Detection,
) -> _Result:
    """Write the thumbnail and stage the copy for the store."""
    path, sha = raw.path, raw.sha256
    thumb_rel = _thumb_rel(sha, decoded.thumbnail_ext) if decoded is not None else None
    staged: Path | None = None
    ready: Future[None] | None = None
    try:
        if decoded is not None and thumb_rel is not None:
            _write_atomically(lib.root / thumb_rel, decoded.thumbnail, lib.tmp_dir)
        if not reference:
            staged = lib.tmp_dir / f"{uuid.uuid4().hex}.part"
            note_writing(lib.root, staged)
            ready = _stage_copy(staged, raw.data)
    except OSError as exc:
        _drop_unused_thumb(lib, sha, thumb_rel)
        return _failed(path, f"could not be saved into the library: {describe(exc)}", sha)
    return _Prepared(
        path=path,
        sha256=sha,
        size=len(raw.data),
        fmt=fmt,
        mtime=raw.mtime,
        width=size[0],
        height=size[1],
        frames=decoded.frames if decoded is not None else 1,
        metadata=metadata,
        thumb_rel=thumb_rel,
        staged=staged,
        warnings=warnings,
        detection=detection,
        perceptual_hash=decoded.perceptual_hash if decoded is not None else None,
        staged_ready=ready,
    )


def signals_from_findings(detection: Detection) -> list[Signal]:
    return [
        Signal(
            source=f.source,
            family=f.family,
            tool=f.tool,
            tool_version=f.tool_version,
            model=f.model,
            prompt=f.prompt,
            verdict=f.verdict,
            excerpt=f.detail,
            verified=f.verified,
            extra_json=json.dumps(f.extra, ensure_ascii=False, default=str),
        )
        for f in detection.findings
    ]


def _title_for(path: Path) -> str:
    title = plain_line(path.stem, 500) or plain_line(path.name, 500) or "untitled"
    return title


def staging_failure(lib: Library, p: _Prepared) -> ImportOutcome | None:
    """Wait for the staged copy to be on disk, before the caller takes the catalogue's write
    lock (a slow disk must not hold up other writers); the failure when it could not be."""
    try:
        p.wait_staged()
    except OSError as exc:
        p.release_staged()
        _drop_unused_thumb(lib, p.sha256, p.thumb_rel)
        return _failed(p.path, f"could not be saved into the library: {describe(exc)}", p.sha256)
    return None


def place_in_store(lib: Library, p: _Prepared) -> tuple[str | None, Path | None]:
    """Move a staged copy to its place in the store, inside the caller's transaction.

    Returns the stored path (relative; None in reference mode) and the file that was newly
    placed (for the caller to remove if its transaction fails).
    """
    if p.staged is None:
        return None, None
    p.wait_staged()
    stored_rel = _store_rel(p.sha256, p.fmt.extension)
    final = lib.root / stored_rel
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and final.stat().st_size == p.size:
        # Left by an interrupted earlier import, or held by another work: same content.
        p.staged.unlink(missing_ok=True)
        return stored_rel, None
    note_writing(lib.root, final)
    if final.exists():  # a damaged leftover (cut short by a crash): replace it
        os.chmod(final, 0o644)
    os.chmod(p.staged, 0o444)  # the store's copies are never modified
    os.replace(p.staged, final)
    return stored_rel, final


def new_asset(
    p: _Prepared, role: str, position: int, stored_rel: str | None, reference: bool
) -> Asset:
    """The catalogue row for a prepared file, with its signals."""
    return Asset(
        role=role,
        position=position,
        sha256=p.sha256,
        size=p.size,
        media_type=p.fmt.media_type,
        width=p.width,
        height=p.height,
        frames=p.frames,
        perceptual_hash=p.perceptual_hash,
        stored_path=stored_rel,
        referenced_path=str(p.path.resolve()) if reference else None,
        original_name=p.path.name,
        original_path=str(p.path),
        file_modified_at=p.mtime,
        thumb_path=p.thumb_rel,
        metadata_json=json.dumps(p.metadata, ensure_ascii=False),
        suggested_class=p.detection.suggested_class,
        signals=signals_from_findings(p.detection),
    )


def file_event(p: _Prepared, role: str, reference: bool) -> dict[str, Any]:
    """How a file is described in the events that add or remove it."""
    return {
        "sha256": p.sha256,
        "name": p.path.name,
        "size": p.size,
        "media_type": p.fmt.media_type,
        "role": role,
        "location": "reference" if reference else "store",
    }


def next_work_id(s: Session) -> int:
    """The id for a new work: never one a deleted work had. The history keeps the events of
    works deleted for good under their ids, so an id used again would inherit them."""
    top = s.execute(select(func.max(Work.id)).union_all(select(func.max(Event.work_id)))).scalars()
    return max((n for n in top if n is not None), default=0) + 1


def _commit(
    lib: Library, p: _Prepared, reference: bool, creator: str | None = None
) -> ImportOutcome:
    """Store the file and record its work in one transaction, or leave no trace."""
    placed: Path | None = None
    failed = staging_failure(lib, p)
    if failed is not None:
        return failed
    try:
        with lib.write.begin() as s:
            existing = s.execute(
                select(Asset.work_id).where(Asset.sha256 == p.sha256).limit(1)
            ).scalar()
            if existing is not None:
                held = s.get(Work, existing)
                if held is not None and held.trashed_at is not None:
                    # Importing a file again says the artist wants it: bring its work back.
                    held.trashed_at = None
                    append_event(s, "work.restored", existing, {"reason": "imported again"})
                    return ImportOutcome(
                        str(p.path),
                        "duplicate",
                        existing,
                        p.sha256,
                        None,
                        ("its work was in the Trash and has been restored",),
                    )
                return ImportOutcome(str(p.path), "duplicate", existing, p.sha256)
            stored_rel, placed = place_in_store(lib, p)
            suggested = p.detection.suggested_class
            work = Work(
                id=next_work_id(s),
                title=_title_for(p.path),
                title_from_filename=True,
                suggested_class=suggested,
                creator=" ".join(creator.split())[:500] or None if creator else None,
            )
            asset = new_asset(p, FileRole.PRIMARY.value, 0, stored_rel, reference)
            work.files.append(asset)
            s.add(work)
            s.flush()
            append_event(
                s,
                "work.imported",
                work.id,
                {
                    "title": work.title,
                    "creator": work.creator,
                    "suggested_class": suggested,
                    "signals": len(p.detection.findings),
                    "file": file_event(p, FileRole.PRIMARY.value, reference),
                },
            )
            work_id, file_id = work.id, asset.id
    except Exception as exc:
        if placed is not None:
            placed.unlink(missing_ok=True)
        _drop_unused_thumb(lib, p.sha256, p.thumb_rel)
        return _failed(p.path, f"could not be recorded in the library: {describe(exc)}", p.sha256)
    finally:
        p.release_staged()
    return ImportOutcome(str(p.path), "added", work_id, p.sha256, None, p.warnings, file_id=file_id)


def _drop_unused_thumb(lib: Library, sha: str, thumb_rel: str | None) -> None:
    """Remove the thumbnail a file that was not recorded left behind, unless another file
    with the same content (and so the same thumbnail) is in the library."""
    if thumb_rel is None:
        return
    try:
        if _find_any_asset(lib, sha):
            return
        (lib.root / thumb_rel).unlink(missing_ok=True)
    except Exception:  # noqa: S110 - best effort: thumbnails are a rebuildable cache
        return


def _find_any_asset(lib: Library, sha: str) -> bool:
    with lib.read() as s:
        return s.execute(select(Asset.id).where(Asset.sha256 == sha).limit(1)).first() is not None


def _discard(lib: Library, result: _Result) -> None:
    if isinstance(result, _Prepared):
        result.release_staged()
        _drop_unused_thumb(lib, result.sha256, result.thumb_rel)


def _with_similar(lib: Library, outcome: ImportOutcome, phash: str) -> ImportOutcome:
    """The outcome with the works that look like the file just added."""
    from inkseal.library.similar import near_works

    try:
        near = near_works(lib, [phash], exclude=outcome.work_id)
    except Exception:  # similarity is a hint; it must never fail an import
        return outcome
    return replace(outcome, similar=near) if near else outcome


def import_paths(
    lib: Library,
    paths: Iterable[str | os.PathLike[str]],
    *,
    reference: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    creator: str | None = None,
) -> ImportReport:
    """Import files and folders into `lib`. See the module docstring.

    `creator` (the artist's name from Preferences) is set on every new work.
    `progress` is called from the calling thread after each file. When `cancel` is set the
    files already committed stay (each is complete); the rest are not touched.
    """

    def record(result: _Prepared | _Duplicate) -> ImportOutcome:
        if isinstance(result, _Duplicate):
            return ImportOutcome(str(result.path), "duplicate", result.work_id, result.sha256)
        outcome = _commit(lib, result, reference, creator)
        if outcome.status == "added" and result.perceptual_hash:
            outcome = _with_similar(lib, outcome, result.perceptual_hash)
        return outcome

    return run_pipeline(
        lib,
        paths,
        lambda path, token: _prepare(lib, path, reference, token),
        record,
        progress=progress,
        cancel=cancel,
        workers=workers,
    )


def run_pipeline(
    lib: Library,
    paths: Iterable[str | os.PathLike[str]],
    prepare: Callable[[Path, CancelToken], _Result],
    record: Callable[[_Prepared | _Duplicate], ImportOutcome],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Prepare files on worker threads and record them on the calling thread, in order.

    Shared by import and attach. See the module docstring.
    """
    cancel = cancel or CancelToken()
    files, outcomes = collect_files(paths)
    total = len(files) + len(outcomes)
    done = len(outcomes)
    if progress and outcomes:
        progress(ImportProgress(done, total, None))
    n_workers = max(1, workers or min(8, os.cpu_count() or 2))
    window = n_workers * 2
    pending: deque[Future[_Result]] = deque()
    todo = iter(files)
    cancelled = False
    from inkseal.library.recovery import working

    with (
        working(lib),
        ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="inkseal-import") as pool,
    ):
        try:
            while True:
                while not cancel.cancelled and len(pending) < window:
                    nxt = next(todo, None)
                    if nxt is None:
                        break
                    pending.append(pool.submit(prepare, nxt, cancel))
                if not pending:
                    break
                if cancel.cancelled:
                    cancelled = True
                    break
                result = pending.popleft().result()
                outcome = result if isinstance(result, ImportOutcome) else record(result)
                outcomes.append(outcome)
                done += 1
                if progress:
                    progress(ImportProgress(done, total, outcome.path))
            cancelled = cancelled or cancel.cancelled
        finally:
            # Whatever is still under way is dropped with its staged copy.
            for fut in pending:
                fut.cancel()
            for fut in pending:
                if not fut.cancelled():
                    # Workers return their failures; they do not raise.
                    with contextlib.suppress(Exception):
                        _discard(lib, fut.result())
    return ImportReport(tuple(outcomes), cancelled=cancelled, total=total)
