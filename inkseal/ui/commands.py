"""Undoable edits. Each command is done once, by the caller, before it is pushed (so a
refused edit never reaches the stack); undo and redo then call the same services again.

History is append-only: undoing an edit records a new event that restores the old value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QUndoCommand

from inkseal.library import evidence, links, trash, works
from inkseal.library.dto import DeclarationInfo
from inkseal.library.errors import InksealError
from inkseal.library.library import Library

Refresh = Callable[[], None]


class _Command(QUndoCommand):
    def __init__(self, lib: Library, refresh: Refresh, text: str) -> None:
        super().__init__(text)
        self.lib = lib
        self.refresh = refresh
        self._first = True

    def redo(self) -> None:
        if self._first:  # already done by the caller
            self._first = False
        else:
            self._guarded(self.apply, "redo")
        self.refresh()

    def undo(self) -> None:
        self._guarded(self.revert, "undo")
        self.refresh()

    def _guarded(self, step: Callable[[], None], what: str) -> None:
        """Run an undo or redo step; one the library refuses (the work was deleted by
        another window or process meanwhile, say) is said in a message, not lost."""
        try:
            step()
        except InksealError as exc:
            from PySide6.QtWidgets import QApplication, QMessageBox

            QMessageBox.warning(
                QApplication.activeWindow(),
                "Inkseal",
                f"Could not {what} “{self.text()}”: {exc}",
            )

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class RenameCommand(_Command):
    def __init__(self, lib: Library, refresh: Refresh, work_id: int, old: str, new: str) -> None:
        super().__init__(lib, refresh, f"Rename to “{new}”")
        self.work_id, self.old, self.new = work_id, old, new

    def apply(self) -> None:
        works.rename(self.lib, self.work_id, self.new)

    def revert(self) -> None:
        works.rename(self.lib, self.work_id, self.old)


FIELD_LABELS = {
    "creator": "Creator",
    "creation_date": "Creation Date",
    "medium": "Medium",
    "description": "Description",
}


class FieldsCommand(_Command):
    def __init__(
        self,
        lib: Library,
        refresh: Refresh,
        work_id: int,
        old: dict[str, str | None],
        new: dict[str, str | None],
    ) -> None:
        label = ", ".join(FIELD_LABELS.get(n, n) for n in new)
        super().__init__(lib, refresh, f"Edit {label}")
        self.work_id, self.old, self.new = work_id, old, new

    def apply(self) -> None:
        works.edit_fields(self.lib, self.work_id, self.new)

    def revert(self) -> None:
        works.edit_fields(self.lib, self.work_id, self.old)


@dataclass(frozen=True)
class _Declared:
    provenance_class: str
    ai_uses: tuple[works.AIUseInput, ...]
    note: str | None


def _state(info: DeclarationInfo | None) -> _Declared:
    if info is None:
        return _Declared("undeclared", (), None)
    uses = tuple(works.AIUseInput(u.tool, u.stage, u.note) for u in info.ai_uses)
    return _Declared(info.provenance_class, uses, info.note)


class DeclareCommand(_Command):
    """A declaration for one or many works; undo restores each work's previous one, redo
    each work's new one."""

    def __init__(
        self,
        lib: Library,
        refresh: Refresh,
        previous: dict[int, DeclarationInfo | None],
        after: dict[int, DeclarationInfo | None],
    ) -> None:
        classes = {info.provenance_class for info in after.values() if info}
        n = len(after)
        label = classes.pop() if len(classes) == 1 else "classes"
        super().__init__(lib, refresh, f"Declare {label}" + (f" for {n} works" if n > 1 else ""))
        self.previous = {wid: _state(info) for wid, info in previous.items()}
        self.after = {wid: _state(info) for wid, info in after.items()}

    def _set(self, states: dict[int, _Declared]) -> None:
        for wid, st in states.items():
            works.declare(
                self.lib, wid, st.provenance_class, st.ai_uses, st.note, allow_undeclared=True
            )

    def apply(self) -> None:
        self._set(self.after)

    def revert(self) -> None:
        self._set(self.previous)


class TagsCommand(_Command):
    """Tags (or collections) added to and removed from works; undo does the opposite for
    exactly those."""

    def __init__(
        self,
        lib: Library,
        refresh: Refresh,
        added: dict[int, list[str]],
        removed: dict[int, list[str]],
        *,
        kind: str = "tags",
    ) -> None:
        names = sorted({t for ts in added.values() for t in ts})
        gone = sorted({t for ts in removed.values() for t in ts})
        parts = ([f"add {', '.join(names)}"] if names else []) + (
            [f"remove {', '.join(gone)}"] if gone else []
        )
        super().__init__(lib, refresh, f"{kind.capitalize()}: " + "; ".join(parts))
        self.added, self.removed = added, removed
        self._add: Callable[[Library, int, Sequence[str]], list[str]]
        self._remove: Callable[[Library, int, Sequence[str]], list[str]]
        if kind == "tags":
            self._add, self._remove = works.add_tags, works.remove_tags
        else:
            self._add, self._remove = works.add_to_collections, works.remove_from_collections

    def apply(self) -> None:
        for wid, names in self.added.items():
            if names:
                self._add(self.lib, wid, names)
        for wid, names in self.removed.items():
            if names:
                self._remove(self.lib, wid, names)

    def revert(self) -> None:
        for wid, names in self.added.items():
            if names:
                self._remove(self.lib, wid, names)
        for wid, names in self.removed.items():
            if names:
                self._add(self.lib, wid, names)


