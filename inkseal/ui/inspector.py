"""The inspector: edit the selected work(s) and read everything known about them.

Every edit goes through the library at once (no Save button) and onto the undo stack.
Text from the library or from files is escaped wherever it is shown as rich text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QIntValidator, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inkseal.library import links, works
from inkseal.library.dto import FileInfo, WorkDetail
from inkseal.library.errors import InksealError, NotFound
from inkseal.library.history import describe_event, link_words
from inkseal.library.library import Library
from inkseal.library.links import KINDS as LINK_KINDS
from inkseal.library.text import html_text
from inkseal.ui.commands import (
    DeclareCommand,
    FieldsCommand,
    LinkCommand,
    RenameCommand,
    TagsCommand,
    TrainingCommand,
)
from inkseal.ui.files_panel import FilesPanel
from inkseal.ui.grid.delegate import CLASS_STYLE

CLASSES = [
    ("Undeclared", "undeclared"),
    ("Human-made", "human-made"),
    ("AI-assisted", "ai-assisted"),
    ("AI-generated", "ai-generated"),
]
STAGES = [
    "ideation", "reference", "sketch", "composition", "generation", "inpainting",
    "background", "colouring", "upscaling", "editing", "other",
]  # fmt: skip


def split_tags(text: str) -> list[str]:
    out: list[str] = []
    for part in text.split(","):
        name = " ".join(part.split())
        if name and name.lower() not in {t.lower() for t in out}:
            out.append(name)
    return out


class _FocusOut(QObject):
    """Calls back when a plain-text editor loses focus (it has no editingFinished)."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self.callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.FocusOut:
            self.callback()
        return False


