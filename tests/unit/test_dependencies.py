"""pyproject.toml keeps the known-bad PySide6 release away from CPython 3.11."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from tests.conftest import REPO


def _pyside_requirements() -> list[Requirement]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return [r for r in reqs if r.name.lower() == "pyside6-essentials"]


def _allowed(version: str, python: str) -> bool:
    env = {"python_version": python, "python_full_version": python + ".0"}
    active = [r for r in _pyside_requirements() if r.marker is None or r.marker.evaluate(env)]
    assert active, f"no PySide6 requirement applies on Python {python}"
    return all(r.specifier.contains(version, prereleases=True) for r in active)


def test_pyside_6_12_0_is_excluded_on_python_3_11() -> None:
    assert not _allowed("6.12.0", "3.11")
    assert _allowed("6.11.3", "3.11")


def test_pyside_6_12_0_is_allowed_on_python_3_12_and_later() -> None:
    assert _allowed("6.12.0", "3.12")
    assert _allowed("6.12.0", "3.13")


def test_installed_pyside_is_not_the_bad_pair() -> None:
    import sys
    from importlib.metadata import version

    if sys.version_info[:2] == (3, 11):
        assert version("PySide6-Essentials") != "6.12.0"
