"""Backing up a library while it is in use, and putting a backup back.

A backup is a complete library folder: the catalogue copied with SQLite's backup API (a
consistent snapshot even while the app or the command line writes), then every stored file
that snapshot refers to, the thumbnails, and the signing identity. It can be opened as a
library as it is (File > Open Library), or restored over the library it came from.

Stored files are named by their SHA-256 and never change, so what is copied after the
snapshot is what the snapshot refers to; each copy is checked against its name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inkseal.library.errors import InksealError
from inkseal.library.identity import identity_dir
from inkseal.library.library import DB_NAME, LOCK_NAME, Library
from inkseal.models.db import copy_database

ProgressFn = Callable[[int, int], None]
MARK = "inkseal-backup.txt"


class BackupError(InksealError):
    """A backup or a restore that cannot be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    works: int
    files: int
    bytes: int
    cancelled: bool = False


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, part)
    os.chmod(part, 0o444)  # stored copies are read-only, as in the library
    os.replace(part, dst)


def default_backup_name(lib: Library) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H%M%S")
    return f"{lib.root.name} backup {stamp}"


def backup_library(
    lib: Library,
    destination: Path,
    *,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BackupResult:
    """Write a backup of `lib` into the new folder `destination` (see the module docstring).
    A backup that fails or is cancelled is removed, never left half made."""
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} exists already: choose a new folder for the backup")
    if destination.resolve().is_relative_to(lib.root.resolve()):
        raise BackupError("a backup cannot go inside the library it backs up")
    try:
        destination.mkdir(parents=True)
    except OSError as exc:
        raise BackupError(f"cannot create {destination}: {exc.strerror}") from exc
    try:
        result = _write_backup(lib, destination, progress, cancelled or (lambda: False))
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    if result.cancelled:
        shutil.rmtree(destination, ignore_errors=True)
    return result


def _write_backup(
    lib: Library, dest: Path, progress: ProgressFn | None, cancelled: Callable[[], bool]
) -> BackupResult:
    db_copy = dest / DB_NAME
    try:
        copy_database(lib.db_path, db_copy)
        snapshot = sqlite3.connect(db_copy)
        try:
            rows = snapshot.execute(
                "SELECT DISTINCT sha256, stored_path, thumb_path FROM assets"
            ).fetchall()
            works = int(snapshot.execute("SELECT count(*) FROM works").fetchone()[0])
        finally:
            snapshot.close()
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"the catalogue could not be copied: {exc}") from exc
    total, copied, size = len(rows), 0, db_copy.stat().st_size
    for done, (sha, stored, thumb) in enumerate(rows, start=1):
        if cancelled():
            return BackupResult(dest, works, copied, size, cancelled=True)
        if stored:
            source = lib.root / stored
            try:
                _copy(source, dest / stored)
            except OSError as exc:
                raise BackupError(f"{stored} could not be copied: {exc.strerror}") from exc
            if _hash(dest / stored) != sha:
                raise BackupError(
                    f"{stored} does not hold what the catalogue says (run Verify): "
                    "the backup was not made"
                )
            copied += 1
            size += (dest / stored).stat().st_size
        if thumb and (lib.root / thumb).exists():
            with contextlib.suppress(OSError):  # thumbnails can be made again
                _copy(lib.root / thumb, dest / thumb)
        if progress:
            progress(done, total)
    for sub in ("store/tmp", "thumbs"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    ident = identity_dir(lib.root)
    if ident.is_dir():
        shutil.copytree(ident, identity_dir(dest))
        os.chmod(identity_dir(dest), 0o700)
    (dest / MARK).write_text(
        f"Inkseal backup of {lib.root}\nmade {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"{works} works, {copied} stored files\n",
        encoding="utf-8",
    )
    return BackupResult(dest, works, copied, size)


def restore_backup(backup: Path, library_root: Path) -> Path:
    """Put the backup in `backup` in place of the library at `library_root`.

    The library that was there is kept beside it (renamed "<name> before restore <time>"),
    never deleted. The library must not be open anywhere. Returns where the old one went.
    """
    backup, root = Path(backup), Path(library_root)
    if not (backup / MARK).exists() or not (backup / DB_NAME).exists():
        raise BackupError(f"{backup} is not an Inkseal backup")
    try:
        check = sqlite3.connect(f"file:{backup / DB_NAME}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            check.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup's catalogue cannot be read: {exc}") from exc
    if not ok:
        raise BackupError("the backup's catalogue is damaged; it was not restored")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H%M%S")
    aside = root.with_name(f"{root.name} before restore {stamp}")
    staging = root.with_name(f".{root.name}.restoring")
    lock = _lock_alone(root)
    try:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            shutil.copytree(backup, staging, ignore=shutil.ignore_patterns(MARK, LOCK_NAME))
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BackupError(f"the backup could not be copied: {exc.strerror}") from exc
        moved = False
        try:
            if root.exists():
                os.replace(root, aside)
                moved = True
            os.replace(staging, root)
        except OSError as exc:
            if moved and not root.exists():
                os.replace(aside, root)  # put the library back where it was
            shutil.rmtree(staging, ignore_errors=True)
            raise BackupError(f"the backup could not be restored: {exc.strerror}") from exc
    finally:
        if lock is not None:
            os.close(lock)
    return aside


def _lock_alone(root: Path) -> int | None:
    """The library's lock, exclusively: refused while a window or a command has it open (a
    running app would go on writing into the folder being replaced)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    if not root.exists():
        return None
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BackupError(
            "the library is open in Inkseal (the window or a command): close it, then restore"
        ) from None
    return fd