class Inspector(QWidget):
    """The right-hand panel: a Record tab (fields, declaration, links, what the files say),
    a Files tab (the work's files in order, with a timeline) and a History tab."""

    def __init__(
        self,
        lib: Library,
        undo: QUndoStack,
        on_change: Callable[[], None],
        *,
        attach: Callable[[int, list[str]], object] | None = None,
        reveal: Callable[[list[int]], None] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("inspector")
        self.lib = lib
        self.undo = undo
        self.on_change = on_change
        self.attach = attach
        self.reveal = reveal
        self.work_ids: list[int] = []
        self.work: WorkDetail | None = None  # when exactly one work is selected
        self._common: dict[str, list[str]] = {"tags": [], "collections": []}
        self._loading = False
        self.setMinimumWidth(340)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)

        self.record = QScrollArea()
        body = QWidget()
        self.record.setWidget(body)
        self.record.setWidgetResizable(True)
        self.record.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.record.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 4, 0)

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        outer.addWidget(self.heading)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("inspector-tabs")
        self.tabs.setDocumentMode(True)
        outer.addWidget(self.tabs, 1)

        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.title = QLineEdit()
        self.title.setToolTip("The work's title (press Enter to save)")
        self.creator = QLineEdit()
        self.creation_date = QLineEdit()
        self.creation_date.setPlaceholderText("2024, 2024-05 or 2024-05-17")
        self.medium = QLineEdit()
        self.medium.setPlaceholderText("e.g. ink on paper, digital (Krita)")
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(80)
        self._desc_filter = _FocusOut(self._commit_description)
        self.description.installEventFilter(self._desc_filter)
        form.addRow("Title", self.title)
        form.addRow("Creator", self.creator)
        form.addRow("Created", self.creation_date)
        form.addRow("Medium", self.medium)
        form.addRow("Description", self.description)
        self.training = QComboBox()
        for label, choice in (("Not stated", None), ("Allowed", False), ("Not allowed", True)):
            self.training.addItem(label, choice)
        self.training.setToolTip(
            "Whether AI training and data mining on this work are allowed; signed copies say it"
        )
        self.training.activated.connect(self._commit_training)
        form.addRow("AI training", self.training)
        layout.addWidget(self.form_box)
        self.title.editingFinished.connect(self._commit_title)
        for name in ("creator", "creation_date", "medium"):
            edit: QLineEdit = getattr(self, name)
            edit.editingFinished.connect(lambda n=name: self._commit_field(n))

        decl = QFormLayout()
        self.cls = QComboBox()
        for label, value in CLASSES:
            self.cls.addItem(label, value)
        self.cls.setToolTip("How the work was made, as you declare it")
        self.cls.activated.connect(self._commit_class)
        decl.addRow("Class", self.cls)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma, separated, tags")
        self.tags.editingFinished.connect(lambda: self._commit_labels("tags"))
        decl.addRow("Tags", self.tags)
        self.collections = QLineEdit()
        self.collections.setPlaceholderText("series this work belongs to")
        self.collections.setToolTip("Collections (series), separated by commas")
        self.collections.editingFinished.connect(lambda: self._commit_labels("collections"))
        decl.addRow("Collections", self.collections)
        layout.addLayout(decl)

        layout.addWidget(QLabel("AI use"))
        self.ai_uses = QListWidget()
        self.ai_uses.setMaximumHeight(70)
        layout.addWidget(self.ai_uses)
        self.ai_tool = QLineEdit()
        self.ai_tool.setPlaceholderText("Tool, e.g. Stable Diffusion XL")
        self.ai_stage = QComboBox()
        self.ai_stage.addItems(STAGES)
        self.ai_stage.setToolTip("The stage of the work the tool was used for")
        self.ai_note = QLineEdit()
        self.ai_note.setPlaceholderText("What it did (optional)")
        self.ai_add = QPushButton("Add AI use")
        self.ai_add.setToolTip("Declare this AI use (the class becomes AI-assisted if needed)")
        self.ai_add.clicked.connect(self._add_ai_use)
        self.ai_remove = QPushButton("Remove")
        self.ai_remove.setToolTip("Remove the AI use selected above")
        self.ai_remove.clicked.connect(self._remove_ai_use)
        first = QHBoxLayout()
        first.addWidget(self.ai_tool, 2)
        first.addWidget(self.ai_stage, 1)
        second = QHBoxLayout()
        second.addWidget(self.ai_note, 1)
        second.addWidget(self.ai_add)
        second.addWidget(self.ai_remove)
        layout.addLayout(first)
        layout.addLayout(second)

        self.details = QTextBrowser()
        self.details.setObjectName("inspector-details")
        self.details.setOpenLinks(False)
        self.details.setOpenExternalLinks(False)
        self.details.setMinimumHeight(260)
        self.details.anchorClicked.connect(self._on_anchor)
        layout.addWidget(self.details, 1)
        self.tabs.addTab(self.record, "Record")

        self.files_panel = FilesPanel(self)
        self.tabs.addTab(self.files_panel, "Files")

        self.related = QWidget()
        rel = QVBoxLayout(self.related)
        rel.setContentsMargins(0, 4, 0, 0)
        rel.addWidget(self._section("Links to other works"))
        self.links = QListWidget()
        self.links.setObjectName("inspector-links")
        self.links.setToolTip("Double-click to show the linked work")
        self.links.itemDoubleClicked.connect(self._reveal_link)
        rel.addWidget(self.links, 1)
        self.link_kind = QComboBox()
        for kind in LINK_KINDS:
            self.link_kind.addItem(link_words(kind, "outgoing"), kind)
        self.link_kind.setToolTip("How this work relates to the other one")
        self.link_target = QLineEdit()
        self.link_target.setPlaceholderText("work number, e.g. 12")
        self.link_target.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.link_target.returnPressed.connect(self._add_link)
        self.link_add = QPushButton("Link")
        self.link_add.setToolTip("Link this work to the work with that number")
        self.link_add.clicked.connect(self._add_link)
        self.link_remove = QPushButton("Remove")
        self.link_remove.setToolTip("Remove the link selected above")
        self.link_remove.clicked.connect(self._remove_link)
        row = QHBoxLayout()
        row.addWidget(QLabel("This work is"))
        row.addWidget(self.link_kind, 1)
        row.addWidget(self.link_target, 1)
        rel.addLayout(row)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.link_add)
        row.addWidget(self.link_remove)
        rel.addLayout(row)

        rel.addWidget(self._section("Similar works"))
        self.similar = QTextBrowser()
        self.similar.setObjectName("inspector-similar")
        self.similar.setOpenLinks(False)
        self.similar.anchorClicked.connect(self._on_anchor)
        rel.addWidget(self.similar, 1)
        self.tabs.addTab(self.related, "Related")
        self.tabs.currentChanged.connect(lambda _i: self._fill_similar())

        self.history = QTextBrowser()
        self.history.setObjectName("inspector-history")
        self.history.setOpenLinks(False)
        self.tabs.addTab(self.history, "History")
        self.show_works([])

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        return label

    # Loading ---------------------------------------------------------------------------
    def show_works(self, work_ids: list[int]) -> None:
        self._loading = True
        try:
            self._show(work_ids)
        finally:
            self._loading = False

    def reload(self) -> None:
        self.show_works(self.work_ids)

    def _show(self, work_ids: list[int]) -> None:
        self.work_ids = list(work_ids)
        details = []
        for wid in work_ids[:500]:
            try:
                details.append(works.get_work(self.lib, wid))
            except NotFound:  # deleted meanwhile (Trash emptied, another process)
                continue
        self.work_ids = [d.id for d in details]
        self.work = details[0] if len(details) == 1 else None
        editable = bool(details)
        for widget in (
            self.cls, self.tags, self.collections, self.ai_tool, self.ai_stage, self.ai_note,
            self.ai_add,
        ):  # fmt: skip
            widget.setEnabled(editable)
        self.form_box.setVisible(self.work is not None)
        for widget in (self.link_kind, self.link_target, self.link_add):
            widget.setEnabled(self.work is not None)
        for tab in (1, 2, 3):
            self.tabs.setTabEnabled(tab, self.work is not None)
        self.files_panel.show_work(self.work)
        self.history.setHtml(history_html(self.work) if self.work else "")
        self._fill_similar()
        self._fill_links()
        # AI uses are edited one work at a time; class, tags and collections for many.
        for widget in (self.ai_tool, self.ai_stage, self.ai_note, self.ai_add):
            widget.setEnabled(self.work is not None)
        completer = QCompleter(works.all_tags(self.lib), self.tags)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(completer)
        if not details:
            self.heading.setText("No work selected")
            self.details.setHtml(
                "<p>Select a work to see and edit its record.</p>"
                "<p>Drop image files or folders anywhere on this window to import them.</p>"
            )
            self.ai_uses.clear()
            self.tags.clear()
            self.collections.clear()
            self.ai_remove.setEnabled(False)
            return
        classes = {d.provenance_class for d in details}
        self.cls.setCurrentIndex(self.cls.findData(classes.pop()) if len(classes) == 1 else -1)
        for kind, edit in (("tags", self.tags), ("collections", self.collections)):
            sets = [{t.lower() for t in getattr(d, kind)} for d in details]
            common = set.intersection(*sets)
            self._common[kind] = [t for t in getattr(details[0], kind) if t.lower() in common]
            edit.setText(", ".join(self._common[kind]))
        if self.work is None:
            self.heading.setText(f"{len(work_ids)} works selected")
            self.ai_uses.clear()
            self.ai_remove.setEnabled(False)
            self.details.setHtml(
                "<p>Class and tags apply to every selected work. Tags shown are the ones "
                "they all share.</p>"
            )
            return
        w = self.work
        self.heading.setText(w.title)
        self.title.setText(w.title)
        self.creator.setText(w.creator or "")
        self.creation_date.setText(w.creation_date or "")
        self.medium.setText(w.medium or "")
        self.description.setPlainText(w.description or "")
        self.training.setCurrentIndex(self.training.findData(w.do_not_train))
        self.ai_uses.clear()
        for u in w.declaration.ai_uses if w.declaration else ():
            self.ai_uses.addItem(f"{u.tool} — {u.stage}" + (f": {u.note}" if u.note else ""))
        self.ai_remove.setEnabled(self.ai_uses.count() > 0)
        self.details.setHtml(details_html(w))

    def _fill_similar(self) -> None:
        """Look-alikes compare with every picture in the library: only when they are shown."""
        if self.work is None:
            self.similar.clear()
            return
        if self.tabs.currentWidget() is not self.related:
            self.similar.setHtml("")
            return
        from inkseal.library.similar import similar_works

        try:
            near = similar_works(self.lib, self.work.id)
            titles = works.titles_of(self.lib, [wid for wid, _ in near])
        except InksealError as exc:
            self.similar.setPlainText(str(exc))
            return
        found = tuple((wid, titles[wid], d) for wid, d in near if wid in titles)
        self.similar.setHtml(similar_html(found))

    def _fill_links(self) -> None:
        self.links.clear()
        for link in self.work.links if self.work else ():
            text = f"{link_words(link.kind, link.direction)} #{link.other_id} {link.other_title}"
            if link.other_trashed:
                text += " (in the Trash)"
            item = QListWidgetItem(text[:300])
            item.setData(Qt.ItemDataRole.UserRole, link)
            self.links.addItem(item)
        self.link_remove.setEnabled(self.links.count() > 0)

    def _reveal_link(self, item: QListWidgetItem) -> None:
        link = item.data(Qt.ItemDataRole.UserRole)
        if link is not None and self.reveal is not None:
            self.reveal([link.other_id])

    def _on_anchor(self, url: QUrl) -> None:
        # Only the app's own "work:N" links do anything; nothing is ever fetched or opened.
        if url.scheme() == "work" and self.reveal is not None:
            with contextlib.suppress(ValueError):
                self.reveal([int(url.path())])

    # Edits -----------------------------------------------------------------------------
    def _add_link(self) -> None:
        w = self.work
        text = self.link_target.text().strip()
        if w is None or not text:
            self.link_target.setFocus()
            return
        other, kind = int(text), self.link_kind.currentData()

        def make() -> LinkCommand | None:
            if not links.link_works(self.lib, w.id, other, kind):
                return None
            return LinkCommand(self.lib, self._refresh, w.id, other, kind)

        self._run(make)
        self.link_target.clear()

    def _remove_link(self) -> None:
        item = self.links.currentItem() or self.links.item(0)
        if item is None or self.work is None:
            return
        link = item.data(Qt.ItemDataRole.UserRole)
        me = self.work.id
        source, target = (
            (me, link.other_id) if link.direction == "outgoing" else (link.other_id, me)
        )

        def make() -> LinkCommand | None:
            if not links.unlink_works(self.lib, source, target, link.kind):
                return None
            return LinkCommand(self.lib, self._refresh, source, target, link.kind, remove=True)

        self._run(make)

    def _run(self, make_command: Callable[[], Any]) -> None:
        """Do an edit, then push its command; a refused edit shows why and changes nothing."""
        if self._loading:
            return
        try:
            command = make_command()
        except InksealError as exc:
            QMessageBox.warning(self, "Inkseal", str(exc))
            self.reload()
            return
        if command is not None:
            self.undo.push(command)

    def _refresh(self) -> None:
        self.on_change()
        self.reload()

    def _commit_title(self) -> None:
        w = self.work
        if w is None or self.title.text().strip() == w.title:
            return
        new = " ".join(self.title.text().split())

        def make() -> RenameCommand:
            works.rename(self.lib, w.id, new)
            return RenameCommand(self.lib, self._refresh, w.id, w.title, new)

        self._run(make)

    def _commit_field(self, name: str) -> None:
        w = self.work
        if w is None:
            return
        edit: QLineEdit = getattr(self, name)
        self._edit_field(w.id, name, edit.text())

    def _commit_training(self, _index: int) -> None:
        w = self.work
        if w is None:
            return
        value = self.training.currentData()

        def make() -> TrainingCommand | None:
            old = works.set_do_not_train(self.lib, w.id, value)
            return (
                None if old == value else TrainingCommand(self.lib, self._refresh, w.id, old, value)
            )

        self._run(make)

    def _commit_description(self) -> None:
        if self.work is not None:
            self._edit_field(self.work.id, "description", self.description.toPlainText())

    def _edit_field(self, work_id: int, name: str, value: str) -> None:
        def make() -> FieldsCommand | None:
            old = works.edit_fields(self.lib, work_id, {name: value})
            if not old:
                return None
            return FieldsCommand(self.lib, self._refresh, work_id, old, {name: value})

        self._run(make)

    def _declare(self, cls: str, uses: list[works.AIUseInput] | None) -> None:
        """Declare `cls` for the selection. `uses` None keeps each work's own AI uses (where
        the class allows them); each work keeps its own note."""
        ids = list(self.work_ids)

        def make() -> DeclareCommand:
            previous = {wid: works.get_work(self.lib, wid).declaration for wid in ids}
            for wid, prev in previous.items():
                own = (
                    [works.AIUseInput(u.tool, u.stage, u.note) for u in prev.ai_uses]
                    if prev
                    else []
                )
                chosen = own if uses is None else uses
                if cls not in ("ai-assisted", "ai-generated"):
                    chosen = []
                works.declare(
                    self.lib, wid, cls, chosen, prev.note if prev else None,
                    prev.declared_by if prev else None, allow_undeclared=True,
                )  # fmt: skip
            after = {wid: works.get_work(self.lib, wid).declaration for wid in ids}
            return DeclareCommand(self.lib, self._refresh, previous, after)

        self._run(make)

    def _current_uses(self) -> list[works.AIUseInput]:
        w = self.work
        if w is None or w.declaration is None:
            return []
        return [works.AIUseInput(u.tool, u.stage, u.note) for u in w.declaration.ai_uses]

    def _commit_class(self, _index: int) -> None:
        cls = self.cls.currentData()
        if not cls or not self.work_ids:
            return
        self._declare(cls, None)

    def _add_ai_use(self) -> None:
        tool = self.ai_tool.text().strip()
        if not tool:
            self.ai_tool.setFocus()
            return
        use = works.AIUseInput(
            tool, self.ai_stage.currentText(), self.ai_note.text().strip() or None
        )
        cls = self.cls.currentData()
        if cls not in ("ai-assisted", "ai-generated"):
            cls = "ai-assisted"
        self._declare(cls, [*self._current_uses(), use])
        self.ai_tool.clear()
        self.ai_note.clear()

    def _remove_ai_use(self) -> None:
        row = self.ai_uses.currentRow()
        uses = self._current_uses()
        if self.work is None or not 0 <= row < len(uses):
            return
        del uses[row]
        self._declare(self.work.provenance_class, uses)

    def _commit_labels(self, kind: str) -> None:
        """Apply the tags or collections typed for the selection (shared ones shown)."""
        if not self.work_ids:
            return
        edit = self.tags if kind == "tags" else self.collections
        wanted = split_tags(edit.text())
        current = self._common[kind]
        have = {t.lower() for t in current}
        want = {t.lower() for t in wanted}
        to_add = [t for t in wanted if t.lower() not in have]
        to_remove = [t for t in current if t.lower() not in want]
        if not to_add and not to_remove:
            return
        ids = list(self.work_ids)
        add, remove = (
            (works.add_tags, works.remove_tags)
            if kind == "tags"
            else (works.add_to_collections, works.remove_from_collections)
        )

        def make() -> TagsCommand:
            added = {wid: add(self.lib, wid, to_add) for wid in ids} if to_add else {}
            removed = {wid: remove(self.lib, wid, to_remove) for wid in ids} if to_remove else {}
            return TagsCommand(self.lib, self._refresh, added, removed, kind=kind)

        self._run(make)


