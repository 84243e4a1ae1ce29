"""The inspector's Files tab: a work's files in the artist's order, and their timeline.

Files can be attached (button or drop), given another role, moved up and down and detached;
each change is undoable. Below the list, the timeline shows the files by the date they were
made (their file date, else when they were imported), so a reader sees sketch -> wip -> final.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inkseal.library import evidence
from inkseal.library.dto import FileDetail, WorkDetail
from inkseal.library.evidence import ROLE_WORDS
from inkseal.library.text import html_text
from inkseal.ui.commands import DetachCommand, ReorderCommand, RoleCommand

if TYPE_CHECKING:
    from inkseal.ui.inspector import Inspector

ROLE_LABELS = {**ROLE_WORDS, "primary": "Final (primary)"}
ICON_SIDE = 56


def human_size(n: int) -> str:
    """Sizes in the units file managers use (1 KB = 1000 bytes)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def kind_of(f: FileDetail) -> str:
    label = f.metadata.get("kind")
    if isinstance(label, str) and label:
        return label
    fmt = f.metadata.get("format")
    return f"{fmt} image" if isinstance(fmt, str) and fmt else f.info.media_type


class FileList(QListWidget):
    """The list of a work's files; files dropped on it are attached to the work."""

    files_dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("inspector-files")
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.setSpacing(2)
        self.setWordWrap(True)
        self.setToolTip("The work's files. Drop sketches, stages or layered files here to attach")

    @staticmethod
    def _local(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._local(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._local(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._local(event)
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)  # never a move: originals stay
        event.accept()
        self.files_dropped.emit(paths)


class FilesPanel(QWidget):
    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.work: WorkDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)

        self.files = FileList()
        self.files.files_dropped.connect(self._attach_paths)
        self.files.currentRowChanged.connect(lambda _r: self._sync_buttons())
        layout.addWidget(self.files, 3)

        self.attach_button = QPushButton("Attach Files…")
        self.attach_button.setToolTip(
            "Attach sketches, work-in-progress stages, layered files (.kra, .psd, .procreate…) "
            "or timelapses to this work (you can also drop them on the list)"
        )
        self.attach_button.clicked.connect(self._ask_attach)
        self.role = QComboBox()
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role)
        self.role.setToolTip("The selected file's role in the making of the work")
        self.role.activated.connect(self._change_role)
        self.up = QPushButton("↑")
        self.up.setToolTip("Move the selected file up")
        self.up.clicked.connect(lambda: self._move(-1))
        self.down = QPushButton("↓")
        self.down.setToolTip("Move the selected file down")
        self.down.clicked.connect(lambda: self._move(1))
        for b in (self.up, self.down):
            b.setFixedWidth(32)
        self.detach = QPushButton("Detach")
        self.detach.setToolTip("Remove the selected file from this work (undoable)")
        self.detach.clicked.connect(self._detach)
        row = QHBoxLayout()
        row.addWidget(self.role, 1)
        row.addWidget(self.up)
        row.addWidget(self.down)
        row.addWidget(self.detach)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addStretch(1)
        layout.addLayout(row)

        title = QLabel("Timeline")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.timeline = QTextBrowser()
        self.timeline.setObjectName("inspector-timeline")
        self.timeline.setOpenLinks(False)
        layout.addWidget(self.timeline, 2)
        self._sync_buttons()

    # Showing ----------------------------------------------------------------------------
    def show_work(self, work: WorkDetail | None) -> None:
        selected = self.selected_file_id()
        self.work = work
        self.files.clear()
        if work is None:
            self.timeline.clear()
            self._sync_buttons()
            return
        generic = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        for f in sorted(work.files, key=lambda f: (f.info.position, f.info.id)):
            i = f.info
            size = f", {i.width}×{i.height}" if i.width and i.height else ""
            made = i.file_modified_at or i.imported_at
            text = (
                f"{ROLE_LABELS.get(i.role, i.role)} — {i.original_name}\n"
                f"{kind_of(f)}{size}, {human_size(i.size)} · {made:%Y-%m-%d}"
            )
            if i.verify_status and i.verify_status != "ok":
                text += f" · {i.verify_status.upper()}"
            item = QListWidgetItem(self._icon(i.thumb_path) or generic, text)
            item.setData(Qt.ItemDataRole.UserRole, i.id)
            item.setToolTip(f"SHA-256 {i.sha256}\n{i.path}")
            self.files.addItem(item)
            if i.id == selected:
                self.files.setCurrentItem(item)
        self.timeline.setHtml(timeline_html(work))
        self._sync_buttons()

    @staticmethod
    def _icon(thumb: str | None) -> QIcon | None:
        if not thumb or not Path(thumb).exists():
            return None
        reader = QImageReader(thumb)
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > ICON_SIDE * 2:
            reader.setScaledSize(
                size.scaled(ICON_SIDE * 2, ICON_SIDE * 2, Qt.AspectRatioMode.KeepAspectRatio)
            )
        image = reader.read()
        if image.isNull():
            return None
        return QIcon(QPixmap.fromImage(image))

    def selected_file_id(self) -> int | None:
        item = self.files.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, int) else None

    def _selected(self) -> FileDetail | None:
        fid = self.selected_file_id()
        if self.work is None or fid is None:
            return None
        return next((f for f in self.work.files if f.info.id == fid), None)

    def _sync_buttons(self) -> None:
        f = self._selected()
        has = f is not None
        for w in (self.role, self.up, self.down, self.detach):
            w.setEnabled(has)
        self.attach_button.setEnabled(self.work is not None and not self.work.trashed)
        if f is not None:
            self.role.setCurrentIndex(max(0, self.role.findData(f.info.role)))
            row = self.files.currentRow()
            self.up.setEnabled(row > 0)
            self.down.setEnabled(row < self.files.count() - 1)

    # Changes ----------------------------------------------------------------------------
    def _ask_attach(self) -> None:
        if self.work is None:
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            f"Attach files to “{self.work.title}”",
            str(Path.home()),
            "Process files (*.kra *.ora *.psd *.psb *.procreate *.clip *.mp4 *.mov *.webm "
            "*.jpg *.jpeg *.png *.webp *.gif *.tif *.tiff *.heic *.avif);;All files (*)",
        )
        if paths:
            self._attach_paths(paths)

    def _attach_paths(self, paths: list[str]) -> None:
        if self.work is not None and self.inspector.attach is not None:
            self.inspector.attach(self.work.id, list(paths))

    def _change_role(self, _index: int) -> None:
        f = self._selected()
        role = self.role.currentData()
        if f is None or not role or role == f.info.role:
            return
        lib, refresh = self.inspector.lib, self.inspector._refresh

        def make() -> RoleCommand:
            old = evidence.set_role(lib, f.info.id, role)
            i = f.info
            return RoleCommand(lib, refresh, i.work_id, i.sha256, i.original_name, old, role)

        self.inspector._run(make)

    def _move(self, steps: int) -> None:
        f = self._selected()
        if f is None or self.work is None:
            return
        lib, refresh, work_id = self.inspector.lib, self.inspector._refresh, self.work.id

        def make() -> ReorderCommand | None:
            before = evidence.file_shas(lib, work_id)
            evidence.move_file(lib, f.info.id, steps)
            after = evidence.file_shas(lib, work_id)
            return ReorderCommand(lib, refresh, work_id, before, after) if before != after else None

        self.inspector._run(make)

    def _detach(self) -> None:
        f = self._selected()
        if f is None:
            return
        lib, refresh = self.inspector.lib, self.inspector._refresh

        def make() -> DetachCommand:
            snapshot = evidence.detach_file(lib, f.info.id)
            return DetachCommand(lib, refresh, snapshot, f.info.original_name)

        self.inspector._run(make)


