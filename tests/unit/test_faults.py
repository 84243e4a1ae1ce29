"""Faults from outside: a full disk, a read-only library, a library busy in another process,
and two processes writing at once. Each gives a clear message and changes nothing else."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from inkseal.library import errors, importer
from inkseal.library import works as works_service
from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.verify import verify_library
from tests.conftest import REPO
from tests.images import gradient, save


def _pictures(folder: Path, n: int = 3, first_seed: int = 0) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        save(gradient((80, 60), seed=first_seed + i), folder / f"p{i}.png", "PNG")
    return folder


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("library.sqlite")
    )


@pytest.mark.parametrize(
    ("where", "error", "words"),
    [
        ("thumbnail", OSError(errno.ENOSPC, "No space left on device"), errors.DISK_FULL),
        ("thumbnail", OSError(errno.EROFS, "Read-only file system"), errors.READ_ONLY),
        ("store", OSError(errno.ENOSPC, "No space left on device"), errors.DISK_FULL),
        ("catalogue", sqlite3.OperationalError("database or disk is full"), errors.DISK_FULL),
        (
            "catalogue",
            sqlite3.OperationalError("attempt to write a readonly database"),
            errors.READ_ONLY,
        ),
    ],
)
def test_a_failing_disk_fails_each_file_clearly_and_leaves_the_library_as_it_was(
    lib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, error: Exception, words: str
) -> None:
    first = import_paths(lib, [str(_pictures(tmp_path / "first", 1))])
    assert first.added == 1
    before = _files(lib.root)

    def fail(*_a: object, **_k: object) -> None:
        raise error

    if where == "thumbnail":
        monkeypatch.setattr(importer, "_write_atomically", fail)
    elif where == "store":
        monkeypatch.setattr(importer.os, "fsync", fail)
    else:
        monkeypatch.setattr(importer, "place_in_store", fail)
    report = import_paths(lib, [str(_pictures(tmp_path / "more", 3, first_seed=10))])
    monkeypatch.undo()
    assert report.added == 0 and report.failed == 3
    assert all(words in (o.reason or "") for o in report.outcomes), report.outcomes
    assert _files(lib.root) == before
    assert verify_library(lib).ok
    with lib.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM works").scalar() == 1


def test_a_read_only_catalogue_is_said_plainly(tmp_path: Path) -> None:
    lib_dir = tmp_path / "L"
    with open_library(lib_dir) as lib:
        import_paths(lib, [str(_pictures(tmp_path / "p", 1))])
    # What a read-only folder or medium does to SQLite, without needing one (tests run as
    # root, whom file modes do not stop): the connection refuses every write.
    code = (
        "import sys\n"
        "from inkseal.models import db\n"
        "real = db._set_pragmas\n"
        "def ro(c, r):\n"
        "    real(c, r); c.execute('PRAGMA query_only=1')\n"
        "db._set_pragmas = ro\n"
        "from inkseal.cli import run\n"
        "sys.exit(run(['tag', '1', 'ink', '--library', sys.argv[1]]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(lib_dir)], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"inkseal: {errors.READ_ONLY}", proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_busy_library_says_so(tmp_path: Path) -> None:
    lib_dir = tmp_path / "L"
    with open_library(lib_dir) as lib:
        import_paths(lib, [str(_pictures(tmp_path / "p", 1))])
    holder = sqlite3.connect(lib_dir / "library.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO / "main.py"), "tag", "1", "ink", "--library", str(lib_dir)],
            capture_output=True,
            text=True,
            env=dict(os.environ, INKSEAL_BUSY_TIMEOUT_MS="300"),
            timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"inkseal: {errors.BUSY}", proc.stderr


WRITER = """
import sys
from inkseal.library.library import open_library
from inkseal.library import works
who = sys.argv[2]
with open_library(sys.argv[1]) as lib:
    for i in range(40):
        works.add_tags(lib, 1, [f"{who}-{i}"])
        works.rename(lib, 1, f"{who} {i}")
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    lib_dir = tmp_path / "L"
    with open_library(lib_dir) as lib:
        import_paths(lib, [str(_pictures(tmp_path / "p", 1))])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(lib_dir), who], cwd=REPO, stderr=subprocess.PIPE
        )
        for who in ("window", "command")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with open_library(lib_dir) as lib:
        work = works_service.get_work(lib, 1)
        expected = {f"{who}-{i}" for who in ("window", "command") for i in range(40)}
        assert set(work.tags) == expected
        assert work.title in ("window 39", "command 39")
        report = verify_library(lib)
        assert report.ok, report.to_json()
        assert report.events_checked >= 1 + 4 * 40
    with sqlite3.connect(lib_dir / "library.sqlite") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real filesystem of 4 MB (tmpfs), where the system lets the tests mount one (root on
    Linux, as in CI); skipped elsewhere."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk(small_disk: Path, tmp_path: Path) -> None:
    import random

    from PIL import Image

    big = tmp_path / "big"
    big.mkdir()
    rng = random.Random(5)
    for i in range(12):  # incompressible pictures of about 430 KB: a dozen fill the disk
        pixels = rng.randbytes(380 * 380 * 3)
        Image.frombytes("RGB", (380, 380), pixels).save(big / f"noise-{i:02}.png")
    with open_library(small_disk / "L") as lib:
        report = import_paths(lib, [str(big)])
        failed = [o for o in report.outcomes if o.status == "failed"]
        assert report.added >= 1 and failed, "the disk should fill up part-way"
        assert all(errors.DISK_FULL in (o.reason or "") for o in failed), failed
        assert verify_library(lib).ok
        with lib.read() as s:
            stored = {
                r[0] for r in s.connection().exec_driver_sql("SELECT stored_path FROM assets")
            }
    on_disk = {
        p.relative_to(small_disk / "L").as_posix()
        for p in (small_disk / "L" / "store").rglob("*")
        if p.is_file() and p.parent.name != "tmp"
    }
    assert on_disk == stored
    assert not list((small_disk / "L" / "store" / "tmp").glob("*.part"))
    with sqlite3.connect(small_disk / "L" / "library.sqlite") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_really_read_only_disk(small_disk: Path, tmp_path: Path) -> None:
    lib_dir = small_disk / "L"
    with open_library(lib_dir) as lib:
        import_paths(lib, [str(_pictures(tmp_path / "p", 1))])
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    proc = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "list", "--library", str(lib_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "read-only disk or folder" in proc.stderr and "Traceback" not in proc.stderr
