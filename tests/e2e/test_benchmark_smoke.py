"""The start-up benchmark, tiny, so that it cannot rot: it must run and write its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_startup_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    args = ["--app", "checkout", "--works", "5", "--runs", "1", "--no-cold", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "startup.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert [r["case"] for r in result["rows"]][1:] == ["Inkseal, empty library", "Inkseal, 5 works"]
    assert all(r["warm_s"] > 0 for r in result["rows"])
    assert "x baseline" in proc.stdout
