"""The grid's item model: works as rows, thumbnails loaded off the GUI thread."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

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


class WorksModel(QAbstractListModel):
    """Rows are WorkSummary records (frozen, safe to keep); thumbnails are cached."""

    CACHE_SIZE = 2000

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._works: list[WorkSummary] = []
        self._row_of: dict[int, int] = {}
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._pool = pool
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._signals = _ThumbSignals()
        self._signals.loaded.connect(self._on_thumb)

    # Qt's model interface -------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._works)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._works):
            return None
        work = self._works[index.row()]
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
    def set_works(self, works: list[WorkSummary]) -> None:
        self.beginResetModel()
        self._works = list(works)
        self._row_of = {w.id: i for i, w in enumerate(self._works)}
        self._rows_by_thumb = {}
        for i, w in enumerate(self._works):
            p = w.primary
            if p is not None and p.thumb_path:
                self._rows_by_thumb.setdefault(p.thumb_path, []).append(i)
        self.endResetModel()

    def work_at(self, row: int) -> WorkSummary | None:
        return self._works[row] if 0 <= row < len(self._works) else None

    def row_of(self, work_id: int) -> int | None:
        return self._row_of.get(work_id)

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
        for row in self._rows_by_thumb.get(path, ()):
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbRole])
