"""Cleaning up after a process killed while it wrote into the library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.recovery import MARK_SUFFIX, recover, working
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


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_marks_of_dead_processes_lead_to_a_clean_up(tmp_path: Path) -> None:
    with open_library(tmp_path / "L") as lib:
        save(gradient(), tmp_path / "keep.png", "PNG")
        import_paths(lib, [str(tmp_path / "keep.png")])
        kept = {p for p in lib.root.rglob("*") if p.is_file()}
        left = _leftovers(lib)
        (lib.tmp_dir / f"{_dead_pid()}-x{MARK_SUFFIX}").write_text("")
        (lib.tmp_dir / f"not-a-pid{MARK_SUFFIX}").write_text("")
    with open_library(tmp_path / "L") as lib:  # the open recovers
        assert lib.recovery.interrupted == 2 and lib.recovery.removed == 3
        assert not any(p.exists() for p in left)
        assert {p for p in lib.root.rglob("*") if p.is_file()} >= {
            p for p in kept if "library.sqlite" not in p.name
        }
        assert not list(lib.tmp_dir.iterdir())


def test_another_process_at_work_defers_the_clean_up(tmp_path: Path) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open_library(tmp_path / "L") as lib:
            left = _leftovers(lib)
            (lib.tmp_dir / f"{_dead_pid()}-x{MARK_SUFFIX}").write_text("")
            (lib.tmp_dir / f"{alive.pid}-y{MARK_SUFFIX}").write_text("")
            result = recover(lib)
            assert result.deferred and result.removed == 0
            assert all(p.exists() for p in left)  # its files may be under way
    finally:
        alive.kill()
        alive.wait()
    with open_library(tmp_path / "L") as lib:
        assert lib.recovery.removed == 3 and not lib.recovery.deferred


def test_working_marks_and_unmarks(tmp_path: Path) -> None:
    with open_library(tmp_path / "L") as lib:
        with working(lib):
            assert len(list(lib.tmp_dir.glob(f"*{MARK_SUFFIX}"))) == 1
            assert recover(lib).interrupted == 0  # our own mark: alive
        assert not list(lib.tmp_dir.glob(f"*{MARK_SUFFIX}"))
