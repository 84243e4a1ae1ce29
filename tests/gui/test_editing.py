"""Editing in the inspector, saved at once, undone and redone from the Edit menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt

from inkseal.library.works import get_work
from tests.images import gradient, save


def _import(qtbot, window, tmp_path: Path, n: int) -> list[int]:
    for i in range(n):
        save(gradient(seed=i), tmp_path / "in" / f"w{i}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000) as blocker:
        window.start_import([str(tmp_path / "in")])
    return [o.work_id for o in blocker.args[0].outcomes]


def _select(window, work_ids: list[int]) -> None:
    sel = window.grid.selectionModel()
    sel.clearSelection()
    for wid in work_ids:
        sel.select(
            window.model.index(window.model.row_of(wid)), QItemSelectionModel.SelectionFlag.Select
        )


def _type(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_edit_title_and_fields_then_undo_and_redo(qtbot, window, tmp_path: Path) -> None:
    (wid,) = _import(qtbot, window, tmp_path, 1)
    lib = window.ctx.library
    _select(window, [wid])
    insp = window.inspector
    _type(qtbot, insp.title, "Crane in mist")
    _type(qtbot, insp.creation_date, "2024-05")
    _type(qtbot, insp.medium, "ink on xuan paper")
    w = get_work(lib, wid)
    assert (w.title, w.creation_date, w.medium) == ("Crane in mist", "2024-05", "ink on xuan paper")
    assert window.model.data(window.model.index(0)) == "Crane in mist"  # the grid follows
    assert window.undo_action.text() == "&Undo Edit Medium"

    window.undo_action.trigger()
    assert get_work(lib, wid).medium is None
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert get_work(lib, wid).title == "w0"
    assert insp.title.text() == "w0"
    window.redo_action.trigger()
    assert get_work(lib, wid).title == "Crane in mist"
    kinds = [e.kind for e in get_work(lib, wid).history]
    assert kinds.count("work.renamed") == 3  # undo is recorded, never erased


def test_a_refused_edit_says_why_and_changes_nothing(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    (wid,) = _import(qtbot, window, tmp_path, 1)
    _select(window, [wid])
    shown: list[str] = []
    monkeypatch.setattr(
        "inkseal.ui.inspector.QMessageBox.warning", lambda _p, _t, text: shown.append(text)
    )
    _type(qtbot, window.inspector.creation_date, "last spring")
    assert shown and "creation date" in shown[0]
    assert get_work(window.ctx.library, wid).creation_date is None
    assert window.inspector.creation_date.text() == ""
    assert window.undo_stack.count() == 0


def test_declare_with_ai_use_and_undo(qtbot, window, tmp_path: Path) -> None:
    (wid,) = _import(qtbot, window, tmp_path, 1)
    lib = window.ctx.library
    _select(window, [wid])
    insp = window.inspector
    insp.cls.setCurrentIndex(insp.cls.findData("human-made"))
    insp.cls.activated.emit(insp.cls.currentIndex())
    assert get_work(lib, wid).provenance_class == "human-made"
    qtbot.keyClicks(insp.ai_tool, "Stable Diffusion XL")
    insp.ai_stage.setCurrentText("background")
    qtbot.keyClicks(insp.ai_note, "sky only")
    qtbot.mouseClick(insp.ai_add, Qt.MouseButton.LeftButton)
    w = get_work(lib, wid)
    assert w.provenance_class == "ai-assisted"  # adding an AI use makes it so
    assert [(u.tool, u.stage, u.note) for u in w.declaration.ai_uses] == [
        ("Stable Diffusion XL", "background", "sky only")
    ]
    assert insp.ai_uses.count() == 1
    assert window.sidebar.item(2).text() == "AI-assisted  (1)"
    window.undo_action.trigger()
    assert get_work(lib, wid).provenance_class == "human-made"
    window.undo_action.trigger()
    assert get_work(lib, wid).provenance_class == "undeclared"
    assert len(get_work(lib, wid).declarations) == 4  # every step stays in the record


def test_multi_selection_edits_class_and_tags_for_all(qtbot, window, tmp_path: Path) -> None:
    ids = _import(qtbot, window, tmp_path, 3)
    lib = window.ctx.library
    _select(window, ids[:2])
    insp = window.inspector
    assert insp.heading.text() == "2 works selected" and not insp.form_box.isVisible()
    insp.cls.setCurrentIndex(insp.cls.findData("human-made"))
    insp.cls.activated.emit(insp.cls.currentIndex())
    _type(qtbot, insp.tags, "ink, bamboo")
    for wid in ids[:2]:
        w = get_work(lib, wid)
        assert w.provenance_class == "human-made" and w.tags == ("bamboo", "ink")
    assert get_work(lib, ids[2]).tags == ()
    assert window.undo_action.text() == "&Undo Tags: add bamboo, ink"
    window.undo_action.trigger()
    assert all(get_work(lib, wid).tags == () for wid in ids[:2])
    window.undo_action.trigger()
    assert all(get_work(lib, wid).provenance_class == "undeclared" for wid in ids[:2])
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert all(get_work(lib, wid).tags == ("bamboo", "ink") for wid in ids[:2])
    # Removing a shared tag from the selection removes it from both, and only that one.
    _select(window, ids[:2])
    _type(qtbot, insp.tags, "bamboo")
    assert all(get_work(lib, wid).tags == ("bamboo",) for wid in ids[:2])


def test_trash_asks_first_undo_restores_and_emptying_deletes(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    ids = _import(qtbot, window, tmp_path, 3)
    lib = window.ctx.library
    answers = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers[0])
    _select(window, ids[:2])
    window.trash_action.trigger()
    assert window.model.rowCount() == 3  # said no: nothing moved
    answers[0] = QMessageBox.StandardButton.Yes
    window.trash_action.trigger()
    assert window.model.rowCount() == 1
    labels = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert "Trash  (2)" in labels
    window.undo_action.trigger()
    assert window.model.rowCount() == 3
    window.redo_action.trigger()
    window.sidebar.setCurrentRow(labels.index("Trash  (2)"))
    assert window.model.rowCount() == 2
    _select(window, [ids[0]])
    window.restore_action.trigger()
    assert window.model.rowCount() == 1
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    stored = Path(get_work(lib, ids[1]).files[0].info.path)
    window.empty_trash_action.trigger()
    assert window.model.rowCount() == 0 and not stored.exists()
    assert window.undo_stack.count() == 0
    window.sidebar.setCurrentRow(0)
    assert window.model.rowCount() == 2


def test_collections_for_a_selection_with_sidebar_and_undo(qtbot, window, tmp_path: Path) -> None:
    ids = _import(qtbot, window, tmp_path, 3)
    lib = window.ctx.library
    _select(window, ids[:2])
    _type(qtbot, window.inspector.collections, "Bamboo studies 2024")
    assert all(get_work(lib, wid).collections == ("Bamboo studies 2024",) for wid in ids[:2])
    labels = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert "Collections" in labels and "  Bamboo studies 2024  (2)" in labels
    window.sidebar.setCurrentRow(labels.index("  Bamboo studies 2024  (2)"))
    assert window.model.rowCount() == 2
    assert window.undo_action.text() == "&Undo Collections: add Bamboo studies 2024"
    window.undo_action.trigger()
    assert get_work(lib, ids[0]).collections == ()
    assert window.model.rowCount() == 0


def test_a_refresh_keeps_unsaved_typing_and_follows_vanished_works(
    qtbot, window, tmp_path: Path
) -> None:
    ids = _import(qtbot, window, tmp_path, 2)
    _select(window, [ids[0]])
    window.inspector.description.setPlainText("half-typed thought")
    window.refresh()  # e.g. the periodic refresh during an import
    assert window.inspector.description.toPlainText() == "half-typed thought"
    from inkseal.library.trash import trash_works

    trash_works(window.ctx.library, [ids[0]])
    window.refresh()
    assert window.inspector.work_ids == []
    assert window.inspector.heading.text() == "No work selected"


def test_class_for_many_keeps_each_works_own_uses_and_note(qtbot, window, tmp_path) -> None:
    from inkseal.library import works

    ids = _import(qtbot, window, tmp_path, 2)
    lib = window.ctx.library
    works.declare(lib, ids[0], "ai-generated", [works.AIUseInput("SDXL", "generation")], "mine")
    works.declare(lib, ids[1], "ai-generated", [works.AIUseInput("Flux", "generation")])
    window.refresh()
    _select(window, ids)
    insp = window.inspector
    assert not insp.ai_add.isEnabled()  # AI uses are edited one work at a time
    insp.cls.setCurrentIndex(insp.cls.findData("ai-assisted"))
    insp.cls.activated.emit(insp.cls.currentIndex())
    a, b = (get_work(lib, wid).declaration for wid in ids)
    assert (a.provenance_class, [u.tool for u in a.ai_uses], a.note) == (
        "ai-assisted",
        ["SDXL"],
        "mine",
    )
    assert (b.provenance_class, [u.tool for u in b.ai_uses]) == ("ai-assisted", ["Flux"])
    window.undo_action.trigger()
    window.redo_action.trigger()
    a = get_work(lib, ids[0]).declaration
    assert (a.provenance_class, [u.tool for u in a.ai_uses], a.note) == (
        "ai-assisted",
        ["SDXL"],
        "mine",
    )


def test_an_edit_while_another_process_writes_says_the_library_is_busy(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    import sqlite3

    from inkseal.library.errors import BUSY
    from inkseal.models import db

    (wid,) = _import(qtbot, window, tmp_path, 1)
    _select(window, [wid])
    lib = window.ctx.library
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)  # new connections wait this long
    lib.engine.dispose()
    shown: list[str] = []
    monkeypatch.setattr(
        "inkseal.ui.inspector.QMessageBox.warning", lambda _p, _t, text: shown.append(text)
    )
    other = sqlite3.connect(lib.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the command line, in the middle of a long import
    try:
        _type(qtbot, window.inspector.title, "Crane in mist")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert shown == [BUSY]
    assert get_work(lib, wid).title == "w0"
    assert window.undo_stack.count() == 0


def test_back_up_from_the_library_menu(qtbot, window, tmp_path: Path) -> None:
    from inkseal.library.library import open_library
    from inkseal.library.verify import verify_library

    _import(qtbot, window, tmp_path, 2)
    assert window.backup_action.shortcut().toString() == "Ctrl+Shift+B"
    target = tmp_path / "backups" / "today"
    with qtbot.waitSignal(window.backup_finished, timeout=20000) as blocker:
        assert window.start_backup(target)
    result = blocker.args[0]
    assert result.works == 2 and not result.cancelled
    assert "Backed up 2 works" in window.statusBar().currentMessage()
    with open_library(target) as copy:
        assert verify_library(copy).ok
