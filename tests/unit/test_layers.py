"""Imports point down only: ui, cli -> reports -> library -> models (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PKG = REPO / "inkseal"
# What each layer may import from inkseal.
ALLOWED = {
    "models": {"models"},
    "library": {"library", "models"},
    "reports": {"reports", "library", "models"},
    "ui": {"ui", "reports", "library", "models"},
}
QT_FREE = {"models", "library"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_layers_import_downwards_only() -> None:
    problems = []
    for layer, allowed in ALLOWED.items():
        for path in (PKG / layer).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if (
                    parts[0] == "inkseal"
                    and len(parts) > 1
                    and parts[1] in ALLOWED
                    and parts[1] not in allowed
                ):
                    problems.append(f"{path.relative_to(REPO)} imports {name}")
                if layer in QT_FREE and parts[0] in ("PySide6", "shiboken6"):
                    problems.append(f"{path.relative_to(REPO)} imports Qt ({name})")
                if layer == "reports" and name.startswith("PySide6.QtWidgets"):
                    problems.append(f"{path.relative_to(REPO)} imports QtWidgets")
    assert problems == []


def test_cli_does_not_import_the_gui() -> None:
    names = _imports(PKG / "cli.py")
    assert not [n for n in names if n.startswith(("inkseal.ui", "PySide6"))]
