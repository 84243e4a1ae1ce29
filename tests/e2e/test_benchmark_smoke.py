"""The start-up benchmark, tiny, so that it cannot rot: it must run and write its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_startup_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    proc = _bench(
        "startup.py", "--app", "checkout", "--works", "5", "--runs", "1", "--no-cold",
        "--out", str(out),
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert [r["case"] for r in result["rows"]][1:] == ["Inkseal, empty library", "Inkseal, 5 works"]
    assert all(r["warm_s"] > 0 for r in result["rows"])
    assert "x baseline" in proc.stdout


def test_scale_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    _bench("scale.py", "--works", "300", "--library", str(tmp_path / "L"), "--out", str(out))
    result = json.loads(out.read_text())
    assert result["works"] == 300
    cases = {r["case"]: r for r in result["rows"]}
    assert cases["class counts"]["seconds"] > 0
    assert cases["window: launch to first paint"]["seconds"] > 0  # the window came up
    # The generated library is what import and declare write: its history replays.
    from inkseal.library.library import open_library
    from inkseal.library.verify import verify_library

    with open_library(tmp_path / "L") as lib:
        report = verify_library(lib)
    assert report.first_broken_event is None and not report.record_problems
