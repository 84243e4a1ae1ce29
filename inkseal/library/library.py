"""Opening a library: a folder holding the catalogue, the file store and thumbnails."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inkseal.library.errors import InksealError, LibraryError
from inkseal.models import db

APP_NAME = "Inkseal"
ENV_VAR = "INKSEAL_LIBRARY"
DB_NAME = "library.sqlite"


def store_rel(sha: str, ext: str) -> str:
    """Where the store keeps the copy of a file with this content, relative to the root."""
    return f"store/{sha[:2]}/{sha[2:4]}/{sha}.{ext}"


def thumb_rel(sha: str, ext: str) -> str:
    """Where the thumbnail of a file with this content is kept, relative to the root."""
    return f"thumbs/{sha[:2]}/{sha}.{ext}"


def default_library_dir() -> Path:
    """The library used when none is named: appdirs' user data folder for Inkseal."""
    import appdirs

    return Path(appdirs.user_data_dir(APP_NAME, appauthor=False)) / "Library"


def resolve_library_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--library DIR` first, then $INKSEAL_LIBRARY, then the default location."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().absolute()
    return default_library_dir()


@dataclass
class Library:
    """An open library. Pass it (or its parts) to the services; close it when done."""

    root: Path
    engine: Engine
    # Sessions for reading. Use `with lib.read() as s:`.
    read: sessionmaker[Session] = field(repr=False)
    # Sessions for changes: one transaction per user action, `with lib.write.begin() as s:`.
    write: sessionmaker[Session] = field(repr=False)
    # What the open cleaned up after a process that was killed mid-import (recovery.py).
    recovery: Any = field(default=None, repr=False)
    recovery_error: str | None = field(default=None, repr=False)
    # A shared lock on LOCK_NAME held while the library is open (see hold_open_lock).
    lock_fd: int | None = field(default=None, repr=False)

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    @property
    def thumbs_dir(self) -> Path:
        return self.root / "thumbs"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "store" / "tmp"

    def close(self) -> None:
        self.engine.dispose()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the shared lock
            self.lock_fd = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_library(path: str | os.PathLike[str] | None = None) -> Library:
    """Open the library at `path` (see resolve_library_dir), creating it when missing.

    The catalogue is migrated to the newest schema (with a backup first when it holds data).
    Raises LibraryError with a readable message when the folder cannot be used.
    """
    root = resolve_library_dir(path)
    try:
        if root.exists() and not root.is_dir():
            raise LibraryError(f"{root} is a file, not a library folder")
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("store", "thumbs", "store/tmp"):
            (root / sub).mkdir(exist_ok=True)
    except OSError as exc:
        raise LibraryError(f"cannot create the library folder {root}: {exc.strerror}") from exc
    lock_fd = hold_open_lock(root)
    engine = db.make_engine(root / DB_NAME)
    event.listen(engine, "handle_error", _say_plainly)
    try:
        db.migrate(engine, root / DB_NAME)
    except (SQLAlchemyError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        if _read_only(root):
            raise LibraryError(
                f"{root} is on a read-only disk or folder; Inkseal writes beside its catalogue "
                "even to read it: make it writable, or copy the library to a writable place"
            ) from exc
        raise LibraryError(
            f"cannot open the catalogue in {root}: {exc.orig if hasattr(exc, 'orig') else exc}"
        ) from exc
    except RuntimeError as exc:
        engine.dispose()
        raise LibraryError(str(exc)) from exc
    except BaseException:
        engine.dispose()
        raise
    _clean_tmp(root / "store" / "tmp")
    lib = Library(
        root=root,
        engine=engine,
        read=db.make_sessionmaker(engine),
        write=db.make_sessionmaker(engine, write=True),
        lock_fd=lock_fd,
    )
    from inkseal.library.recovery import recover

    try:
        lib.recovery = recover(lib)
    except (OSError, SQLAlchemyError, InksealError) as exc:
        # The library is usable; the leftovers wait for the next open.
        lib.recovery = None
        lib.recovery_error = str(exc)
    return lib


def _read_only(root: Path) -> bool:
    try:
        flags = os.statvfs(root).f_flag
    except (OSError, AttributeError):  # no statvfs on Windows
        return not os.access(root, os.W_OK)
    return bool(flags & getattr(os, "ST_RDONLY", 1)) or not os.access(root, os.W_OK)


LOCK_NAME = ".inkseal-open.lock"


def hold_open_lock(root: Path) -> int | None:
    """Take a shared lock on the library's lock file for as long as it is open: any number of
    windows and commands may have it open, but a restore (which replaces the whole folder)
    needs the lock alone. None where the system has no flock (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None  # a read-only library can still be read
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LibraryError(
            f"{root} is being restored from a backup; open it again when that is done"
        ) from None
    return fd


def _say_plainly(context: Any) -> None:
    """Database failures the user can act on become InksealErrors with words for them (a
    busy library, a full disk, a read-only folder), so that the window's and the command
    line's error handling shows them as messages."""
    from inkseal.library.errors import BUSY, DISK_FULL, READ_ONLY, LibraryBusy, describe

    exc = context.original_exception
    if not isinstance(exc, sqlite3.OperationalError):
        return
    message = describe(exc)
    if message == BUSY:
        raise LibraryBusy(message) from exc
    if message in (DISK_FULL, READ_ONLY):
        raise LibraryError(message) from exc


def _clean_tmp(tmp: Path) -> None:
    # Files left half-copied by an interrupted import are never referenced: drop them. Only
    # old ones: another process (the CLI beside the GUI) may be importing right now.
    cutoff = time.time() - 6 * 3600
    for leftover in tmp.glob("*.part"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
