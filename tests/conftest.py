"""Shared fixtures: real libraries in tmp_path, real images, the shared corpus."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _no_default_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No test may touch the user's real library.
    monkeypatch.setenv("INKSEAL_LIBRARY", str(tmp_path / "default-library"))


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def read_manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[object]:
    from inkseal.library.library import open_library

    with open_library(tmp_path / "lib") as library:
        yield library
