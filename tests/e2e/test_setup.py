"""The first-run setup script: installs Qt's system libraries as root, or says exactly how."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO

SCRIPT = REPO / "packaging" / "linux" / "ensure-system-packages.sh"


def _fake_bin(tmp_path: Path, uid: int, installed: set[str]) -> Path:
    """Stand-ins for dpkg-query, apt-get and id, so no real package is touched."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    cases = "\n".join(f"  {name}) echo installed; exit 0;;" for name in sorted(installed))
    (bin_dir / "dpkg-query").write_text(
        '#!/bin/sh\nfor last; do :; done\ncase "$last" in\n' + cases + "\n  *) exit 1;;\nesac\n"
    )
    log = tmp_path / "apt.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    for p in bin_dir.iterdir():
        p.chmod(0o755)
    return bin_dir


def _wanted() -> list[str]:
    lines = (SCRIPT.parent / "system-packages.txt").read_text().splitlines()
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env)


def test_non_root_gets_the_exact_apt_get_line(tmp_path: Path) -> None:
    bin_dir = _fake_bin(tmp_path, 1000, installed={"libgl1", "libx11-6"})
    proc = _run(bin_dir)
    assert proc.returncode == 1
    missing = [p for p in _wanted() if p not in {"libgl1", "libx11-6"}]
    assert f"sudo apt-get install -y {' '.join(missing)}" in proc.stderr
    assert not (tmp_path / "apt.log").exists()


def test_root_installs_what_is_missing(tmp_path: Path) -> None:
    bin_dir = _fake_bin(tmp_path, 0, installed=set(_wanted()) - {"fonts-noto-cjk", "libegl1"})
    proc = _run(bin_dir)
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls[0].startswith("update")
    assert calls[1].split()[-2:] == ["libegl1", "fonts-noto-cjk"]


def test_nothing_to_do_when_everything_is_there(tmp_path: Path) -> None:
    bin_dir = _fake_bin(tmp_path, 1000, installed=set(_wanted()))
    proc = _run(bin_dir)
    assert proc.returncode == 0 and proc.stderr == ""