def _verified_line(i: FileInfo) -> str:
    if i.verified_at is None:
        return ""
    when = f"{i.verified_at:%Y-%m-%d %H:%M}"
    if i.verify_status == "ok":
        return f"<br><small style='color:#2e7d32'>✔ verified unchanged {when}</small>"
    return (
        f"<br><small style='color:#b71c1c'>✘ {html_text(i.verify_status or '?')} "
        f"at verification {when}</small>"
    )


def details_html(w: WorkDetail) -> str:
    """The read-only part of the record, escaped: class, review, files, signals, history."""
    e = html_text  # everything shown comes from the library or from files: untrusted
    label, colour = CLASS_STYLE.get(w.provenance_class, ("?", "#666"))
    parts = [
        f"<p><span style='background:{colour};color:white'>&nbsp;{e(label)}&nbsp;</span></p>",
    ]
    if w.needs_review and w.review_reason:
        parts.append(f"<p style='color:#b71c1c'><b>Needs review:</b> {e(w.review_reason)}</p>")
    if w.suggested_class and w.suggested_class != "unknown":
        parts.append(f"<p><b>The files suggest</b> {e(w.suggested_class)}</p>")
    if w.declaration and w.declaration.note:
        parts.append(f"<p><b>Note</b> {e(w.declaration.note)}</p>")
    for f in w.files:
        i = f.info
        parts.append(
            f"<p><b>{e(i.role.capitalize())}</b> {e(i.original_name)}<br>"
            f"{e(i.media_type)}"
            + (f", {i.width}×{i.height}" if i.width and i.height else "")
            + (f", {i.frames} frames" if i.frames > 1 else "")
            + f", {i.size / 1024:.0f} KiB<br>"
            f"<small>SHA-256 {e(i.sha256)}</small>" + _verified_line(i) + "</p>"
        )
        for sig in f.signals[:10]:
            verified = (
                " ✔ signature valid"
                if sig.verified is True
                else " (unverified)"
                if sig.verified is False
                else ""
            )
            parts.append(
                f"<p style='margin-left:8px'><b>{e(sig.tool or sig.family)}</b>"
                f" <small>{e(sig.source)}{e(verified)}</small>"
                + (f" → {e(sig.verdict)}" if sig.verdict else "")
                + (f"<br><small>{e(sig.excerpt)}</small>" if sig.excerpt else "")
                + "</p>"
            )
        for warning in f.metadata.get("warnings", [])[:5]:
            parts.append(f"<p style='color:#b26a00'>⚠ {e(str(warning))}</p>")
    return "".join(parts)


