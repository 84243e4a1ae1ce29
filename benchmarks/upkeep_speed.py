"""Emptying the Trash and checking the catalogue against its log, in a large library.

    .venv/bin/python benchmarks/upkeep_speed.py [--works 100000] [--library DIR]

Makes (or reuses, with --library) a library with benchmarks/make_library.py, then, each in a
fresh process so that its peak memory is its own:

- verify's record check (library/verify.py check_records): every work compared with what
  the log says of it. Baseline, same run: SQLite reading the works and events tables once,
  the least such a check reads.
- emptying a Trash that holds one work in ten (library/trash.py empty_trash). Baseline, same
  run: SQLite deleting the same works by hand, cascades and triggers included, in a copy.

Results go to benchmarks/results/upkeep_speed.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RESULTS = Path(__file__).resolve().parent / "results"

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from inkseal.library.library import open_library
with open_library(Path({lib!r})) as lib:
    start = time.perf_counter()
    if {what!r} == "verify":
        from inkseal.library.verify import check_records
        n = len(check_records(lib))
    else:
        from inkseal.library.trash import empty_trash
        n = empty_trash(lib)
    took = time.perf_counter() - start
# ru_maxrss survives exec (it would count the parent); VmHWM starts with this process.
try:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": took, "count": n, "peak_mb": kb / 1024}}))
"""


def _child(lib: Path, what: str) -> dict[str, float]:
    code = _CHILD.format(root=str(ROOT), lib=str(lib), what=what)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _trash_one_in_ten(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE works SET trashed_at = created_at WHERE id % 10 = 0")


def _sqlite_read(db: Path) -> float:
    start = time.perf_counter()
    with sqlite3.connect(db) as conn:
        conn.execute("SELECT * FROM works").fetchall()
        for _ in conn.execute("SELECT work_id, kind, payload_json FROM events ORDER BY id"):
            pass
    return time.perf_counter() - start


def _sqlite_delete(db: Path) -> float:
    start = time.perf_counter()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM works WHERE trashed_at IS NOT NULL")
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--library", type=Path, help="a library made by make_library.py to reuse")
    ap.add_argument("--out", type=Path, default=RESULTS / "upkeep_speed.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="inkseal-upkeep-") as tmp:
        made = Path(tmp) / "lib"
        if args.library is None:
            import make_library

            print(f"making a library of {args.works:,} works ...", flush=True)
            make_library.make(made, args.works)
        else:
            shutil.copytree(args.library, made)
        db = made / "library.sqlite"
        with sqlite3.connect(db) as conn:
            works = conn.execute("SELECT count(*) FROM works").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]

        read = min(_sqlite_read(db) for _ in range(2))
        verify = _child(made, "verify")
        _trash_one_in_ten(db)
        copy = Path(tmp) / "copy.sqlite"
        shutil.copy(db, copy)
        delete = _sqlite_delete(copy)
        empty = _child(made, "empty")

    print(f"{works:,} works, {events:,} events")
    print(
        f"  verify's record check: {verify['seconds']:.2f} s, peak {verify['peak_mb']:.0f} MB "
        f"({verify['seconds'] / read:.1f}x SQLite reading works and events, {read:.2f} s)"
    )
    print(
        f"  emptying a Trash of {int(empty['count']):,} works: {empty['seconds']:.2f} s, "
        f"peak {empty['peak_mb']:.0f} MB ({empty['seconds'] / delete:.1f}x SQLite's own "
        f"DELETE of them, {delete:.2f} s)"
    )
    result = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "works": works,
        "events": events,
        "verify_records_s": round(verify["seconds"], 2),
        "verify_peak_mb": round(verify["peak_mb"]),
        "sqlite_read_s": round(read, 2),
        "trash_emptied": int(empty["count"]),
        "empty_trash_s": round(empty["seconds"], 2),
        "empty_trash_peak_mb": round(empty["peak_mb"]),
        "sqlite_delete_s": round(delete, 2),
    }
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
