"""Preferences: creator and import mode reach imports; theme; another library."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from inkseal.library.works import get_work
from inkseal.ui.preferences import (
    Preferences,
    PreferencesDialog,
    apply_theme,
    recent_libraries,
    remember_library,
)
from tests.images import gradient, save


def test_preferences_round_trip_and_reach_imports(qtbot, window, tmp_path: Path) -> None:
    dialog = PreferencesDialog(Preferences.load(), str(window.ctx.library.root))
    qtbot.addWidget(dialog)
    dialog.creator.setText("  Lin   Mei ")
    dialog.import_mode.setCurrentIndex(dialog.import_mode.findData("reference"))
    dialog.value().save()
    assert Preferences.load() == Preferences("Lin Mei", "reference", "system")
    path = save(gradient(), tmp_path / "here.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(path)])
    w = get_work(window.ctx.library, blocker.args[0].outcomes[0].work_id)
    assert w.creator == "Lin Mei"
    assert w.files[0].info.referenced and w.files[0].info.path == str(path.resolve())


def test_dark_theme_changes_the_palette_and_system_restores_it(qtbot, window) -> None:
    app = QApplication.instance()
    before = app.palette().color(app.palette().ColorRole.Window).name()
    apply_theme("dark")
    assert app.palette().color(app.palette().ColorRole.Window).name() == "#2b2b2b"
    apply_theme("system")
    assert app.palette().color(app.palette().ColorRole.Window).name() == before


def test_open_another_library_in_a_new_window(qtbot, window, tmp_path: Path) -> None:
    other = tmp_path / "second library"
    new = window.open_library(str(other))
    assert new is not None
    qtbot.addWidget(new)
    assert (other / "library.sqlite").is_file()
    assert new.ctx.library.root == other
    assert not window.isVisible()
    assert recent_libraries()[0] == str(other)
    remember_library("/elsewhere")
    remember_library(str(other))
    assert recent_libraries()[:2] == [str(other), "/elsewhere"]
    new.close()
    new.ctx.shutdown()
