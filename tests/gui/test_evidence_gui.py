"""Evidence, links, history and verification in the window. Offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from inkseal.library import links
from inkseal.library.works import get_work
from tests.images import gradient, kra_file, save


def _drop_at(target, pos: QPoint, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(target, move)
    QApplication.sendEvent(target, QDropEvent(QPointF(pos), action, mime, buttons, mods))


def _import(qtbot, window, paths: list[Path]) -> list[int]:
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(p) for p in paths])
    return [o.work_id for o in blocker.args[0].outcomes]


def _select(window, work_id: int) -> None:
    window.grid.setCurrentIndex(window.model.index(window.model.row_of(work_id)))


def test_dropping_onto_a_card_attaches_with_the_chosen_role(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    ids = _import(qtbot, window, [save(gradient(seed=1), tmp_path / "final.png", "PNG")])
    asked: list[list[str]] = []

    def ask(paths: list[str], title: str) -> tuple[bool, str | None]:
        asked.append(paths)
        return True, "sketch"

    monkeypatch.setattr(window, "ask_attach_role", ask)
    sketch = save(gradient(seed=2), tmp_path / "sketch.png", "PNG")
    card = window.grid.visualRect(window.model.index(0)).center()
    pos = window.grid.viewport().mapTo(window, card)
    with qtbot.waitSignal(window.attach_finished, timeout=20000) as blocker:
        _drop_at(window, pos, [sketch])
    assert blocker.args[0].added == 1
    assert asked == [[str(sketch)]]
    w = get_work(window.ctx.library, ids[0])
    assert [f.info.role for f in w.files] == ["primary", "sketch"]
    assert window.model.rowCount() == 1  # attached, not imported as a new work
    assert sketch.exists()

    # Undo detaches it, redo puts it back.
    assert window.undo_stack.undoText().startswith("Attach 1 file")
    window.undo_stack.undo()
    assert len(get_work(window.ctx.library, ids[0]).files) == 1
    window.undo_stack.redo()
    assert len(get_work(window.ctx.library, ids[0]).files) == 2


def test_dropping_beside_the_cards_still_imports(qtbot, window, tmp_path: Path) -> None:
    _import(qtbot, window, [save(gradient(seed=1), tmp_path / "a.png", "PNG")])
    empty = window.grid.viewport().rect().bottomRight() - QPoint(5, 5)
    pos = window.grid.viewport().mapTo(window, empty)
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        _drop_at(window, pos, [save(gradient(seed=5), tmp_path / "b.png", "PNG")])
    assert blocker.args[0].added == 1
    assert window.model.rowCount() == 2


def test_files_tab_drop_roles_order_detach_with_undo(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    ids = _import(qtbot, window, [save(gradient(seed=1), tmp_path / "final.png", "PNG")])
    monkeypatch.setattr(window, "ask_attach_role", lambda paths, title: (True, None))
    _select(window, ids[0])
    panel = window.inspector.files_panel
    window.inspector.tabs.setCurrentIndex(1)
    files = [
        kra_file(tmp_path / "layers.kra"),
        save(gradient(seed=3), tmp_path / "wip.jpg", "JPEG"),
    ]
    with qtbot.waitSignal(window.attach_finished, timeout=20000):
        _drop_at(panel.files.viewport(), QPoint(20, 20), files)
    assert panel.files.count() == 3
    texts = [panel.files.item(i).text() for i in range(3)]
    assert texts[1].startswith("Source (layered file) — layers.kra")
    assert "Krita document" in texts[1]
    assert texts[2].startswith("Work in progress — wip.jpg")
    assert "Timeline" not in panel.timeline.toPlainText()  # a list of entries, not a heading
    assert "layers.kra" in panel.timeline.toPlainText()

    # Give the Krita file the role "sketch"; move it down; detach it; undo each.
    panel.files.setCurrentRow(1)
    panel.role.setCurrentIndex(panel.role.findData("sketch"))
    panel.role.activated.emit(panel.role.currentIndex())
    lib = window.ctx.library
    assert [f.info.role for f in get_work(lib, ids[0]).files] == ["primary", "sketch", "wip"]
    panel.files.setCurrentRow(1)
    panel.down.click()
    assert [f.info.original_name for f in get_work(lib, ids[0]).files] == [
        "final.png", "wip.jpg", "layers.kra",
    ]  # fmt: skip
    panel.files.setCurrentRow(2)
    panel.detach.click()
    assert [f.info.original_name for f in get_work(lib, ids[0]).files] == ["final.png", "wip.jpg"]
    assert window.undo_stack.undoText() == "Detach “layers.kra”"
    window.undo_stack.undo()
    window.undo_stack.undo()
    window.undo_stack.undo()
    names = [(f.info.original_name, f.info.role) for f in get_work(lib, ids[0]).files]
    assert names == [("final.png", "primary"), ("layers.kra", "source"), ("wip.jpg", "wip")]

    history = window.inspector.history.toPlainText()
    assert "Detached layers.kra" in history and "Attached wip.jpg" in history


def test_links_in_the_inspector_both_ways(qtbot, window, tmp_path: Path) -> None:
    ids = _import(
        qtbot, window, [save(gradient(seed=s * 30), tmp_path / f"{s}.png", "PNG") for s in (1, 2)]
    )
    _select(window, ids[0])
    insp = window.inspector
    insp.link_kind.setCurrentIndex(insp.link_kind.findData("study-for"))
    insp.link_target.setText(str(ids[1]))
    insp.link_add.click()
    assert [x.other_id for x in links.links_of(window.ctx.library, ids[0])] == [ids[1]]
    assert insp.links.count() == 1 and f"#{ids[1]}" in insp.links.item(0).text()
    _select(window, ids[1])
    assert insp.links.count() == 1 and f"#{ids[0]}" in insp.links.item(0).text()
    assert insp.links.item(0).text() != insp.link_kind.itemText(insp.link_kind.currentIndex())
    window.undo_stack.undo()
    assert links.links_of(window.ctx.library, ids[0]) == []
    assert insp.tabs.tabText(2) == "Related" and insp.tabs.tabText(3) == "History"
    # Linking to a work that does not exist says why and changes nothing.
    _select(window, ids[0])
    insp.link_target.setText("999")
    from PySide6.QtWidgets import QMessageBox

    seen: list[str] = []
    orig = QMessageBox.warning
    QMessageBox.warning = staticmethod(lambda *a, **k: seen.append(a[2]))  # type: ignore[method-assign]
    try:
        insp.link_add.click()
    finally:
        QMessageBox.warning = orig  # type: ignore[method-assign]
    assert seen and "no work with id 999" in seen[0]


def test_verify_in_the_background_reports_a_modified_file(qtbot, window, tmp_path: Path) -> None:
    ids = _import(
        qtbot, window, [save(gradient(seed=s), tmp_path / f"{s}.png", "PNG") for s in (1, 2)]
    )
    with qtbot.waitSignal(window.verify_finished, timeout=20000) as blocker:
        window.verify_action.trigger()
    assert blocker.args[0].ok
    assert "intact" in window.last_verify_box.text() or "as it was" in window.last_verify_box.text()
    stored = Path(get_work(window.ctx.library, ids[0]).files[0].info.path)
    os.chmod(stored, 0o644)
    stored.write_bytes(b"changed" + stored.read_bytes())
    with qtbot.waitSignal(window.verify_finished, timeout=20000) as blocker:
        window.start_verify()
    report = blocker.args[0]
    assert not report.ok and report.file_problems[0].status == "modified"
    assert "modified" in window.last_verify_box.detailedText()
    _select(window, ids[0])
    assert "modified at verification" in window.inspector.details.toPlainText()


def test_similar_works_are_listed_and_clickable(qtbot, window, tmp_path: Path) -> None:
    from PIL import ImageDraw

    img = gradient((300, 200), seed=2)
    draw = ImageDraw.Draw(img)
    for i in range(6):
        draw.ellipse((i * 45, 10 + i * 20, i * 45 + 60, 90 + i * 20), fill=(200, i * 40, 30))
    original = save(img, tmp_path / "original.png", "PNG")
    copy = save(img.resize((150, 100)), tmp_path / "copy.jpg", "JPEG", quality=75)
    ids = _import(qtbot, window, [original, copy])
    box = window.last_summary_box
    assert "look like works already in the library" in box.informativeText()
    assert f"copy.jpg (work #{ids[1]}) looks like #{ids[0]}" in box.detailedText()
    box.close()
    _select(window, ids[0])
    assert window.inspector.similar.toPlainText() == ""  # computed only when shown
    window.inspector.tabs.setCurrentWidget(window.inspector.related)
    text = window.inspector.similar.toPlainText()
    assert f"#{ids[1]} copy" in text
    window.inspector.similar.anchorClicked.emit(QUrl(f"work:{ids[1]}"))
    assert [w.id for w in window.selected_works()] == [ids[1]]
    # Links to anything but the app's own works do nothing.
    window.inspector.similar.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert [w.id for w in window.selected_works()] == [ids[1]]


def test_an_undo_the_library_refuses_is_said_not_lost(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    ids = _import(qtbot, window, [save(gradient(seed=1), tmp_path / "a.png", "PNG")])
    _select(window, ids[0])
    window.inspector.title.setText("Crane")
    window.inspector.title.editingFinished.emit()
    # Another process deletes the work meanwhile.
    from inkseal.library.trash import empty_trash, trash_works

    trash_works(window.ctx.library, ids)
    empty_trash(window.ctx.library)
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: seen.append(a[2])))
    window.undo_stack.undo()
    assert seen and seen[0].startswith("Could not undo “Rename to “Crane”")
    assert "no work with id" in seen[0]
