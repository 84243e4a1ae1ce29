"""The grid's item model: works as rows, thumbnails loaded off the GUI thread."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, overload

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage, QPixmap

from inkseal.library.dto import WorkSummary

WorkRole = Qt.ItemDataRole.UserRole + 1
ClassRole = Qt.ItemDataRole.UserRole + 2
ThumbRole = Qt.ItemDataRole.UserRole + 3
ReviewRole = Qt.ItemDataRole.UserRole + 4

_Index = QModelIndex | QPersistentModelIndex


class _ThumbSignals(QObject):
    loaded = Signal(str, QImage)


class _ThumbJob(QRunnable):
    def __init__(self, path: str, signals: _ThumbSignals) -> None:
        super().__init__()
        self.path = path
        self.signals = signals

    def run(self) -> None:
        image = QImage(self.path)  # QImage is safe off the GUI thread; QPixmap is not
        self.signals.loaded.emit(self.path, image)


# Listings are compared this many ids at a time: a comparison costs about a nanosecond a
# byte, so walking a million-id listing once takes 9 ms, where a binary search over the whole
# of it took 170 ms.
_CHUNK = 1 << 14


def _shared_run(n: int, same: Callable[[int, int], bool]) -> int:
    """How many of the first `n` positions match, where same(i, j) says whether positions
    i..j all do: a chunk at a time, then by halving inside the first chunk that differs."""
    i = 0
    while i < n:
        j = min(n, i + _CHUNK)
        if not same(i, j):
            lo, hi = i, j
            while lo < hi:
                mid = (lo + hi) // 2
                if same(lo, mid + 1):
                    lo = mid + 1
                else:
                    hi = mid
            return lo
        i = j
    return n


def _common_prefix(a: array[int], b: array[int]) -> int:
    """How many leading ids two listings share."""
    ma, mb = memoryview(a).cast("B"), memoryview(b).cast("B")
    return _shared_run(min(len(a), len(b)), lambda i, j: ma[i * 8 : j * 8] == mb[i * 8 : j * 8])


def _common_suffix(a: array[int], b: array[int], limit: int) -> int:
    """How many trailing ids two listings share, at most `limit`."""
    ma, mb = memoryview(a).cast("B"), memoryview(b).cast("B")
    na, nb = len(a), len(b)
    # Position i counts from the end: 0 is the last id.
    return _shared_run(
        limit, lambda i, j: ma[(na - j) * 8 : (na - i) * 8] == mb[(nb - j) * 8 : (nb - i) * 8]
    )


class Rows(Sequence[WorkSummary]):
    """The model's works as a sequence, fetched a page at a time as they are read."""

    def __init__(self, model: WorksModel) -> None:
        self._model = model

    def __len__(self) -> int:
        return self._model.rowCount()

    @overload
    def __getitem__(self, i: int) -> WorkSummary: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[WorkSummary]: ...
    def __getitem__(self, i: int | slice) -> WorkSummary | Sequence[WorkSummary]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        work = self._model.work_at(i if i >= 0 else i + len(self))
        if work is None:
            raise IndexError(i)
        return work


