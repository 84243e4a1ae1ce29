"""The main window: sidebar of classes, thumbnail grid, inspector, background import."""

from __future__ import annotations

import gc
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QPoint,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from inkseal.library.dto import ImportProgress, ImportReport, WorkSummary
from inkseal.library.importer import CancelToken, import_paths
from inkseal.library.trash import empty_trash, restore_works, trash_works
from inkseal.library.works import (
    collection_counts,
    count_works,
    list_works,
    summaries,
    tag_counts,
    work_ids,
)
from inkseal.ui.commands import AttachCommand, TrashCommand
from inkseal.ui.context import AppContext
from inkseal.ui.grid.delegate import CardDelegate
from inkseal.ui.grid.model import WorksModel
from inkseal.ui.inspector import Inspector
from inkseal.ui.preferences import (
    Preferences,
    PreferencesDialog,
    apply_theme,
    recent_libraries,
    remember_library,
)
from inkseal.ui.preview import PreviewDialog
from inkseal.ui.tasks import run_task

FILTERS: list[tuple[str, str | None]] = [
    ("All works", None),
    ("Human-made", "human-made"),
    ("AI-assisted", "ai-assisted"),
    ("AI-generated", "ai-generated"),
    ("Undeclared", "undeclared"),
    ("Needs review", "needs-review"),
    ("Untagged", "untagged"),
    ("Trash", "trash"),
]
TAG_PREFIX = "tag:"
COLLECTION_PREFIX = "collection:"
CLASS_KEYS = ("human-made", "ai-assisted", "ai-generated", "undeclared")
_Counts = list[tuple[str, int]]
# A listing: the ids in order (None: not read yet), the first works' summaries, the counts.
_Listing = tuple["array[int] | None", list[WorkSummary], dict[str, int], _Counts, _Counts]
SORTS = [
    ("Date added", "added"),
    ("Date created", "created"),
    ("Title", "title"),
    ("Class", "class"),
]