class TrashCommand(_Command):
    """Works moved to the Trash (or restored from it); undo does the opposite."""

    def __init__(
        self, lib: Library, refresh: Refresh, work_ids: list[int], *, restore: bool = False
    ) -> None:
        n = len(work_ids)
        what = "1 work" if n == 1 else f"{n} works"
        super().__init__(lib, refresh, f"Restore {what}" if restore else f"Move {what} to Trash")
        self.work_ids = work_ids
        self.restore = restore

    def apply(self) -> None:
        (trash.restore_works if self.restore else trash.trash_works)(self.lib, self.work_ids)

    def revert(self) -> None:
        (trash.trash_works if self.restore else trash.restore_works)(self.lib, self.work_ids)


class AttachCommand(_Command):
    """Files attached to a work; undo detaches exactly those, redo puts them back.

    Files are named by their content (work, SHA-256): a file put back gets a new row id.
    """

    def __init__(
        self, lib: Library, refresh: Refresh, work_id: int, shas: list[str], title: str
    ) -> None:
        n = len(shas)
        what = "1 file" if n == 1 else f"{n} files"
        super().__init__(lib, refresh, f"Attach {what} to “{title}”")
        self.work_id = work_id
        self.shas = list(shas)
        self.snapshots: list[evidence.DetachedFile] = []

    def revert(self) -> None:
        # One at a time, keeping each snapshot as soon as its detach is done: if a later one
        # fails, redo can still put back the ones already detached.
        self.snapshots = []
        for sha in self.shas:
            try:
                fid = evidence.file_id_of(self.lib, self.work_id, sha)
            except InksealError:
                continue  # detached meanwhile by another action: nothing to undo for it
            self.snapshots.append(evidence.detach_file(self.lib, fid))

    def apply(self) -> None:
        for snapshot in self.snapshots:
            evidence.restore_detached(self.lib, snapshot)


class DetachCommand(_Command):
    """A file detached from its work; undo puts it back as it was."""

    def __init__(
        self, lib: Library, refresh: Refresh, snapshot: evidence.DetachedFile, name: str
    ) -> None:
        super().__init__(lib, refresh, f"Detach “{name}”")
        self.snapshot = snapshot

    def revert(self) -> None:
        evidence.restore_detached(self.lib, self.snapshot)

    def apply(self) -> None:
        sha = self.snapshot.columns["sha256"]
        fid = evidence.file_id_of(self.lib, self.snapshot.work_id, sha)
        self.snapshot = evidence.detach_file(self.lib, fid)


class RoleCommand(_Command):
    def __init__(
        self,
        lib: Library,
        refresh: Refresh,
        work_id: int,
        sha: str,
        name: str,
        old: str,
        new: str,
    ) -> None:
        super().__init__(lib, refresh, f"Make “{name}” {new}")
        self.work_id, self.sha, self.old, self.new = work_id, sha, old, new

    def _set(self, role: str) -> None:
        evidence.set_role(self.lib, evidence.file_id_of(self.lib, self.work_id, self.sha), role)

    def apply(self) -> None:
        self._set(self.new)

    def revert(self) -> None:
        self._set(self.old)


class ReorderCommand(_Command):
    """A new order of a work's files, by content (see AttachCommand)."""

    def __init__(
        self, lib: Library, refresh: Refresh, work_id: int, old: list[str], new: list[str]
    ) -> None:
        super().__init__(lib, refresh, "Reorder files")
        self.work_id, self.old, self.new = work_id, old, new

    def apply(self) -> None:
        evidence.reorder_by_content(self.lib, self.work_id, self.new)

    def revert(self) -> None:
        evidence.reorder_by_content(self.lib, self.work_id, self.old)


class LinkCommand(_Command):
    """A link made (or removed) between two works; undo does the opposite."""

    def __init__(
        self,
        lib: Library,
        refresh: Refresh,
        source: int,
        target: int,
        kind: str,
        *,
        remove: bool = False,
    ) -> None:
        verb = "Unlink" if remove else "Link"
        super().__init__(lib, refresh, f"{verb} #{source} {kind} #{target}")
        self.source, self.target, self.kind, self.remove = source, target, kind, remove

    def apply(self) -> None:
        (links.unlink_works if self.remove else links.link_works)(
            self.lib, self.source, self.target, self.kind
        )

    def revert(self) -> None:
        (links.link_works if self.remove else links.unlink_works)(
            self.lib, self.source, self.target, self.kind
        )


class TrainingCommand(_Command):
    """A work's AI training and mining preference; undo puts the old one back."""

    def __init__(
        self, lib: Library, refresh: Refresh, work_id: int, old: bool | None, new: bool | None
    ) -> None:
        words = {True: "not allowed", False: "allowed", None: "unset"}
        super().__init__(lib, refresh, f"AI training: {words[new]}")
        self.work_id, self.old, self.new = work_id, old, new

    def apply(self) -> None:
        works.set_do_not_train(self.lib, self.work_id, self.new)

    def revert(self) -> None:
        works.set_do_not_train(self.lib, self.work_id, self.old)
