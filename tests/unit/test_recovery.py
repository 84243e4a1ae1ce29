"""Cleaning up after a process killed while it wrote into the library."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.recovery import MARK_SUFFIX, note_writing, recover, working
from tests.images import gradient, save


def _leftovers(lib) -> list[Path]:
    """What a killed import leaves: a thumbnail, a stored copy, a staged part-copy."""
    thumb = lib.thumbs_dir / "ab" / ("ab" + "0" * 62 + ".jpg")
    stored = lib.store_dir / "cd" / "ef" / ("cdef" + "1" * 60 + ".png")
    part = lib.tmp_dir / "0123.part"
    for p in (thumb, stored, part):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    return [thumb, stored, part]


def _dead_mark(lib, listed: list[Path]) -> Path:
    """A mark as a killed process leaves it: its files listed, nobody holding its lock."""
    mark = lib.tmp_dir / f"12345-dead{MARK_SUFFIX}"
    mark.write_text("".join(p.relative_to(lib.root).as_posix() + "\n" for p in listed))
    return mark


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
time.sleep(60)
"""


def test_what_a_dead_process_listed_is_removed_and_nothing_else(tmp_path: Path) -> None:
    with open_library(tmp_path / "L") as lib:
        save(gradient(), tmp_path / "keep.png", "PNG")
        import_paths(lib, [str(tmp_path / "keep.png")])
        kept = {p for p in (lib.root / "store").rglob("*") if p.is_file()}
        kept |= {p for p in lib.thumbs_dir.rglob("*") if p.is_file()}
        left = _leftovers(lib)
        # A copy detached from its work, kept for undo by a running window: unreferenced,
        # but listed by nobody.
        detached = lib.store_dir / "99" / "99" / ("9999" + "2" * 60 + ".png")
        detached.parent.mkdir(parents=True)
        detached.write_bytes(b"undo me")
        # The dead process also listed a file that was recorded: that one stays.
        _dead_mark(lib, [*left, *sorted(kept)])
    with open_library(tmp_path / "L") as lib:  # the open recovers
        assert lib.recovery.interrupted == 1 and lib.recovery.removed == 3, lib.recovery
        assert not any(p.exists() for p in left)
        assert detached.exists()
        assert all(p.exists() for p in kept)
        assert not list(lib.tmp_dir.iterdir())


def test_another_process_at_work_keeps_its_part_copies(tmp_path: Path) -> None:
    with open_library(tmp_path / "L") as lib:
        left = _leftovers(lib)
        _dead_mark(lib, left[:2])  # the dead one listed its thumbnail and stored copy
        live = lib.tmp_dir / f"777-live{MARK_SUFFIX}"
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(live)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
            result = recover(lib)
            assert result.interrupted == 1 and result.removed == 2 and result.deferred
            assert not left[0].exists() and not left[1].exists()
            assert left[2].exists()  # an unlisted part-copy may be the live import's
            assert live.exists()
        finally:
            holder.kill()
            holder.wait()
        time.sleep(0.1)
        result = recover(lib)  # the holder is gone now: its mark is a dead one
        assert result.interrupted == 1 and not result.deferred and not left[2].exists()


def test_working_marks_notes_and_unmarks(tmp_path: Path) -> None:
    with open_library(tmp_path / "L") as lib:
        with working(lib):
            (mark,) = lib.tmp_dir.glob(f"*{MARK_SUFFIX}")
            note_writing(lib.root, lib.thumbs_dir / "aa" / "x.jpg")
            assert mark.read_text() == "thumbs/aa/x.jpg\n"
            assert recover(lib).interrupted == 0  # our own mark: held, so alive
        assert not list(lib.tmp_dir.glob(f"*{MARK_SUFFIX}"))
