"""The window, driven like a user would: drops, filters, search, cancel. Offscreen Qt."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from inkseal.library import works
from inkseal.ui.grid.model import ClassRole, ThumbRole, WorkRole
from tests.images import gradient, save


def _drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        QPoint(50, 50), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(50, 50), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, drop)


def test_dropping_files_and_folders_imports_them(qtbot, window, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    for i in range(3):
        save(gradient(seed=i), folder / f"piece {i}.png", "PNG")
    single = save(gradient(seed=9), tmp_path / "single.jpg", "JPEG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        _drop(window, [folder, single])
    report = blocker.args[0]
    assert report.added == 4 and report.failed == 0
    assert window.model.rowCount() == 4
    assert "4 works" in window.status_label.text()
    assert single.exists() and folder.exists()  # external drops never move anything
    titles = {window.model.data(window.model.index(r)) for r in range(4)}
    assert titles == {"piece 0", "piece 1", "piece 2", "single"}


def test_thumbnails_arrive_from_worker_threads(qtbot, window, tmp_path: Path) -> None:
    path = save(gradient(seed=3), tmp_path / "a.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(path)])
    idx = window.model.index(0)
    assert window.model.data(idx, ThumbRole) is None  # placeholder first
    qtbot.waitUntil(lambda: window.model.data(idx, ThumbRole) is not None, timeout=5000)
    assert not window.model.data(idx, ThumbRole).isNull()


def test_failures_are_summarised(qtbot, window, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    good = save(gradient(), tmp_path / "good.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(bad), str(good)])
    assert blocker.args[0].failed == 1
    box = window.last_summary_box
    assert "1 failed" in box.text() and "bad.png" in box.detailedText()
    box.close()


def test_sidebar_filters_by_class_with_counts(qtbot, window, tmp_path: Path) -> None:
    for i in range(3):
        save(gradient(seed=i), tmp_path / "in" / f"{i}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(tmp_path / "in")])
    ids = [o.work_id for o in blocker.args[0].outcomes]
    works.declare(window.ctx.library, ids[0], "human-made")
    window.refresh()
    assert window.sidebar.item(1).text() == "Human-made  (1)"
    window.sidebar.setCurrentRow(1)
    assert window.model.rowCount() == 1
    assert window.model.data(window.model.index(0), ClassRole) == "human-made"
    window.sidebar.setCurrentRow(4)  # undeclared
    assert window.model.rowCount() == 2


def test_search_is_debounced_and_filters(qtbot, window, tmp_path: Path) -> None:
    save(gradient(seed=1), tmp_path / "in" / "bamboo.png", "PNG")
    save(gradient(seed=2), tmp_path / "in" / "river.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(tmp_path / "in")])
    qtbot.keyClicks(window.search, "bamb")
    assert window.model.rowCount() == 2  # not yet: debounced
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    assert window.model.data(window.model.index(0), WorkRole).title == "bamboo"


def test_inspector_escapes_untrusted_text(qtbot, window, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(path)])
    wid = blocker.args[0].outcomes[0].work_id
    works.rename(window.ctx.library, wid, '<img src="file:///etc/passwd"><b>x</b>')
    window.refresh()
    window.grid.setCurrentIndex(window.model.index(0))
    shown = window.inspector.details.toPlainText() + window.inspector.heading.text()
    assert '<img src="file:///etc/passwd"><b>x</b>' in shown


def test_cancel_button_stops_an_import(qtbot, window, tmp_path: Path) -> None:
    for i in range(60):
        save(gradient((300, 300), seed=i), tmp_path / "many" / f"{i:02}.png", "PNG")
    window.start_import([str(tmp_path / "many")])
    assert window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.progress.value() >= 1, timeout=10000)
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report.cancelled and len(report.outcomes) < 60
    assert not window.cancel_button.isVisible()
    assert window.model.rowCount() == report.added


def test_works_model_passes_qt_model_tester(qtmodeltester, window, tmp_path: Path, qtbot) -> None:
    for i in range(4):
        save(gradient(seed=i), tmp_path / "in" / f"{i}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(tmp_path / "in")])
    qtmodeltester.check(window.model)


def test_empty_state_then_grid(qtbot, window, tmp_path: Path) -> None:
    assert window.centre_stack.currentWidget() is window.empty_state
    assert "Drop image files" in window.empty_state.text()
    path = save(gradient(), tmp_path / "a.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(path)])
    assert window.centre_stack.currentWidget() is window.grid


def test_sort_untagged_and_tag_filters(qtbot, window, tmp_path: Path) -> None:
    for seed, name in enumerate(("banana", "apple", "cherry")):
        save(gradient(seed=seed), tmp_path / "in" / f"{name}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(tmp_path / "in")])
    ids = {o.path.split("/")[-1][:-4]: o.work_id for o in blocker.args[0].outcomes}
    window.sort.setCurrentIndex(window.sort.findData("title"))
    titles = [window.model.data(window.model.index(r)) for r in range(3)]
    assert titles == ["apple", "banana", "cherry"]
    works.add_tags(window.ctx.library, ids["apple"], ["fruit"])
    window.refresh()
    labels = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert "Untagged  (2)" in labels and "Tags" in labels and "  fruit  (1)" in labels
    window.sidebar.setCurrentRow(labels.index("  fruit  (1)"))
    assert [window.model.data(window.model.index(r)) for r in range(window.model.rowCount())] == [
        "apple"
    ]
    window.sidebar.setCurrentRow(labels.index("Untagged  (2)"))
    assert window.model.rowCount() == 2


def test_window_state_is_remembered(qtbot, tmp_path: Path) -> None:
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow

    ctx = AppContext(open_library(tmp_path / "lib"))
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.size_slider.setValue(250)
    first.sort.setCurrentIndex(first.sort.findData("class"))
    first.close()
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    assert second.size_slider.value() == 250 and second.delegate.thumb_side == 250
    assert second.sort.currentData() == "class"
    second.close()
    ctx.shutdown()


def test_preview_opens_on_double_click_and_steps_through_works(
    qtbot, window, tmp_path: Path
) -> None:
    for i in range(3):
        save(gradient((400, 300), seed=i), tmp_path / "in" / f"{i}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(tmp_path / "in")])
    window.grid.doubleClicked.emit(window.model.index(1))
    dialog = window.last_preview
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog._pixmap is not None, timeout=5000)
    assert (dialog._pixmap.width(), dialog._pixmap.height()) == (400, 300)
    first = dialog.windowTitle()
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.index == 2 and dialog.windowTitle() != first
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.index == 0  # wraps around
    qtbot.waitUntil(lambda: dialog._pixmap is not None, timeout=5000)
    dialog.set_zoom(2.0)
    assert dialog.label.pixmap().width() == 800
    dialog.fit_to_window()
    assert dialog.fit and dialog.label.pixmap().width() <= dialog.area.viewport().width()
    dialog.close()


def test_typing_in_the_inspector_does_not_trigger_grid_keys(qtbot, window, tmp_path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(path)])
    window.grid.setCurrentIndex(window.model.index(0))
    edit = window.inspector.title
    edit.setFocus()
    edit.end(False)
    qtbot.keyClicks(edit, "bc")
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.model.rowCount() == 1  # not moved to the Trash
    assert not hasattr(window, "last_preview")
    assert window.model.data(window.model.index(0)) == "ab"  # the typing went to the title


def test_duplicates_in_the_summary_reveal_the_existing_works(qtbot, window, tmp_path) -> None:
    a = save(gradient(seed=1), tmp_path / "a.png", "PNG")
    save(gradient(seed=2), tmp_path / "b.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as first:
        window.start_import([str(tmp_path / "a.png"), str(tmp_path / "b.png")])
    wid = first.args[0].outcomes[0].work_id
    window.search.setText("b")
    window.refresh()
    copy = tmp_path / "again" / "a copy.png"
    copy.parent.mkdir()
    copy.write_bytes(a.read_bytes())
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(copy)])
    box = window.last_summary_box
    (reveal,) = [b for b in box.buttons() if "already in the library" in b.text()]
    reveal.click()
    assert [w.id for w in window.selected_works()] == [wid]
    assert window.search.text() == "" and window.model.rowCount() == 2
    box.close()
