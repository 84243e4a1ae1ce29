"""The grid as it works on a large library: ids in the model, cards read a page at a time,
the listing read on a worker thread after the first screen, changes applied in place.

The library here is small; the thresholds are lowered so that it takes the large path
(benchmarks/scale.py runs the same code on a million works).
"""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QThreadPool

from inkseal.library import works
from inkseal.library.dto import WorkSummary
from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.trash import trash_works
from inkseal.ui.grid.model import WorksModel
from tests.images import gradient, save


@pytest.fixture
def large_library(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Seven works in tmp_path/lib, and thresholds that make the window treat it as large."""
    from inkseal.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "LARGE_LIBRARY", 0)
    monkeypatch.setattr(WorksModel, "PAGE", 2)
    monkeypatch.setattr(WorksModel, "PAGES_KEPT", 2)
    folder = tmp_path / "in"
    for i in range(7):
        save(gradient((40, 30), seed=i * 9), folder / f"w{i}.png", "PNG")
    with open_library(tmp_path / "lib") as lib:
        import_paths(lib, [str(folder)], workers=1)


@pytest.fixture
def large(large_library, window):  # type: ignore[no-untyped-def]
    return window  # made after the library (the fixtures resolve in this order)


def _titles(model: WorksModel) -> list[str]:
    return [w.title for w in model.rows()]


def test_the_first_page_comes_at_once_and_the_rest_from_a_worker(qtbot, large) -> None:
    window = large
    expected = [w.title for w in works.list_works(window.ctx.library)]
    if not window._listing_complete:  # the worker may already be done on a fast machine
        assert window.model.rowCount() == WorksModel.PAGE
        assert "listing…" in window.status_label.text()
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    assert window.model.rowCount() == 7
    assert _titles(window.model) == expected
    assert window.status_label.text() == "7 works"
    assert len(window.model._pages) <= WorksModel.PAGES_KEPT  # the LRU keeps two pages


def test_edits_show_at_once_and_changes_keep_the_selection(qtbot, large) -> None:
    window = large
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    lib = window.ctx.library
    ids = list(window.model.ids)
    keep, gone = ids[5], ids[4]
    sel = window.grid.selectionModel()
    sel.select(window.model.index(5), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert window.selected_ids() == [keep]

    works.rename(lib, keep, "Heron at dusk")
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    window.refresh()
    # Read again at once, before the worker's listing comes back.
    assert window.model.work_at(5).title == "Heron at dusk"
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)

    trash_works(lib, [gone])
    window.refresh()
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    assert list(window.model.ids) == [i for i in ids if i != gone]
    assert window.selected_ids() == [keep]  # moved up a row with its work
    assert resets == []  # changed in place: the view kept its place and selection
    assert window.inspector.work_ids == [keep]

    # A new filter is a new listing.
    window.search.setText("heron")
    window.refresh()
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    assert list(window.model.ids) == [keep]


def test_reveal_waits_for_the_listing(qtbot, large) -> None:
    window = large
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    last = window.model.ids[-1]
    window.search.setText("w3")
    window.refresh()
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    window.reveal_works([last])  # clears the search: the listing is read again
    qtbot.waitUntil(lambda: window.selected_ids() == [last], timeout=10000)


def _summary(i: int) -> WorkSummary:
    from datetime import UTC, datetime

    return WorkSummary(i, f"work {i}", "undeclared", False, (), (), datetime.now(UTC))


def test_listing_changes_are_told_to_the_view_as_qt_expects(qtbot, qtmodeltester) -> None:
    fetched: list[list[int]] = []

    def fetch(ids):  # type: ignore[no-untyped-def]
        fetched.append(list(ids))
        return [_summary(i) for i in ids if i != 13]  # 13 has gone from the library

    model = WorksModel(QThreadPool(), fetch)
    qtmodeltester.check(model, force_py=True)  # and it keeps checking every change below
    events: list[str] = []
    model.modelReset.connect(lambda: events.append("reset"))
    model.rowsInserted.connect(lambda _p, a, b: events.append(f"+{a}-{b}"))
    model.rowsRemoved.connect(lambda _p, a, b: events.append(f"-{a}-{b}"))

    def show(ids: list[int]) -> list[str]:
        events.clear()
        model.set_ids(array("q", ids))
        assert list(model.ids) == ids
        return list(events)

    assert show(list(range(10, 20))) == ["reset"]
    assert show(list(range(10, 25))) == ["+10-14"]  # more of the same listing
    assert show([1, 2, *range(10, 25)]) == ["+0-1"]  # imported at the top
    assert show([1, 2, *range(10, 15), *range(16, 25)]) == ["-7-7"]  # one trashed
    assert show([1, 2, *range(10, 15), 99, *range(16, 25)]) == ["+7-7"]
    assert show([1, 2, *range(10, 15), 99, *range(16, 25)]) == []  # the same: read again
    assert show([5, 4, 3]) == ["reset"]  # another filter
    assert show([]) == ["reset"]
    assert model.rowCount() == 0 and model.work_at(0) is None

    show(list(range(10, 20)))
    assert model.work_at(3) is None  # a work that has gone shows as a blank card
    assert model.data(model.index(3)) is None
    assert model.row_of(17) == 7 and model.row_of(99) is None
    assert model.rows_of([19, 10, 42]) == [9, 0]
    assert model.rows_of(list(range(30))) == list(range(10))
    rows = model.rows()
    assert len(rows) == 10 and rows[-1].id == 19 and [w.id for w in rows[0:2]] == [10, 11]
    with pytest.raises(IndexError):
        rows[3]  # noqa: B018
    assert model.rowCount(model.index(0)) == 0 and not model.index(0).parent().isValid()
    assert model.index(0).parent() == QModelIndex()


def test_a_selected_work_that_moves_stays_selected(qtbot, window, tmp_path: Path) -> None:
    """Found in review: renaming the selected work while sorted by title moved it, and the
    in-place change dropped it from the selection and emptied the inspector."""
    folder = tmp_path / "in"
    for i in range(6):
        save(gradient((40, 30), seed=i * 7), folder / f"w{i}.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(folder)])
    window.sort.setCurrentIndex(window.sort.findData("title"))
    ids = list(window.model.ids)
    moved = ids[1]
    window.grid.selectionModel().select(
        window.model.index(1), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    works.rename(window.ctx.library, moved, "zzz moved last")
    window.refresh()
    assert window.model.ids[-1] == moved
    assert window.selected_ids() == [moved]
    assert window.inspector.work_ids == [moved]


def test_the_selection_outlives_a_partial_listing(qtbot, large) -> None:
    window = large
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    wanted = window.model.ids[6]
    window.grid.selectionModel().select(
        window.model.index(6), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    window.sort.setCurrentIndex(window.sort.findData("title"))  # a new listing: page first
    qtbot.waitUntil(lambda: window._listing_complete, timeout=10000)
    assert window.selected_ids() == [wanted]
    assert window.inspector.work_ids == [wanted]


@pytest.mark.parametrize("chunk", [1, 3, 1 << 14])
def test_listings_are_compared_exactly(monkeypatch, chunk: int) -> None:
    import random

    from inkseal.ui.grid import model as grid_model

    monkeypatch.setattr(grid_model, "_CHUNK", chunk)

    def shared(x: list[int], y: list[int]) -> int:
        n = 0
        while n < min(len(x), len(y)) and x[n] == y[n]:
            n += 1
        return n

    rng = random.Random(chunk)
    for _ in range(400):
        x = [rng.randint(0, 3) for _ in range(rng.randint(0, 40))]
        y = [rng.randint(0, 3) for _ in range(rng.randint(0, 40))]
        if rng.random() < 0.5:
            y = x[: rng.randint(0, len(x))] + y
        if rng.random() < 0.5:
            y = y + x[rng.randint(0, len(x)) :]
        a, b = array("q", x), array("q", y)
        assert grid_model._common_prefix(a, b) == shared(x, y)
        limit = rng.randint(0, min(len(x), len(y)))
        assert grid_model._common_suffix(a, b, limit) == min(limit, shared(x[::-1], y[::-1]))