class MainWindow(QMainWindow):
    import_finished = Signal(object)  # ImportReport, for tests and the summary
    attach_finished = Signal(object)  # ImportReport of an attach
    verify_finished = Signal(object)  # VerifyReport
    report_finished = Signal(object)  # ReportResult
    export_finished = Signal(object)  # list of ExportOutcome
    backup_finished = Signal(object)  # BackupResult
    replaced = Signal(object)  # the MainWindow that File > Open Library put in this one's place

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"Inkseal — {ctx.library.root}")
        self.setAcceptDrops(True)
        self.resize(1200, 760)
        self._cancel: CancelToken | None = None
        self._progress_shown = 0.0
        self._importing = False
        self._queued: list[str] = []  # files handed over while an import ran
        self._filter_class: str | None = None

        self.model = WorksModel(ctx.thumbs, lambda ids: summaries(self.ctx.library, ids), self)
        self.delegate = CardDelegate()

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMaximumWidth(220)
        for label, cls in FILTERS:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, cls)
            self.sidebar.addItem(item)
        self.sidebar.addItem(self._heading("Tags"))
        self.sidebar.setCurrentRow(0)
        self.sidebar.currentItemChanged.connect(self._on_filter_changed)

        self.sort = QComboBox()
        for label, key in SORTS:
            self.sort.addItem(label, key)
        self.sort.setToolTip("Sort the works")
        self.sort.currentIndexChanged.connect(lambda _i: self.refresh())

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles, tags, file names and metadata…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())

        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(96, 320)
        self.size_slider.setValue(self.delegate.thumb_side)
        self.size_slider.setMaximumWidth(160)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self._on_size_changed)

        self.grid = QListView()
        self.grid.setObjectName("grid")
        self.grid.setViewMode(QListView.ViewMode.ListMode)
        self.grid.setFlow(QListView.Flow.LeftToRight)
        self.grid.setWrapping(True)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        # Laid out a few thousand cards per turn of the event loop: a listing of a million
        # works paints its first screen at once and never holds the GUI thread for long.
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(2000)
        self.grid.setUniformItemSizes(True)
        self.grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.grid.setModel(self.model)
        self.grid.setItemDelegate(self.delegate)
        self.grid.setGridSize(self.delegate.card_size())
        self.grid.selectionModel().selectionChanged.connect(self._on_selection)
        self.grid.doubleClicked.connect(lambda index: self.open_preview(index.row()))

        self.undo_stack = QUndoStack(self)
        self.inspector = Inspector(
            ctx.library,
            self.undo_stack,
            self.refresh,
            attach=self.start_attach,
            reveal=self.reveal_works,
        )

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.sort)
        top.addWidget(QLabel("Size"))
        top.addWidget(self.size_slider)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addLayout(top)
        self.empty_state = QLabel(
            "<h2>Your library is empty</h2>"
            "<p>Drop image files or whole folders anywhere on this window,<br>"
            "or choose <b>File › Import Files…</b> (Ctrl+O).</p>"
            "<p>Inkseal copies them into the library; your originals are never changed.</p>"
        )
        self.empty_state.setObjectName("empty-state")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setTextFormat(Qt.TextFormat.RichText)
        self.centre_stack = QStackedWidget()
        self.centre_stack.addWidget(self.grid)
        self.centre_stack.addWidget(self.empty_state)
        centre_layout.addWidget(self.centre_stack, 1)

        splitter = QSplitter()
        splitter.addWidget(self.sidebar)
        splitter.addWidget(centre)
        splitter.addWidget(self.inspector)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([170, 690, 380])
        self.setCentralWidget(splitter)
        self.splitter = splitter

        self.status_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_import)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(1500)  # during imports: refresh at most this often
        self._refresh_timer.timeout.connect(self._refresh_in_background)
        self._refreshing = False
        self._generation = 0
        self._shown_filters: dict[str, Any] | None = None  # what the grid's listing is of
        self._listing_complete = True
        self._reveal_pending: list[int] | None = None
        self._selection_pending: list[int] | None = None

        self._build_menus()
        self._restore_state()
        self.refresh()
        # What start-up made lives as long as the window: take it out of the garbage
        # collector's reach, so that its full passes (18 ms at a million works) do not land
        # in a frame while the grid scrolls.
        QTimer.singleShot(0, gc.freeze)
        recovery = ctx.library.recovery
        if recovery is not None and recovery.interrupted and not recovery.deferred:
            self.statusBar().showMessage(
                "An import was cut short last time (the app or the computer stopped); "
                f"{recovery.removed} half-written file(s) it left were removed. "
                "Everything it had finished is in the library.",
                20000,
            )

    # Menus ------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_files_action = QAction("&Import Files…", self)
        self.import_files_action.setShortcut(QKeySequence.StandardKey.Open)
        self.import_files_action.triggered.connect(self._ask_import_files)
        file_menu.addAction(self.import_files_action)
        self.import_folder_action = QAction("Import &Folder…", self)
        self.import_folder_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.import_folder_action.triggered.connect(self._ask_import_folder)
        file_menu.addAction(self.import_folder_action)
        file_menu.addSeparator()
        self.export_report_action = QAction("&Export Report…", self)
        self.export_report_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_report_action.setToolTip(
            "A signed PDF provenance report of the selected works (Ctrl+E)"
        )
        self.export_report_action.triggered.connect(self.ask_export_report)
        file_menu.addAction(self.export_report_action)
        self.export_copies_action = QAction("Export &Copies…", self)
        self.export_copies_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_copies_action.setToolTip(
            "Copies of the selected works, signed with Content Credentials (Ctrl+Shift+E)"
        )
        self.export_copies_action.triggered.connect(self.ask_export_copies)
        file_menu.addAction(self.export_copies_action)
        self.export_catalogue_action = QAction("Export Ca&talogue…", self)
        self.export_catalogue_action.setToolTip(
            "Every work with its record, files and hashes, as JSON (re-importable) or CSV"
        )
        self.export_catalogue_action.triggered.connect(self.ask_export_catalogue)
        file_menu.addAction(self.export_catalogue_action)
        file_menu.addSeparator()
        open_library = QAction("&Open Library…", self)
        open_library.setToolTip("Open another library folder, or create one in an empty folder")
        open_library.triggered.connect(self._ask_open_library)
        file_menu.addAction(open_library)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        prefs_action = QAction("&Preferences…", self)
        prefs_action.setShortcut(QKeySequence.StandardKey.Preferences)
        prefs_action.triggered.connect(self.edit_preferences)
        file_menu.addAction(prefs_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)]
        )
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self.trash_action = QAction("Move to &Trash", self)
        self.trash_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")]
        )
        self.trash_action.setToolTip("Move the selected works to the Trash (Delete)")
        self.trash_action.triggered.connect(self.trash_selected)
        edit_menu.addAction(self.trash_action)
        self.restore_action = QAction("&Restore from Trash", self)
        self.restore_action.triggered.connect(self.restore_selected)
        edit_menu.addAction(self.restore_action)
        self.empty_trash_action = QAction("&Empty Trash…", self)
        self.empty_trash_action.triggered.connect(self.empty_trash)
        edit_menu.addAction(self.empty_trash_action)
        edit_menu.addSeparator()
        select_all = QAction("Select &All", self)
        select_all.setShortcut(QKeySequence.StandardKey.SelectAll)
        select_all.triggered.connect(self.grid.selectAll)
        edit_menu.addAction(select_all)

        library_menu = self.menuBar().addMenu("&Library")
        self.attach_action = QAction("&Attach Files to Work…", self)
        self.attach_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.attach_action.setToolTip(
            "Attach sketches, stages, layered files or timelapses to the selected work"
        )
        self.attach_action.triggered.connect(self._ask_attach)
        library_menu.addAction(self.attach_action)
        library_menu.addSeparator()
        self.verify_action = QAction("&Verify Library…", self)
        self.verify_action.setShortcut(QKeySequence("Ctrl+Shift+V"))
        self.verify_action.setToolTip(
            "Re-hash every file and check the history chain (in the background)"
        )
        self.verify_action.triggered.connect(self.start_verify)
        library_menu.addAction(self.verify_action)
        self.backup_action = QAction("&Back Up…", self)
        self.backup_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.backup_action.setToolTip(
            "Copy the whole library (catalogue, files, signing identity) to a new folder, "
            "while you keep working"
        )
        self.backup_action.triggered.connect(self.ask_backup)
        library_menu.addAction(self.backup_action)

        view_menu = self.menuBar().addMenu("&View")
        find = QAction("&Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self._focus_search)
        view_menu.addAction(find)
        preview = QAction("&Preview", self)
        preview.setShortcuts([QKeySequence("Space"), QKeySequence("Return")])
        preview.setToolTip("Show the selected work large (double-click does the same)")
        preview.triggered.connect(lambda: self.open_preview())
        self.preview_action = preview
        view_menu.addAction(preview)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_files_action.setToolTip("Import image files (Ctrl+O); folders: Ctrl+Shift+O")
        self.undo_action.setToolTip("Undo the last edit (Ctrl+Z)")
        self.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")
        for action in (
            self.import_files_action,
            self.import_folder_action,
            None,
            self.undo_action,
            self.redo_action,
            None,
            self.preview_action,
            self.trash_action,
        ):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        # Keys that mean something else while typing (Space, Return, Backspace, Delete) act
        # on works only when the grid has the focus.
        for action in (self.preview_action, self.trash_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.grid.addAction(action)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _ask_import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import images",
            str(Path.home()),
            "Images (*.jpg *.jpeg *.png *.webp *.gif *.tif *.tiff *.bmp *.heic *.heif *.avif);;"
            "All files (*)",
        )
        if paths:
            self.start_import(paths)

    def _ask_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder", str(Path.home()))
        if folder:
            self.start_import([folder])

    # Listing ----------------------------------------------------------------------------
    # Above this many works a full listing takes long enough (about 0.3 s a million) to be
    # read on a worker thread, after the first screen is shown.
    LARGE_LIBRARY = 20_000

    def _filters(self) -> dict[str, Any]:
        """The grid's filters and order as list_works takes them, read from the widgets."""
        key = self._filter_class
        return {
            "provenance_class": key if key in CLASS_KEYS else None,
            "needs_review": key == "needs-review",
            "untagged": key == "untagged",
            "trashed": key == "trash",
            "collection": key[len(COLLECTION_PREFIX) :]
            if key and key.startswith(COLLECTION_PREFIX)
            else None,
            "tag": key[len(TAG_PREFIX) :] if key and key.startswith(TAG_PREFIX) else None,
            "search": self.search.text().strip() or None,
            "order": self.sort.currentData() or "added",
        }

    def _query(self, *, full: bool = True) -> Callable[[], _Listing]:
        """A function computing what the grid and sidebar show, with the filters read now:
        the whole listing, or (full=False) only its first page.

        Widgets are read here, on the GUI thread; the returned function touches only the
        library, so it may run on any thread.
        """
        lib = self.ctx.library
        filters = self._filters()

        def run() -> _Listing:
            if full:
                ids = work_ids(lib, **filters)
                first = summaries(lib, ids[: WorksModel.PAGE])
            else:
                ids, first = None, list_works(lib, limit=WorksModel.PAGE, **filters)
            return ids, first, count_works(lib), tag_counts(lib), collection_counts(lib)

        return run

    def refresh(self) -> None:
        """Reload the grid and the sidebar (after an edit, a filter, an import).

        A small library is listed at once. A large one shows its counts and first screen at
        once and the rest of the listing when a worker thread has read it; until then the
        cards already shown are read again, so an edit shows straight away."""
        self._generation += 1
        filters = self._filters()
        counts = count_works(self.ctx.library)
        if counts["all"] + counts["trash"] <= self.LARGE_LIBRARY:
            self._apply(self._query()(), filters)
            return
        if filters != self._shown_filters and filters["search"]:
            # A search's first page costs as much as its whole listing (the matches are
            # ordered before any is shown): the grid shows the last results until it comes.
            self.status_label.setText("Searching…")
        elif filters != self._shown_filters:
            self._apply(self._query(full=False)(), filters)
        else:
            self.model.refetch()
        self._listing_complete = False
        self._refresh_in_background(always=True)

    def _refresh_in_background(self, always: bool = False) -> None:
        """Query on a worker thread, so the GUI thread only swaps listings: during an import
        (`always` False: skipped while one is running) and for large libraries."""
        if self._refreshing and not always:
            return
        self._refreshing = True
        query = self._query()  # reads the filters here, on the GUI thread
        filters = self._filters()
        generation = self._generation

        def done(result: Any) -> None:
            self._refreshing = False
            # A listing started before a newer refresh would show old filters or old rows.
            if generation == self._generation and (always or self._importing):
                self._apply(result, filters)

        def failed(message: str) -> None:
            self._refreshing = False
            if always and generation == self._generation:
                # What is shown stays; say why the rest is missing (the next refresh retries).
                self._listing_complete = True
                self.status_label.setText(f"The listing could not be read: {message}")

        run_task(self.ctx.queries, lambda _p: query(), on_done=done, on_error=failed)

    def _apply(self, data: _Listing, filters: dict[str, Any]) -> None:
        ids, first, counts, tags, collections = data
        complete = ids is not None
        if ids is None:
            ids = array("q", (w.id for w in first))
        selected = self.selected_ids()
        if self._selection_pending is not None:
            # Chosen before a large library's partial listing: the whole one may hold it.
            selected = self._selection_pending
        sel = self.grid.selectionModel()
        sel.blockSignals(True)
        try:
            self.model.set_ids(ids, first)
            # Works that moved (renamed under a sort by title, say) or a reset lose their
            # selection in the view: put it back in one step, without a selectionChanged a row.
            rows = sorted(self.model.rows_of(selected))
            if rows != self.selected_rows():
                selection = QItemSelection()
                for row in rows:
                    selection.select(self.model.index(row), self.model.index(row))
                sel.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            sel.blockSignals(False)
        self._selection_pending = None
        if not complete and set(self.selected_ids()) != set(selected):
            self._selection_pending = selected
        self._shown_filters = filters
        self._listing_complete = complete
        self.grid.viewport().update()
        # Tell the inspector once, only when what it shows has changed (so nothing typed is
        # lost).
        surviving = self.selected_ids()
        if surviving != self.inspector.work_ids:
            self.inspector.show_works(surviving)
        for i, (label, cls) in enumerate(FILTERS):
            item = self.sidebar.item(i)
            item.setText(f"{label}  ({counts['all' if cls is None else cls]:,})")
        self._refresh_sections(tags, collections)
        total = counts["all"]
        self.centre_stack.setCurrentIndex(1 if total == 0 and counts["trash"] == 0 else 0)
        if not complete:
            self.status_label.setText(f"{total:,} works · listing…")
        else:
            shown = len(ids)
            self.status_label.setText(
                f"{total:,} works" if shown == total else f"{shown:,} of {total:,} works shown"
            )
        if complete and self._reveal_pending is not None:
            wanted, self._reveal_pending = self._reveal_pending, None
            self._select_ids(wanted)

    def _refresh_sections(self, tags: _Counts, collections: _Counts) -> None:
        """Rebuild the Tags and Collections entries below the fixed ones, keeping the
        current entry selected."""
        first = len(FILTERS) + 1  # after the fixed entries and the Tags heading
        self.sidebar.blockSignals(True)
        try:
            while self.sidebar.count() > first:
                self.sidebar.takeItem(first)
            for name, n in tags:
                self._add_entry(f"  {name}  ({n:,})", TAG_PREFIX + name)
            self.sidebar.addItem(self._heading("Collections"))
            for name, n in collections:
                self._add_entry(f"  {name}  ({n:,})", COLLECTION_PREFIX + name)
        finally:
            self.sidebar.blockSignals(False)

    def _add_entry(self, text: str, key: str) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.sidebar.addItem(item)
        if self._filter_class == key:
            self.sidebar.setCurrentItem(item)

    @staticmethod
    def _heading(text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        return item

    def _on_filter_changed(self, current: QListWidgetItem | None, _prev: Any) -> None:
        self._filter_class = current.data(Qt.ItemDataRole.UserRole) if current else None
        self.refresh()

    def _on_size_changed(self, value: int) -> None:
        self.delegate.thumb_side = value
        self.grid.setGridSize(self.delegate.card_size())
        self.grid.doItemsLayout()

    def selected_rows(self) -> list[int]:
        rows: list[int] = []
        for span in self.grid.selectionModel().selection().toList():
            rows.extend(range(span.top(), span.bottom() + 1))
        return sorted(set(rows))

    def selected_ids(self) -> list[int]:
        """The selected works' ids in grid order (without reading their summaries)."""
        ids = self.model.ids
        return [ids[r] for r in self.selected_rows() if r < len(ids)]

    def selected_works(self) -> list[WorkSummary]:
        return [w for r in self.selected_rows() if (w := self.model.work_at(r)) is not None]

    def _on_selection(self, *_args: Any) -> None:
        self._selection_pending = None  # the user chose anew
        self.inspector.show_works(self.selected_ids())

    # Import -----------------------------------------------------------------------------
    @property
    def importing(self) -> bool:
        return self._importing

    def start_import(self, paths: list[str]) -> bool:
        """Import in the background; False when an import is already running."""
        if self._importing:
            self.statusBar().showMessage("An import is already running.", 4000)
            return False
        cancel = self._begin_long_task()
        lib = self.ctx.library
        # A large library's listing, and the view's layout of it, take a second: less often.
        large = len(self.model.ids) > self.LARGE_LIBRARY
        self._refresh_timer.start(4000 if large else 1500)
        prefs = Preferences.load()
        reference = prefs.import_mode == "reference"
        creator = prefs.creator or None
        run_task(
            self.ctx.tasks,
            lambda report_progress: import_paths(
                lib,
                paths,
                progress=report_progress,
                cancel=cancel,
                reference=reference,
                creator=creator,
            ),
            on_done=self._on_import_done,
            on_error=self._on_import_error,
            on_progress=self._on_import_progress,
        )
        return True

    def open_files(self, paths: list[str]) -> None:
        """Files opened with Inkseal (arguments, a launcher drop, a second launch): bring the
        window forward and import them, after the import under way if there is one."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        if not paths:
            return
        if self._importing:
            self._queued.extend(paths)
            self.statusBar().showMessage(
                f"{len(self._queued)} more file(s) will be imported after this import.", 6000
            )
            return
        self.start_import(paths)

    def cancel_import(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Cancelling after the files under way…")

    def _on_import_progress(self, p: ImportProgress) -> None:
        self._show_progress(p.done, p.total, "Importing %v of %m")

    def _show_progress(self, done: int, total: int, text: str) -> None:
        """Move the progress bar at most ten times a second: each move repaints the status
        bar at once, and a repaint per file would take the GUI thread's time."""
        now = time.monotonic()
        if done < total and now - self._progress_shown < 0.1:
            return
        self._progress_shown = now
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(text)

    def _finish_import(self) -> None:
        self._importing = False
        self._cancel = None
        self._refresh_timer.stop()
        self.progress.hide()
        self.cancel_button.hide()
        self.refresh()
        if self._queued:
            queued, self._queued = self._queued, []
            # Through open_files: should another task start first, they wait again.
            QTimer.singleShot(0, lambda: self.open_files(queued))

    def _on_import_done(self, report: ImportReport) -> None:
        self._finish_import()
        summary = (
            f"Imported {report.added}, {report.duplicates} already in the library, "
            f"{report.failed} failed"
            + (
                f" (cancelled after {len(report.outcomes)} of {report.total})"
                if report.cancelled
                else ""
            )
            + "."
        )
        self.statusBar().showMessage(summary, 15000)
        failures = [o for o in report.outcomes if o.status == "failed"]
        existing = sorted(
            {o.work_id for o in report.outcomes if o.status == "duplicate" and o.work_id}
        )
        similar = [o for o in report.outcomes if o.status == "added" and o.similar]
        if failures or existing or similar:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning if failures else QMessageBox.Icon.Information)
            box.setWindowTitle("Import finished")
            box.setText(summary)
            details = [f"{o.path}: {o.reason}" for o in failures]
            if similar:
                box.setInformativeText(
                    f"{len(similar)} new work(s) look like works already in the library "
                    "(resized or re-encoded copies?). They were added; compare them."
                )
                details += [
                    f"{Path(o.path).name} (work #{o.work_id}) looks like "
                    + ", ".join(f"#{w}" for w, _ in o.similar[:5])
                    for o in similar
                ]
            if details:
                box.setDetailedText("\n".join(details))
            box.addButton(QMessageBox.StandardButton.Ok)
            if similar:
                pairs = sorted(
                    {o.work_id for o in similar if o.work_id}
                    | {w for o in similar for w, _ in o.similar[:5]}
                )
                compare = box.addButton("Show the look-alikes", QMessageBox.ButtonRole.ActionRole)
                compare.clicked.connect(lambda: self.reveal_works(pairs))
            if existing:
                reveal = box.addButton(
                    f"Show the {len(existing)} already in the library",
                    QMessageBox.ButtonRole.ActionRole,
                )
                reveal.clicked.connect(lambda: self.reveal_works(existing))
            box.setModal(False)
            box.show()
            self.last_summary_box = box
        self.import_finished.emit(report)

    # Attaching evidence ---------------------------------------------------------------
    def _ask_attach(self) -> None:
        selected = self.selected_works()
        if len(selected) != 1:
            self.statusBar().showMessage("Select one work to attach files to.", 4000)
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self, f"Attach files to “{selected[0].title}”", str(Path.home())
        )
        if paths:
            self.start_attach(selected[0].id, paths)

    def ask_attach_role(self, paths: list[str], title: str) -> tuple[bool, str | None]:
        """Ask which role the files get; (accepted, role or None for "by file type")."""
        from PySide6.QtWidgets import QInputDialog

        from inkseal.library.evidence import suggest_role
        from inkseal.ui.files_panel import ROLE_LABELS, role_choices

        choices = role_choices()
        roles = {suggest_role(p) for p in paths}
        first = choices[0][0]
        if len(roles) == 1:
            first = f"{choices[0][0]}: {ROLE_LABELS[roles.pop()]}"
        labels = [first] + [label for label, _ in choices[1:]]
        what = Path(paths[0]).name if len(paths) == 1 else f"{len(paths)} files"
        text, ok = QInputDialog.getItem(
            self, "Attach files", f"Attach {what} to “{title}” as:", labels, 0, False
        )
        if not ok:
            return False, None
        index = labels.index(text) if text in labels else 0
        return True, choices[index][1]

    def start_attach(self, work_id: int, paths: list[str]) -> bool:
        """Attach files to a work in the background (asks the role first)."""
        from inkseal.library.evidence import attach_files
        from inkseal.library.works import get_work

        if self._importing:
            self.statusBar().showMessage("Wait for the running import to finish.", 4000)
            return False
        try:
            title = get_work(self.ctx.library, work_id).title
        except Exception as exc:
            QMessageBox.warning(self, "Inkseal", str(exc))
            return False
        ok, role = self.ask_attach_role(paths, title)
        if not ok:
            return False
        if self._importing:  # files handed over by another launch while the dialog was open
            self.statusBar().showMessage("Wait for the running import to finish.", 4000)
            return False
        lib = self.ctx.library
        cancel = self._begin_long_task()
        reference = Preferences.load().import_mode == "reference"

        def done(report: ImportReport) -> None:
            self._finish_import()
            added = [o.sha256 for o in report.outcomes if o.status == "added" and o.sha256]
            if added:
                self.undo_stack.push(AttachCommand(lib, self.refresh, work_id, added, title))
            failures = [o for o in report.outcomes if o.status == "failed"]
            summary = (
                f"Attached {len(added)} file(s) to “{title}”, {report.duplicates} already "
                f"there, {len(failures)} failed."
            )
            self.statusBar().showMessage(summary, 15000)
            if failures:
                box = QMessageBox(QMessageBox.Icon.Warning, "Attach finished", summary, parent=self)
                box.setDetailedText("\n".join(f"{o.path}: {o.reason}" for o in failures))
                box.setModal(False)
                box.show()
                self.last_summary_box = box
            self.inspector.reload()
            self.attach_finished.emit(report)

        run_task(
            self.ctx.tasks,
            lambda report_progress: attach_files(
                lib, work_id, paths, role, reference=reference, progress=report_progress,
                cancel=cancel,
            ),
            on_done=done,
            on_error=lambda m: self._on_import_error(m, "Attaching"),
            on_progress=self._on_import_progress,
        )  # fmt: skip
        return True

    def _begin_long_task(self) -> CancelToken:
        self._importing = True
        cancel = CancelToken()
        self._cancel = cancel
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        return cancel

    # Reports ---------------------------------------------------------------------------
    def ask_export_report(self) -> None:
        from inkseal.ui.report_dialog import ReportDialog

        selected = self.selected_works()
        if not selected:
            self.statusBar().showMessage("Select the works to report on first.", 4000)
            return
        dialog = ReportDialog(
            self.ctx.library, [w.title for w in selected], Preferences.load().creator, self
        )
        if dialog.exec() == ReportDialog.DialogCode.Accepted and dialog.choice is not None:
            self.start_report([w.id for w in selected], dialog.choice)

    def start_report(self, work_ids: list[int], choice: Any) -> bool:
        """Write a report in the background; when done, offer to open it."""
        from inkseal.reports.manifest import ReportOptions
        from inkseal.reports.report import ReportResult, make_report

        if self._importing:
            self.statusBar().showMessage("Wait for the running import to finish.", 4000)
            return False
        lib = self.ctx.library
        self._begin_long_task()
        options = ReportOptions(
            kind=choice.kind,
            paper=choice.paper,
            compact=choice.compact,
            include_thumbnails=choice.thumbnails,
            include_prompts=choice.prompts,
        )

        def progress(p: tuple[int, int, str]) -> None:
            self._show_progress(p[0], p[1], "Report: %v of %m")

        def done(result: ReportResult) -> None:
            self._finish_import()
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Report exported",
                f"The report is saved as {result.path}"
                + (" and signed." if result.signed else " (not signed)."),
                parent=self,
            )
            if not result.integrity_ok:
                box.setInformativeText("Some files failed their check; the report says which.")
            box.addButton(QMessageBox.StandardButton.Ok)
            open_button = box.addButton("Open", QMessageBox.ButtonRole.ActionRole)
            open_button.clicked.connect(lambda: self._open_file(result.path))
            folder = box.addButton("Show in Folder", QMessageBox.ButtonRole.ActionRole)
            folder.clicked.connect(lambda: self._open_file(result.path.parent))
            box.setModal(False)
            box.show()
            self.last_report_box = box
            self.statusBar().showMessage(f"Report saved: {result.path}", 15000)
            self.inspector.reload()
            self.report_finished.emit(result)

        run_task(
            self.ctx.tasks,
            lambda report_progress: make_report(
                lib, work_ids, choice.path, options=options, sign=choice.sign,
                passphrase=choice.passphrase,
                progress=lambda d, t, w: report_progress((d, t, w)),
            ),
            on_done=done,
            on_error=lambda m: self._on_import_error(m, "The report"),
            on_progress=progress,
        )  # fmt: skip
        return True

    def ask_export_catalogue(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export catalogue",
            str(Path.home() / "inkseal-catalogue.json"),
            "JSON, re-importable (*.json);;CSV for spreadsheets (*.csv)",
        )
        if path:
            self.export_catalogue(Path(path))

    def export_catalogue(self, path: Path) -> bool:
        from inkseal.library.catalogue_io import export_catalogue
        from inkseal.library.errors import InksealError

        if path.suffix.lower() not in (".json", ".csv"):
            path = path.with_suffix(".json")
        try:
            n = export_catalogue(self.ctx.library, path)
        except (InksealError, OSError) as exc:
            QMessageBox.warning(self, "Inkseal", f"The catalogue was not written: {exc}")
            return False
        self.statusBar().showMessage(f"{n} work(s) written to {path}", 15000)
        return True

    def ask_export_copies(self) -> None:
        from inkseal.ui.report_dialog import ExportCopiesDialog

        selected = self.selected_works()
        if not selected:
            self.statusBar().showMessage("Select the works to export first.", 4000)
            return
        dialog = ExportCopiesDialog(
            self.ctx.library, len(selected), Preferences.load().creator, self
        )
        if dialog.exec() == ExportCopiesDialog.DialogCode.Accepted and dialog.choice:
            self.start_export_copies([w.id for w in selected], dialog.choice)

    def start_export_copies(self, work_ids: list[int], choice: Any) -> bool:
        from inkseal.library.export import ExportOutcome, export_copies

        if self._importing:
            self.statusBar().showMessage("Wait for the running import to finish.", 4000)
            return False
        lib = self.ctx.library
        self._begin_long_task()
        default = Preferences.load().default_do_not_train

        def done(outcomes: list[ExportOutcome]) -> None:
            self._finish_import()
            written = [o for o in outcomes if o.status == "written"]
            failed = [o for o in outcomes if o.status == "failed"]
            summary = f"Exported {len(written)} copy(ies) to {choice.folder}" + (
                f", {len(failed)} failed." if failed else "."
            )
            box = QMessageBox(
                QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information,
                "Export finished",
                summary,
                parent=self,
            )
            if failed:
                box.setDetailedText("\n".join(f"#{o.work_id}: {o.reason}" for o in failed))
            box.addButton(QMessageBox.StandardButton.Ok)
            folder = box.addButton("Show in Folder", QMessageBox.ButtonRole.ActionRole)
            folder.clicked.connect(lambda: self._open_file(Path(choice.folder)))
            box.setModal(False)
            box.show()
            self.last_export_box = box
            self.statusBar().showMessage(summary, 15000)
            self.inspector.reload()
            self.export_finished.emit(outcomes)

        run_task(
            self.ctx.tasks,
            lambda report_progress: export_copies(
                lib, work_ids, choice.folder, c2pa=choice.c2pa, xmp=choice.xmp, fmt=choice.fmt,
                passphrase=choice.passphrase, default_do_not_train=default,
                progress=lambda d, t: report_progress((d, t)),
            ),
            on_done=done,
            on_error=lambda m: self._on_import_error(m, "The export"),
            on_progress=lambda p: self._show_progress(p[0], p[1], "Exporting %v of %m"),
        )  # fmt: skip
        return True

    @staticmethod
    def _open_file(path: Path) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # Verification ----------------------------------------------------------------------
    def start_verify(self) -> bool:
        from inkseal.library.verify import VerifyReport, verify_library

        if self._importing:
            self.statusBar().showMessage("Wait for the running import to finish.", 4000)
            return False
        lib = self.ctx.library
        cancel = self._begin_long_task()

        def progress(p: tuple[int, int]) -> None:
            self._show_progress(p[0], p[1], "Verifying %v of %m")

        def done(report: VerifyReport) -> None:
            self._finish_import()
            box = QMessageBox(
                QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Warning,
                "Library verified" if report.ok else "Verification found problems",
                "Every file is as it was imported and the history is intact."
                if report.ok
                else "Some files or records are not what the library recorded.",
                parent=self,
            )
            box.setInformativeText(report.summary().split("\n")[0])
            box.setDetailedText(report.summary())
            box.setModal(False)
            box.show()
            self.last_verify_box = box
            self.statusBar().showMessage(report.summary().split("\n")[-1], 15000)
            self.inspector.reload()
            self.verify_finished.emit(report)

        run_task(
            self.ctx.tasks,
            lambda report_progress: verify_library(
                lib, progress=lambda d, t: report_progress((d, t)), cancel=cancel
            ),
            on_done=done,
            on_error=lambda m: self._on_import_error(m, "Verification"),
            on_progress=progress,
        )
        return True

    # Backup ------------------------------------------------------------------------------
    def ask_backup(self) -> None:
        from inkseal.library.backup import default_backup_name

        parent = QFileDialog.getExistingDirectory(self, "Back up the library into")
        if parent:
            self.start_backup(Path(parent) / default_backup_name(self.ctx.library))

    def start_backup(self, destination: Path) -> bool:
        from inkseal.library.backup import BackupResult, backup_library

        if self._importing:
            self.statusBar().showMessage("Wait for the running task to finish.", 4000)
            return False
        lib = self.ctx.library
        cancel = self._begin_long_task()

        def done(result: BackupResult) -> None:
            self._finish_import()
            if result.cancelled:
                self.statusBar().showMessage("Backup cancelled; nothing was kept.", 8000)
            else:
                self.statusBar().showMessage(
                    f"Backed up {result.works} works and {result.files} files "
                    f"({result.bytes / 1e6:.1f} MB) to {result.folder}",
                    15000,
                )
            self.backup_finished.emit(result)

        run_task(
            self.ctx.tasks,
            lambda report_progress: backup_library(
                lib,
                destination,
                progress=lambda d, t: report_progress((d, t)),
                cancelled=lambda: cancel.cancelled,
            ),
            on_done=done,
            on_error=lambda m: self._on_import_error(m, "The backup"),
            on_progress=lambda p: self._show_progress(p[0], p[1], "Backing up %v of %m"),
        )
        return True

    def _on_import_error(self, message: str, what: str = "Import") -> None:
        self._finish_import()
        QMessageBox.critical(self, f"{what} failed", message)

    # Drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def work_under(self, window_pos: QPoint) -> WorkSummary | None:
        """The work whose card is at this point of the window, if any."""
        viewport = self.grid.viewport()
        if not self.grid.isVisible():
            return None
        pos = viewport.mapFrom(self, window_pos)
        if not viewport.rect().contains(pos):
            return None
        index = self.grid.indexAt(pos)
        return self.model.work_at(index.row()) if index.isValid() else None

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if not event.mimeData().hasUrls():
            event.ignore()
            return
        target = self.work_under(event.position().toPoint())
        self.statusBar().showMessage(
            f"Drop to attach to “{target.title}”" if target else "Drop to import", 1500
        )
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        # External drops are copies: nothing at the source is moved or deleted.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        target = self.work_under(event.position().toPoint())
        if target is not None and self._filter_class != "trash":
            # Dropped onto a card: the files are evidence for that work.
            self.start_attach(target.id, paths)
        else:
            self.start_import(paths)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        if self._cancel is not None:
            self._cancel.cancel()
        self._save_state()
        super().closeEvent(event)

    def open_preview(self, row: int | None = None) -> PreviewDialog | None:
        if row is None:
            rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
            row = rows[0] if rows else None
        if row is None or self.model.work_at(row) is None:
            return None
        dialog = PreviewDialog(self.ctx, self.model.rows, row, None)
        dialog.setModal(False)
        dialog.show()
        self.last_preview = dialog
        return dialog

    def reveal_works(self, work_ids: list[int]) -> None:
        """Select these works in the grid (showing all works, search cleared)."""
        if self._filter_class is not None or self.search.text():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(0)
            self.sidebar.blockSignals(False)
            self._filter_class = None
            self.refresh()
        if self._listing_complete:
            self._select_ids(work_ids)
        else:  # a large library's listing is still being read
            self._reveal_pending = list(work_ids)

    def _select_ids(self, work_ids: list[int]) -> None:
        sel = self.grid.selectionModel()
        sel.clearSelection()
        rows = self.model.rows_of(work_ids)
        for row in rows:
            sel.select(self.model.index(row), sel.SelectionFlag.Select)
        if rows:
            self.grid.scrollTo(self.model.index(min(rows)))

    # Preferences and libraries ------------------------------------------------------------
    def edit_preferences(self) -> None:
        dialog = PreferencesDialog(Preferences.load(), str(self.ctx.library.root), self)
        if dialog.exec() == PreferencesDialog.DialogCode.Accepted:
            prefs = dialog.value()
            prefs.save()
            apply_theme(prefs.theme)

    def _ask_open_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open or create a library", str(self.ctx.library.root.parent)
        )
        if folder:
            self.open_library(folder)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_libraries():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_library(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent libraries").setEnabled(False)

    def open_library(self, folder: str) -> MainWindow | None:
        """Open (or create) the library in `folder` in a new window and close this one."""
        if self._importing:
            QMessageBox.information(self, "Inkseal", "Wait for the import to finish first.")
            return None
        from inkseal.library.errors import InksealError
        from inkseal.library.library import open_library

        try:
            lib = open_library(folder)
        except InksealError as exc:
            QMessageBox.warning(self, "Inkseal cannot open the library", str(exc))
            return None
        remember_library(str(lib.root))
        window = MainWindow(AppContext(lib))
        window.show()
        self.next_window = window
        self.replaced.emit(window)
        self.close()
        self.ctx.shutdown()
        return window

    # Trash -------------------------------------------------------------------------------
    def trash_selected(self) -> None:
        selected = self.selected_works()
        if not selected or self._filter_class == "trash":
            return
        what = f"“{selected[0].title}”" if len(selected) == 1 else f"{len(selected)} works"
        answer = QMessageBox.question(
            self,
            "Move to Trash",
            f"Move {what} to the Trash?\n\nThey stay there, with their files and history, "
            "until you empty the Trash. Edit › Undo brings them back.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        ids = [w.id for w in selected]
        trash_works(self.ctx.library, ids)
        self.undo_stack.push(TrashCommand(self.ctx.library, self.refresh, ids))

    def restore_selected(self) -> None:
        ids = [w.id for w in self.selected_works()]
        if ids and self._filter_class == "trash":
            restore_works(self.ctx.library, ids)
            self.undo_stack.push(TrashCommand(self.ctx.library, self.refresh, ids, restore=True))

    def empty_trash(self) -> None:
        if self._importing:
            # An import may be about to record a file that a trashed work also holds.
            QMessageBox.information(self, "Inkseal", "Wait for the import to finish first.")
            return
        n = count_works(self.ctx.library)["trash"]
        if n == 0:
            self.statusBar().showMessage("The Trash is empty.", 4000)
            return
        answer = QMessageBox.warning(
            self,
            "Empty Trash",
            f"Delete the {n} work(s) in the Trash for good, with their stored files?\n\n"
            "This cannot be undone. Your original files outside the library are not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        deleted = empty_trash(self.ctx.library)
        # Undo entries may point at works that no longer exist.
        self.undo_stack.clear()
        self.refresh()
        self.statusBar().showMessage(f"Deleted {deleted} work(s) for good.", 8000)

    # Remembered between runs --------------------------------------------------------------
    def _restore_state(self) -> None:
        st = QSettings()
        geometry = st.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = st.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        stored = st.value("grid/thumb_side", self.delegate.thumb_side)
        try:
            side = int(str(stored))
        except ValueError:
            side = self.delegate.thumb_side
        self.size_slider.setValue(max(96, min(320, side)))
        index = self.sort.findData(st.value("grid/sort", "added"))
        self.sort.blockSignals(True)
        self.sort.setCurrentIndex(max(0, index))
        self.sort.blockSignals(False)

    def _save_state(self) -> None:
        st = QSettings()
        st.setValue("window/geometry", self.saveGeometry())
        st.setValue("window/splitter", self.splitter.saveState())
        st.setValue("grid/thumb_side", self.delegate.thumb_side)
        st.setValue("grid/sort", self.sort.currentData())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1200, 760)