def similar_html(similar: tuple[tuple[int, str, int], ...]) -> str:
    """Works whose pictures look like this one: copies, resized or re-encoded versions."""
    e = html_text
    if not similar:
        return "<p style='color:#777'>No other work looks like this one.</p>"
    rows = [
        f"<a href='work:{wid}'>#{wid} {e(title)}</a> <small>distance {d} of 64</small>"
        for wid, title, d in similar[:20]
    ]
    return (
        "<p>" + "<br>".join(rows) + "</p><p><small>These look alike but are not the same "
        "file. Inkseal never merges them; link them if they belong together.</small></p>"
    )


def history_html(w: WorkDetail) -> str:
    """The work's history in plain words, oldest first, with each entry's chained hash."""
    e = html_text
    rows = [
        "<table cellspacing='0' cellpadding='3' width='100%'>",
    ]
    for ev in w.history:
        rows.append(
            "<tr><td valign='top' style='white-space:nowrap;color:#666'>"
            f"{ev.at:%Y-%m-%d}<br>{ev.at:%H:%M} UTC</td>"
            f"<td valign='top'>{e(describe_event(ev.kind, ev.payload))}<br>"
            f"<small style='color:#888'>#{ev.id} · {e(ev.hash[:16])}…</small></td></tr>"
        )
    rows.append("</table>")
    rows.append(
        "<p><small>Every entry is chained to the one before it by SHA-256; "
        "Library › Verify checks the chain.</small></p>"
    )
    return "".join(rows)