def timeline_html(work: WorkDetail) -> str:
    """The files by the date they were made, oldest first, with thumbnails and hashes."""
    e = html_text
    files = sorted(
        work.files,
        key=lambda f: (
            f.info.file_modified_at or f.info.imported_at,
            f.info.imported_at,
            f.info.id,
        ),
    )
    rows: list[str] = ["<table cellspacing='0' cellpadding='4'>"]
    for n, f in enumerate(files):
        i = f.info
        made = i.file_modified_at or i.imported_at
        picture = (
            f"<img src='{Path(i.thumb_path).as_uri()}' width='48'>"
            if i.thumb_path and Path(i.thumb_path).exists()
            else "<span style='color:#999'>▯</span>"
        )
        rows.append(
            f"<tr><td valign='top'>{picture}</td><td valign='top'>"
            f"<b>{e(ROLE_LABELS.get(i.role, i.role))}</b> · {e(i.original_name)}<br>"
            f"<small>made {made:%Y-%m-%d %H:%M}, imported {i.imported_at:%Y-%m-%d}</small><br>"
            f"<small style='color:#888'>SHA-256 {e(i.sha256[:16])}…</small></td></tr>"
        )
        if n < len(files) - 1:
            rows.append("<tr><td align='center' style='color:#999'>↓</td><td></td></tr>")
    rows.append("</table>")
    return "".join(rows)


def role_choices() -> list[tuple[str, Any]]:
    """(label, role) for the attach dialog: the suggestion per file first."""
    return [("By file type (suggested)", None)] + [
        (label, role) for role, label in ROLE_LABELS.items() if role != "primary"
    ]
