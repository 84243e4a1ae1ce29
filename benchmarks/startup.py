"""Start-up of the installed app to a painted window, against a bare Qt window, in one run.

    .venv/bin/python benchmarks/startup.py [--app PATH] [--works 10000] [--runs 5]

PATH is the installed launcher (/usr/bin/inkseal after installing the .deb), or the bundle
`make package` leaves in dist/inkseal/inkseal; those are tried in that order. The app is
started with a fresh empty library and with one of WORKS works (imported through the real
import service), and timed from the launch to its window's first paint (the app writes the
moment to $INKSEAL_SHOWN_FILE). The baseline is the least any Qt app pays: a Python that
imports QtWidgets and paints an empty QMainWindow, on the same screen.

"Cold" is the first launch after the kernel dropped its file caches (as after a reboot; needs
root, else it is left out); "warm" is the median of RUNS launches after that. Also printed:
the bundle's size and the .deb's, when one lies in dist/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1200, 760)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            open(sys.argv[1], "w").write(f"{time.time():.6f}")
            QTimer.singleShot(0, app.quit)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""


def find_app(given: str | None) -> list[str]:
    """The installed app's command; the checkout's when none is built (then said so)."""
    for candidate in (given, "/usr/bin/inkseal", str(ROOT / "dist" / "inkseal" / "inkseal")):
        if candidate == "checkout":
            break
        if candidate and Path(candidate).exists():
            return [candidate]
    print("no installed Inkseal (`make package`, then install the .deb): timing the checkout")
    return [sys.executable, str(ROOT / "main.py")]


@contextlib.contextmanager
def screen() -> Iterator[dict[str, str]]:
    """Xvfb when installed (Qt's real X11 plugin, as on a desktop), else offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "INKSEAL_"))}
    if shutil.which("Xvfb") is None:
        env["QT_QPA_PLATFORM"] = "offscreen"
        yield env
        return
    display = ":93"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    env["DISPLAY"] = display
    try:
        yield env
    finally:
        proc.terminate()
        proc.wait(10)


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def launch(command: list[str], env: dict[str, str], home: Path) -> float:
    """Seconds from starting `command` to its first paint; then the app is asked to quit."""
    shown = home / "shown.txt"
    shown.unlink(missing_ok=True)
    run_env = dict(env, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    run_env["INKSEAL_SHOWN_FILE"] = str(shown)
    started = time.time()
    proc = subprocess.Popen(
        [*command, str(shown)] if command[-1] == BASELINE else command,
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (shown.exists() and shown.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not show a window")
            time.sleep(0.005)
        return float(shown.read_text()) - started
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(30)


def make_library(folder: Path, works: int) -> None:
    """`works` works imported through the real import service from small distinct images
    (random pixels: pictures that look alike would all be reported as near-duplicates of one
    another, which real libraries are not)."""
    import random

    from PIL import Image

    from inkseal.library.importer import import_paths
    from inkseal.library.library import open_library

    images = folder.parent / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    for i in range(works):
        pixels = bytes(rng.getrandbits(8) for _ in range(24 * 24 * 3))
        Image.frombytes("RGB", (24, 24), pixels).resize((48, 48)).save(images / f"w{i:05}.png")
    with open_library(folder) as lib:
        report = import_paths(lib, [str(images)])
    if report.added != works:
        raise SystemExit(f"made {report.added} works, wanted {works}")
    shutil.rmtree(images)


def tree_megabytes(path: Path) -> float:
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", help="the launcher to time, or 'checkout' for main.py")
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-cold", action="store_true", help="leave the file caches alone")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/startup.json")
    args = parser.parse_args(argv)
    app = find_app(args.app)
    bundle = Path(app[0]).resolve().parent if len(app) == 1 else None
    with tempfile.TemporaryDirectory(prefix="inkseal-startup-") as tmp:
        tmp_path = Path(tmp)
        started = time.monotonic()
        make_library(tmp_path / "big" / "Library", args.works)
        print(f"made a {args.works}-work library in {time.monotonic() - started:.0f} s")
        cases = [
            ("bare Qt window (baseline)", [sys.executable, "-c", BASELINE], None),
            ("Inkseal, empty library", [*app, "--library", str(tmp_path / "empty")], None),
            (
                f"Inkseal, {args.works:,} works",
                [*app, "--library", str(tmp_path / "big" / "Library")],
                None,
            ),
        ]
        rows = []
        with screen() as env:
            platform_name = "xcb (Xvfb)" if "DISPLAY" in env else "offscreen"
            for label, command, _ in cases:
                home = tmp_path / "home"
                home.mkdir(exist_ok=True)
                cold = None
                if not args.no_cold and drop_caches():
                    cold = launch(command, env, home)
                warm = [launch(command, env, home) for _ in range(args.runs)]
                rows.append({"case": label, "cold_s": cold, "warm_s": statistics.median(warm)})
    base = rows[0]
    print(f"\nStart-up to a painted window, {platform_name}, median of {args.runs} warm runs")
    print(f"{'case':<32} {'cold s':>8} {'warm s':>8} {'x baseline (warm)':>18}")
    for row in rows:
        row["ratio"] = round(row["warm_s"] / base["warm_s"], 2)
        cold = f"{row['cold_s']:.2f}" if row["cold_s"] is not None else "-"
        print(f"{row['case']:<32} {cold:>8} {row['warm_s']:>8.2f} {row['ratio']:>18.2f}")
        row["warm_s"] = round(row["warm_s"], 3)
        row["cold_s"] = round(row["cold_s"], 3) if row["cold_s"] is not None else None
    sizes = {"bundle_mb": round(tree_megabytes(bundle), 1)} if bundle else {}
    debs = sorted((ROOT / "dist").glob("inkseal_*.deb"))
    if debs:
        sizes["deb_mb"] = round(debs[-1].stat().st_size / 1e6, 1)
    if sizes:
        print("\n" + ", ".join(f"{k[:-3]} {v} MB" for k, v in sizes.items()))
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "app": " ".join(app),
        "platform": platform_name,
        "rows": rows,
        **sizes,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
