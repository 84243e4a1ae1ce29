"""Cleaning up after a process that was killed while it wrote files into the library.

An import writes a thumbnail and a staged copy before its transaction, and moves the copy into
the store inside it. SQLite undoes a transaction cut short by a crash; the files are not
undone by anyone. So every process that may leave such files marks itself while it works (a
small file in store/tmp naming its process id), and removes the mark when done. A mark whose
process is gone means files may be left over: the next open, when no other process is at
work, removes every stored copy and thumbnail the catalogue does not refer to, and every
half-written staged copy, then the mark.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inkseal.library.library import Library

MARK_SUFFIX = ".working"


@dataclass(frozen=True)
class Recovery:
    """What an open found and did."""

    interrupted: int  # processes that stopped without removing their mark
    removed: int  # left-over files removed
    deferred: bool  # another process is at work: cleaning waits for a later open


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else: treat as at work
    return True


def _marks(lib: Library) -> list[tuple[Path, int | None]]:
    found = []
    for mark in lib.tmp_dir.glob(f"*{MARK_SUFFIX}"):
        try:
            pid: int | None = int(mark.name.split("-", 1)[0])
        except ValueError:
            pid = None
        found.append((mark, pid))
    return found


@contextlib.contextmanager
def working(lib: Library) -> Iterator[None]:
    """Mark this process as writing files into the library until the block ends."""
    lib.tmp_dir.mkdir(parents=True, exist_ok=True)
    mark = lib.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{MARK_SUFFIX}"
    mark.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            mark.unlink()


def recover(lib: Library) -> Recovery:
    """After a crash: remove what the interrupted process left (see the module docstring)."""
    marks = _marks(lib)
    dead = [m for m, pid in marks if pid is None or not _alive(pid)]
    if not dead:
        return Recovery(0, 0, False)
    if len(dead) < len(marks):
        return Recovery(len(dead), 0, True)
    from inkseal.library.trash import sweep_unreferenced

    def still_alone() -> bool:
        # Asked under the write lock: a process that began since the look above has marked
        # itself, and may be writing thumbnails outside any transaction.
        return all(pid is None or not _alive(pid) for _m, pid in _marks(lib))

    removed = sweep_unreferenced(lib, keep_recent_thumbs=False, still_alone=still_alone)
    for leftover in lib.tmp_dir.glob("*.part"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    for mark in dead:
        with contextlib.suppress(OSError):
            mark.unlink()
    return Recovery(len(dead), removed, False)
