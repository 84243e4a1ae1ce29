"""Killing Inkseal (SIGKILL) at random moments: of an import, a report export, a run of edits.

After every kill the library must open, pass `PRAGMA integrity_check` and verify (files,
hash chain, records), hold no stored copy or thumbnail the catalogue does not refer to and no
half-written file; and an import run again to the end must give exactly the library an
uninterrupted import gives. INKSEAL_KILLS sets how many kills each test makes (`make fuzz`
runs many more); INKSEAL_KILL_SEED repeats a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.images import gradient, save

KILLS = int(os.environ.get("INKSEAL_KILLS", "10"))
SEED = int(os.environ.get("INKSEAL_KILL_SEED", str(int(time.time()))))
A1111 = "a crane over mountains\nNegative prompt: blurry\nSteps: 20, Seed: {i}, Model: sdxl"


def cli(*args: str, lib: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), *args, "--library", str(lib)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_cli(*args: str, lib: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args, "--library", str(lib)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import PngImagePlugin

    folder = tmp_path_factory.mktemp("pictures")
    for i in range(24):
        picture = gradient((900 + i * 8, 700), seed=i)
        if i % 3 == 0:
            info = PngImagePlugin.PngInfo()
            info.add_text("parameters", A1111.format(i=i))
            picture.save(folder / f"generated {i:02}.png", pnginfo=info)
        elif i % 3 == 1:
            save(picture, folder / f"photo {i:02}.jpg", "JPEG", quality=92)
        else:
            save(picture, folder / f"study {i:02}.webp", "WEBP")
    return folder


def state(lib: Path) -> dict[str, object]:
    """What a library holds, independent of the order files were imported in."""
    with sqlite3.connect(lib / "library.sqlite") as db:
        works = sorted(
            db.execute(
                "SELECT w.title, w.suggested_class, a.sha256, a.role, a.media_type, a.stored_path"
                " FROM works w JOIN assets a ON a.work_id = w.id"
            ).fetchall()
        )
    return {
        "works": works,
        "store": sorted(
            p.relative_to(lib).as_posix()
            for p in (lib / "store").rglob("*")
            if p.is_file() and p.parent.name != "tmp"
        ),
        "thumbs": sorted(
            p.relative_to(lib).as_posix() for p in (lib / "thumbs").rglob("*") if p.is_file()
        ),
    }


def assert_consistent(lib: Path, context: str) -> None:
    from inkseal.library.library import open_library
    from inkseal.library.verify import verify_library

    with open_library(lib) as library:  # the open cleans up after the killed process
        report = verify_library(library)
        assert report.ok, (context, report.to_json())
        with library.read() as s:
            used = {
                row[0]
                for row in s.connection().exec_driver_sql(
                    "SELECT stored_path FROM assets WHERE stored_path IS NOT NULL"
                )
            }
            thumbs = {
                row[0]
                for row in s.connection().exec_driver_sql(
                    "SELECT thumb_path FROM assets WHERE thumb_path IS NOT NULL"
                )
            }
    with sqlite3.connect(lib / "library.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), context
    now = state(lib)
    assert set(now["store"]) == used, (context, "orphan or missing stored copies")
    assert set(now["thumbs"]) <= thumbs, (context, "orphan thumbnails")
    leftovers = list((lib / "store" / "tmp").iterdir())
    assert not leftovers, (context, leftovers)


@pytest.fixture(scope="module")
def uninterrupted(pictures: Path, tmp_path_factory: pytest.TempPathFactory):
    lib = tmp_path_factory.mktemp("reference") / "L"
    started = time.monotonic()
    result = run_cli("import", str(pictures), lib=lib)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return state(lib), seconds


def test_imports_killed_at_random_moments(pictures: Path, uninterrupted, tmp_path: Path) -> None:
    expected, seconds = uninterrupted
    rng = random.Random(SEED)
    lib = tmp_path / "L"
    for kill in range(KILLS):
        proc = cli("import", str(pictures), lib=lib)
        time.sleep(rng.uniform(0.0, seconds))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert_consistent(lib, f"seed {SEED}, kill {kill}")
    result = run_cli("import", str(pictures), lib=lib)
    assert result.returncode == 0, result.stderr
    assert state(lib) == expected, f"seed {SEED}"


def test_a_report_killed_while_written_leaves_no_half_file(
    pictures: Path, uninterrupted, tmp_path: Path
) -> None:
    import shutil

    lib = tmp_path / "L"
    assert run_cli("import", str(pictures), lib=lib).returncode == 0
    assert run_cli("declare", "1", "--class", "human-made", lib=lib).returncode == 0
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    ids = [str(i) for i in range(1, 25)]
    started = time.monotonic()
    done = run_cli("report", *ids, "-o", str(out_dir / "full.pdf"), "--no-sign", lib=lib)
    assert done.returncode == 0, done.stderr
    seconds = time.monotonic() - started
    rng = random.Random(SEED)
    for kill in range(KILLS):
        target = out_dir / f"killed-{kill}.pdf"
        proc = cli("report", *ids, "-o", str(target), "--no-sign", lib=lib)
        time.sleep(rng.uniform(0.0, seconds))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if target.exists():  # finished before the kill: then it is whole
            from pypdf import PdfReader

            assert len(PdfReader(target).pages) >= 24
            check = json.loads(run_cli("verify-report", str(target), "--json", lib=lib).stdout)
            assert check["manifest_found"] and check["works"] == 24, check
    names = sorted(p.name for p in out_dir.iterdir())
    assert all(n.endswith(".pdf") and not n.startswith(".") for n in names), names
    assert_consistent(lib, f"seed {SEED}, after reports")
    shutil.rmtree(out_dir)


EDITS = """
import sys
from inkseal.library.library import open_library
from inkseal.library import works
with open_library(sys.argv[1]) as lib:
    for i in range(100000):
        works.add_tags(lib, 1 + i % 3, [f"tag-{i}"])
        works.rename(lib, 1 + i % 3, f"title {i}")
"""


def test_edits_killed_at_random_moments(pictures: Path, tmp_path: Path) -> None:
    lib = tmp_path / "L"
    subset = tmp_path / "three"
    subset.mkdir()
    for p in sorted(pictures.iterdir())[:3]:
        (subset / p.name).write_bytes(p.read_bytes())
    assert run_cli("import", str(subset), lib=lib).returncode == 0
    rng = random.Random(SEED)
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", EDITS, str(lib)], cwd=REPO, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.3, 1.5))
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert_consistent(lib, f"seed {SEED}, edit kill {kill}")
