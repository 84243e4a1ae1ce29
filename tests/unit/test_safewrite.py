"""Whole-file writes: a reader, or a crash, never sees half a file."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inkseal.library import safewrite
from inkseal.library.safewrite import write_file
from tests.conftest import REPO


@pytest.fixture(params=["unnamed", "hidden-name"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "hidden-name":  # systems or filesystems without O_TMPFILE
        monkeypatch.setattr(safewrite, "_open_unnamed", lambda folder, mode: None)
    return str(request.param)


def test_write_replace_and_refuse(tmp_path: Path, way: str) -> None:
    target = tmp_path / "report.pdf"
    write_file(target, b"one")
    write_file(target, b"two")
    assert target.read_bytes() == b"two"
    with pytest.raises(FileExistsError):
        write_file(target, b"three", replace=False)
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_private_mode_from_the_first_byte(tmp_path: Path, way: str) -> None:
    key = tmp_path / "key.pem"
    write_file(key, b"secret", mode=0o600, replace=False)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


WRITER = """
import sys
from pathlib import Path
from inkseal.library import safewrite
if sys.argv[2] == "hidden-name":
    safewrite._open_unnamed = lambda folder, mode: None
data = b"x" * (1024 * 1024 * 1024)
print("ready", flush=True)
safewrite.write_file(Path(sys.argv[1]), data)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_half_way_leaves_nothing(tmp_path: Path) -> None:
    if not hasattr(os, "O_TMPFILE"):
        pytest.skip("unnamed files are Linux's")
    target = tmp_path / "big.pdf"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), "unnamed"], cwd=REPO, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    time.sleep(0.15)  # writing 1 GB takes longer than this
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert os.listdir(tmp_path) == []
