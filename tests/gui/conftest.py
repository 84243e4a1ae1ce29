from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_settings(qapp, tmp_path: Path) -> None:
    """Window state is remembered with QSettings: keep each test's apart from the user's."""
    from PySide6.QtCore import QSettings

    qapp.setOrganizationName("Inkseal-tests")
    qapp.setApplicationName("Inkseal-tests")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[object]:
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow

    ctx = AppContext(open_library(tmp_path / "lib"))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    ctx.shutdown()
