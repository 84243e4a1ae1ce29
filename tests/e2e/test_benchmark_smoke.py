"""Every benchmark, tiny, so that none can rot: each must run and write its figures."""

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
    assert cases["text search 'heron', whole listing"]["seconds"] > 0
    worst = [r for r in result["rows"] if r["case"].startswith("window: worst frame")]
    assert len(worst) == 3 and all(r["seconds"] > 0 for r in worst)
    assert 0 < result["window_rss_mb"] < 2000
    # The generated library is what import and declare write: its history replays.
    from inkseal.library.library import open_library
    from inkseal.library.verify import verify_library

    with open_library(tmp_path / "L") as lib:
        report = verify_library(lib)
    assert report.first_broken_event is None and not report.record_problems


def test_import_benchmark_runs(tmp_path: Path) -> None:
    proc = _bench(
        "import_speed.py", "--jpegs", "1", "--pngs", "1", "--webps", "1", "--rounds", "1",
        "--memory", "30", "--data", str(tmp_path / "data"), "--out", str(tmp_path),
    )  # fmt: skip
    result = json.loads((tmp_path / "import_speed.json").read_text())
    assert result["files"] == 3 and result["import_files_per_s"] > 0
    assert result["memory_run"]["files"] == 30
    assert "bare loop speed" in proc.stdout


def test_report_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "report_speed.json"
    _bench("report_speed.py", "--works", "2", "--no-sign", "--out", str(out))
    rows = json.loads(out.read_text())["rows"]
    assert [r["pages"] > 0 for r in rows] == [True, True]


def test_scan_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "scan_speed.json"
    proc = _bench(
        "scan_speed.py", "--files", "4", "--rounds", "1", "--data", str(tmp_path), "--out", str(out)
    )
    camera = json.loads(out.read_text())["camera_jpegs"]
    assert camera["files"] == 4
    names = [row["baseline"] for row in camera["baselines"]]
    assert names[0] == "exifread, details=False, + SHA-256"  # the target's baseline
    assert "SHA-256 alone" in names and "exifread standard call (maker notes too)" in names
    assert isinstance(camera["target_met"], bool)
    assert "target met" in proc.stdout or "target NOT met" in proc.stdout


def test_upkeep_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "upkeep_speed.json"
    proc = _bench("upkeep_speed.py", "--works", "300", "--out", str(out))
    result = json.loads(out.read_text())
    assert result["works"] == 300 and result["trash_emptied"] == 30
    assert "verify's record check" in proc.stdout