class WorksModel(QAbstractListModel):
    """Rows are work ids (8 bytes each, so a million works fit); what a card shows comes
    from the library a page at a time, kept in a small LRU cache. Thumbnails are cached too.
    """

    CACHE_SIZE = 2000  # thumbnails
    PAGE = 100  # works fetched together
    PAGES_KEPT = 40  # pages cached
    SMALL_CHANGE = 5000  # rows inserted or removed in place, keeping scroll and selection

    def __init__(
        self,
        pool: QThreadPool,
        fetch: Callable[[Sequence[int]], list[WorkSummary]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ids: array[int] = array("q")
        self._fetch = fetch
        self._pages: OrderedDict[int, list[WorkSummary | None]] = OrderedDict()
        self._rows_by_thumb: dict[str, set[int]] = {}
        self._pool = pool
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._signals = _ThumbSignals()
        self._signals.loaded.connect(self._on_thumb)

    # Qt's model interface -------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        work = self.work_at(index.row())
        if work is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return work.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{work.title}\n{work.provenance_class}"
        if role == WorkRole:
            return work
        if role == ClassRole:
            return work.provenance_class
        if role == ReviewRole:
            return work.needs_review
        if role == ThumbRole:
            return self._thumbnail(work)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    # Contents --------------------------------------------------------------------------
    @property
    def ids(self) -> array[int]:
        return self._ids

    def set_ids(self, ids: array[int], first: Sequence[WorkSummary] = ()) -> bool:
        """Show this listing. A listing that differs from the shown one by a run of rows
        (works imported at the top, one trashed, more of the same listing arriving) changes
        in place, so the view keeps its scroll position and selection; anything else resets.
        `first` are the summaries of the first ids, when already read. Returns whether the
        model was reset."""
        old = self._ids
        self.forget()
        if ids == old:
            self._seed(first)
            if old:
                self.dataChanged.emit(self.index(0), self.index(len(old) - 1))
            return False
        head = _common_prefix(old, ids)
        tail = _common_suffix(old, ids, min(len(old), len(ids)) - head)
        removed, inserted = len(old) - head - tail, len(ids) - head - tail
        appended = head == len(old) and old  # more of the same listing (or new works last)
        if appended or (
            (head or tail) and removed + inserted <= max(self.SMALL_CHANGE, len(old) // 2)
        ):
            # The cache goes with each change of the ids: the view (and Qt's model tester)
            # read rows at their new places while it is told about the change.
            if removed:
                self.beginRemoveRows(QModelIndex(), head, head + removed - 1)
                self._ids = old[:head] + old[len(old) - tail :]
                self.forget()
                self.endRemoveRows()
            if inserted:
                self.beginInsertRows(QModelIndex(), head, head + inserted - 1)
                self._ids = ids
                self.forget()
                self.endInsertRows()
            self._ids = ids
            self._seed(first)
            if head:
                self.dataChanged.emit(self.index(0), self.index(head - 1))
            if tail:
                self.dataChanged.emit(self.index(len(ids) - tail), self.index(len(ids) - 1))
            return False
        self.beginResetModel()
        self._ids = array("q", ids)
        self.forget()
        self._seed(first)
        self.endResetModel()
        return True

    def set_works(self, works: Sequence[WorkSummary]) -> bool:
        """Show these works (a whole listing already read)."""
        return self.set_ids(array("q", (w.id for w in works)), works)

    def forget(self) -> None:
        """Drop the cached summaries: the next read of a row asks the library again."""
        self._pages.clear()
        self._rows_by_thumb.clear()

    def refetch(self) -> None:
        """The works may have changed (an edit): read the shown ones again."""
        self.forget()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def _seed(self, first: Sequence[WorkSummary]) -> None:
        for start in range(0, min(len(first), len(self._ids)), self.PAGE):
            chunk = first[start : start + self.PAGE]
            if [w.id for w in chunk] == list(self._ids[start : start + len(chunk)]):
                self._store(start // self.PAGE, list(chunk))

    def _store(self, page: int, works: list[WorkSummary | None]) -> None:
        self._pages[page] = works
        self._pages.move_to_end(page)
        base = page * self.PAGE
        for offset, w in enumerate(works):
            p = w.primary if w is not None else None
            if p is not None and p.thumb_path:
                self._rows_by_thumb.setdefault(p.thumb_path, set()).add(base + offset)
        while len(self._pages) > self.PAGES_KEPT:
            old, dropped = self._pages.popitem(last=False)
            for offset, w in enumerate(dropped):
                p = w.primary if w is not None else None
                if p is not None and p.thumb_path:
                    rows = self._rows_by_thumb.get(p.thumb_path)
                    if rows is not None:
                        rows.discard(old * self.PAGE + offset)
                        if not rows:
                            del self._rows_by_thumb[p.thumb_path]

    def work_at(self, row: int) -> WorkSummary | None:
        if not 0 <= row < len(self._ids):
            return None
        page = row // self.PAGE
        works = self._pages.get(page)
        if works is None:
            ids = self._ids[page * self.PAGE : (page + 1) * self.PAGE]
            try:
                found = {w.id: w for w in self._fetch(ids)}
            except Exception:  # noqa: BLE001 - a busy or vanished library: show blanks
                return None
            works = [found.get(i) for i in ids]
            self._store(page, works)
        else:
            self._pages.move_to_end(page)
        return works[row - page * self.PAGE]

    def row_of(self, work_id: int) -> int | None:
        try:
            return self._ids.index(work_id)
        except ValueError:
            return None

    def rows_of(self, work_ids: Sequence[int]) -> list[int]:
        """The rows of these works, in the order given, leaving out those not shown."""
        if len(work_ids) <= 20:
            return [r for w in work_ids if (r := self.row_of(w)) is not None]
        wanted = set(work_ids)
        found = {w: r for r, w in enumerate(self._ids) if w in wanted}
        return [found[w] for w in work_ids if w in found]

    def rows(self) -> Rows:
        return Rows(self)

    # Thumbnails ------------------------------------------------------------------------
    def _thumbnail(self, work: WorkSummary) -> QPixmap | None:
        primary = work.primary
        path = primary.thumb_path if primary else None
        if not path:
            return None
        pix = self._pixmaps.get(path)
        if pix is not None:
            self._pixmaps.move_to_end(path)
            return pix
        if path not in self._pending:
            self._pending.add(path)
            self._pool.start(_ThumbJob(path, self._signals))
        return None

    def _on_thumb(self, path: str, image: QImage) -> None:
        self._pending.discard(path)
        if image.isNull():
            return
        self._pixmaps[path] = QPixmap.fromImage(image)
        while len(self._pixmaps) > self.CACHE_SIZE:
            self._pixmaps.popitem(last=False)
        for row in sorted(self._rows_by_thumb.get(path, ())):
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbRole])
