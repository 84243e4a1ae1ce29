"""Cleaning up after a process that was killed while it wrote files into the library.

An import writes a thumbnail and a staged copy before its transaction, and moves the copy into
the store inside it. SQLite undoes a transaction cut short by a crash; nobody undoes the
files. So a process that writes files into a library first takes a mark: a file in store/tmp
that it holds locked (flock) while it works, and in which it notes each file before writing
it. A mark that nobody holds locked any more belongs to a process that is gone (the system
releases the lock of a dead process, whatever its pid became). The next open removes the
files such a mark lists that the catalogue does not refer to, then the mark.

Only listed files are removed: stored copies detached from their works, which a running
window keeps for undo until the Trash is emptied, are not touched.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select

from inkseal.library.library import Library
from inkseal.models.entities import Asset

MARK_SUFFIX = ".working"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: liveness by process id
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Recovery:
    """What an open found and did."""

    interrupted: int  # processes that stopped without removing their mark
    removed: int  # left-over files removed
    deferred: bool  # another process was at work: unnamed part-copies wait for a later open


class _Mark:
    def __init__(self, lib: Library) -> None:
        lib.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.root = lib.root
        self.path = lib.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{MARK_SUFFIX}"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        self._lock = threading.Lock()

    def note(self, path: Path) -> None:
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            return
        with self._lock:
            os.write(self.fd, (rel + "\n").encode("utf-8"))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)


_active: dict[Path, list[_Mark]] = {}
_active_lock = threading.Lock()


def note_writing(root: Path, path: Path) -> None:
    """Say that `path` (inside the library at `root`) is about to be written by this process,
    so that a crash leaves it listed for the next open to remove."""
    with _active_lock:
        marks = list(_active.get(Path(root), ()))
    for mark in marks:
        mark.note(path)


@contextlib.contextmanager
def working(lib: Library) -> Iterator[None]:
    """Mark this process as writing files into the library until the block ends."""
    mark = _Mark(lib)
    with _active_lock:
        _active.setdefault(lib.root, []).append(mark)
    try:
        yield
    finally:
        with _active_lock:
            _active[lib.root].remove(mark)
            if not _active[lib.root]:
                del _active[lib.root]
        mark.close()


def _is_dead(mark: Path) -> tuple[bool, int | None]:
    """Whether the mark's process is gone; when it is, also an open descriptor holding the
    mark's lock (so that nobody else cleans it at the same time)."""
    if fcntl is None:
        # No flock (Windows): a mark untouched for half a day is taken as left behind (a
        # process that works notes a file every few seconds).
        import time

        try:
            return time.time() - mark.stat().st_mtime > 12 * 3600, None
        except OSError:
            return False, None
    try:
        fd = os.open(mark, os.O_RDONLY)
    except OSError:
        return False, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False, None
    return True, fd


def _listed(mark: Path) -> set[str]:
    try:
        text = mark.read_text("utf-8", errors="replace")
    except OSError:
        return set()
    return {line for line in text.splitlines() if line and not line.startswith("/")}


def recover(lib: Library) -> Recovery:
    """After a crash: remove what the interrupted processes left (see the module docstring)."""
    marks = sorted(lib.tmp_dir.glob(f"*{MARK_SUFFIX}"))
    dead: list[tuple[Path, int | None]] = []
    alive = 0
    for mark in marks:
        is_dead, fd = _is_dead(mark)
        if is_dead:
            dead.append((mark, fd))
        else:
            alive += 1
    if not dead:
        return Recovery(0, 0, False)
    removed = 0
    try:
        listed = set().union(*(_listed(m) for m, _fd in dead))
        with lib.write.begin() as s:  # no file can be placed or recorded meanwhile
            used: set[str] = set()
            names = sorted(listed)
            for i in range(0, len(names), 500):
                chunk = names[i : i + 500]
                for stored, thumb in s.execute(
                    select(Asset.stored_path, Asset.thumb_path).where(
                        or_(Asset.stored_path.in_(chunk), Asset.thumb_path.in_(chunk))
                    )
                ):
                    used.update(p for p in (stored, thumb) if p)
            for rel in names:
                target = lib.root / rel
                if rel in used or ".." in Path(rel).parts or not target.is_file():
                    continue
                with contextlib.suppress(OSError):
                    if not os.access(target, os.W_OK):
                        os.chmod(target, 0o644)
                    target.unlink()
                    removed += 1
            # Part-copies named by nobody (a thumbnail's, cut off while being written) can be
            # told from a live import's only when no other process is at work: ask again now
            # that the lock is held.
            still_alive = [m for m in lib.tmp_dir.glob(f"*{MARK_SUFFIX}") if not _dead_now(m, dead)]
            if not alive and not still_alive:
                for part in lib.tmp_dir.glob("*.part"):
                    with contextlib.suppress(OSError):
                        part.unlink()
                        removed += 1
        for mark, _fd in dead:
            with contextlib.suppress(OSError):
                mark.unlink()
    finally:
        for _mark, fd in dead:
            if fd is not None:
                os.close(fd)
    return Recovery(len(dead), removed, bool(alive))


def _dead_now(mark: Path, dead: list[tuple[Path, int | None]]) -> bool:
    if any(mark == m for m, _fd in dead):
        return True
    is_dead, fd = _is_dead(mark)
    if fd is not None:
        os.close(fd)
    return is_dead
