"""The library at scale: what the window's queries and start-up cost with many works.

    .venv/bin/python benchmarks/scale.py [--works 1000000] [--library DIR]

Makes (or reuses, with --library) a library with benchmarks/make_library.py, then times, with
the real services and against a baseline measured in the same run (SQLite reading the ids in
display order, the least any listing of the grid does):

- opening the library; the class and tag counts; a tag filter (its first screen and its whole
  listing); a full-text search for a common word (one work in ten) and for a rare phrase;
  a page of cards; the grid's whole listing (its ids) and the memory it takes;
- the window from launch to its first paint (offscreen), and its resident memory then;
- the window in benchmarks/scroll_probe.py: the GUI thread's worst frame while the listing
  arrives, while scrolling top to bottom and with a wheel, and its resident memory after.

Queries are timed as the best of three. Targets (issue "Scale and speed"), at 1,000,000
works: first paint under 1 s; counts, tag filters and search under 100 ms each; every frame
under 16 ms; resident memory under 500 MB. Results go to benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def timed(fn, runs: int = 3):  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return best, value


def rss_mb(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def window_start(library: Path, timeout: float = 600) -> tuple[float, float]:
    """Seconds from launching the window to its first paint, and its RSS (MB) then."""
    with tempfile.TemporaryDirectory() as home:
        shown = Path(home) / "shown.txt"
        env = dict(os.environ, HOME=home, QT_QPA_PLATFORM="offscreen")
        env["INKSEAL_SHOWN_FILE"] = str(shown)
        started = time.time()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--library", str(library)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout
            while not (shown.exists() and shown.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    return float("nan"), float("nan")
                time.sleep(0.01)
            seconds = float(shown.read_text()) - started
            time.sleep(0.5)
            return seconds, rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(60)


def scroll_probe(library: Path) -> dict[str, Any]:
    """benchmarks/scroll_probe.py in its own process: frame times and memory."""
    with tempfile.TemporaryDirectory() as home:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks/scroll_probe.py"), str(library)],
            env=dict(os.environ, HOME=home, QT_QPA_PLATFORM="offscreen"),
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--library", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scale.json")
    args = parser.parse_args(argv)
    from make_library import make

    tmp = None
    library = args.library
    if library is None or not (library / "library.sqlite").exists():
        if library is None:
            tmp = tempfile.TemporaryDirectory(prefix="inkseal-scale-")
            library = Path(tmp.name) / "Library"
        made = make(library, args.works)
        print(f"made {args.works:,} works in {made:.0f} s")

    from inkseal.library import works
    from inkseal.library.library import open_library

    con = sqlite3.connect(library / "library.sqlite")
    base, ids = timed(
        lambda: con.execute(
            "SELECT id FROM works WHERE trashed_at IS NULL ORDER BY created_at DESC, id DESC"
        ).fetchall()
    )
    con.close()
    n = len(ids)
    del ids
    rows: list[dict[str, object]] = []

    def row(label: str, seconds: float, target: float | None, extra: str = "") -> None:
        rows.append(
            {"case": label, "seconds": round(seconds, 4), "ratio": round(seconds / base, 1),
             "target_seconds": target, "meets": None if target is None else seconds <= target,
             "note": extra}
        )  # fmt: skip

    opened, lib = timed(lambda: open_library(library), runs=1)
    row("open the library", opened, None)
    seconds, counts = timed(lambda: works.count_works(lib))
    row("class counts", seconds, 0.1)
    seconds, tags = timed(lambda: works.tag_counts(lib))
    row("tag counts", seconds, 0.1)
    page = 100  # what the window reads first (WorksModel.PAGE)
    tag = tags[0][0] if tags else None
    seconds, found = timed(lambda: works.list_works(lib, tag=tag, limit=page))
    row(f"tag filter '{tag}', first screen", seconds, 0.1, f"{len(found)} shown")
    seconds, ids = timed(lambda: works.work_ids(lib, tag=tag))
    row(f"tag filter '{tag}', whole listing", seconds, 0.1, f"{len(ids):,} works")
    for words in ("heron", "heron crane moon"):
        seconds, ids = timed(lambda w=words: works.work_ids(lib, search=w))
        row(f"text search '{words}', whole listing", seconds, 0.1, f"{len(ids):,} works")
    seconds, found = timed(lambda: works.summaries(lib, ids[:page]))
    row("a page of cards by id", seconds, None, f"{len(found)} works")
    before = rss_mb()
    seconds, everything = timed(lambda: works.work_ids(lib))
    row("the grid's whole listing (ids)", seconds, None, f"{len(everything):,} works")
    listing_mb = rss_mb() - before
    del everything
    lib.close()
    first_paint, window_mb = window_start(library)
    row("window: launch to first paint", first_paint, 1.0, f"RSS {window_mb:.0f} MB")
    probe = scroll_probe(library)
    row("window: whole listing in, after launch", probe["listed_s"], None, "on a worker thread")
    for phase, label in (
        ("loading", "worst frame while the listing arrives"),
        ("jumping", "worst frame, scrolling top to bottom"),
        ("wheel", "worst frame, wheel scrolling"),
    ):
        f = probe[phase]
        row(
            f"window: {label}",
            f["max_ms"] / 1000,
            0.016,
            f"{f['frames']} frames, median {f['median_ms']} ms, 99% {f['p99_ms']} ms",
        )
    window_mb = max(window_mb, probe["rss_mb"])

    print(f"\n{n:,} works; baseline: SQLite reads the ids in display order in {base:.3f} s\n")
    print(f"{'case':<40} {'seconds':>9} {'x baseline':>11} {'target':>7}  note")
    for r in rows:
        target = "-" if r["target_seconds"] is None else f"{r['target_seconds']}"
        mark = "" if r["meets"] is None else (" ok" if r["meets"] else " MISSED")
        print(
            f"{r['case']:<40} {r['seconds']:>9.3f} {r['ratio']:>11} {target:>7}{mark}  {r['note']}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nmemory: the whole listing took {listing_mb:.0f} MB; the window at most "
        f"{window_mb:.0f} MB "
        f"(target 500); peak of this process {peak:.0f} MB"
    )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "works": n,
        "baseline_seconds": round(base, 4),
        "rows": rows,
        "listing_mb": round(listing_mb),
        "window_rss_mb": round(window_mb),
        "counts": counts,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
