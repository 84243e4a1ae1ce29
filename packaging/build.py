"""Build the installable app (`make package`).

    python packaging/build.py [--out DIR] [--work DIR] [--bundle-only]

Runs PyInstaller on packaging/inkseal.spec (the one-folder bundle in OUT/inkseal; on macOS
also OUT/Inkseal.app), then on Linux the .deb and the per-user tarball beside it
(packaging/linux/build_deb.py). Windows' installer is made from the bundle by Inno Setup
(packaging/windows/inkseal.iss), on Windows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def build(out: Path, work: Path, bundle_only: bool = False) -> list[Path]:
    """Build into `out`; returns what was made (the bundle folder first)."""
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            "--distpath",
            str(out),
            "--workpath",
            str(work),
            str(HERE / "inkseal.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    made = [out / "inkseal"]
    print(f"bundle {made[0]} in {time.monotonic() - started:.0f} s", flush=True)
    if sys.platform.startswith("linux") and not bundle_only:
        # In a process of its own: drawing the icons needs a Qt application, which must not
        # be made in a caller that has (or will have) its own, such as the test suite.
        for old in (*out.glob("inkseal_*.deb"), *out.glob("inkseal-*-linux-*.tar.gz")):
            old.unlink()
        subprocess.run(
            [sys.executable, str(HERE / "linux" / "build_deb.py"), str(made[0]), str(out)],
            check=True,
            cwd=ROOT,
        )
        made += [*out.glob("inkseal_*.deb"), *out.glob("inkseal-*-linux-*.tar.gz")]
    return made


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--bundle-only", action="store_true", help="no .deb or tarball")
    args = parser.parse_args(argv)
    for path in build(args.out.resolve(), args.work.resolve(), args.bundle_only):
        size = (
            sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
            if path.is_dir()
            else path.stat().st_size
        )
        print(f"{path}  {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
