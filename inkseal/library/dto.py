"""Plain, frozen records that services hand to the GUI, the CLI and other threads.

ORM objects never leave a session; these do. `to_json()` gives the CLI's JSON contract.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

ImportStatus = Literal["added", "duplicate", "failed"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class FileInfo:
    id: int
    work_id: int
    role: str
    sha256: str
    size: int
    media_type: str
    width: int | None
    height: int | None
    frames: int
    original_name: str
    # Where the bytes are: inside the library's store, or referenced in place.
    path: str
    referenced: bool
    thumb_path: str | None
    imported_at: datetime
    suggested_class: str | None = None
    position: int = 0
    file_modified_at: datetime | None = None
    perceptual_hash: str | None = None
    verified_at: datetime | None = None
    # "ok", "missing" or "modified" at the last verification; None before the first.
    verify_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("imported_at", "file_modified_at", "verified_at"):
            d[key] = _iso(getattr(self, key))
        return d


@dataclass(frozen=True)
class AIUseInfo:
    tool: str
    stage: str
    note: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeclarationInfo:
    id: int
    provenance_class: str
    ai_uses: tuple[AIUseInfo, ...]
    note: str | None
    declared_by: str | None
    declared_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "class": self.provenance_class,
            "ai_uses": [u.to_json() for u in self.ai_uses],
            "note": self.note,
            "declared_by": self.declared_by,
            "declared_at": _iso(self.declared_at),
        }


@dataclass(frozen=True)
class SignalInfo:
    id: int
    file_id: int
    source: str
    family: str
    tool: str | None
    tool_version: str | None
    model: str | None
    prompt: str | None
    verdict: str | None
    excerpt: str | None
    verified: bool | None
    extra: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file_id": self.file_id,
            "source": self.source,
            "family": self.family,
            "tool": self.tool,
            "version": self.tool_version,
            "model": self.model,
            "prompt": self.prompt,
            "verdict": self.verdict,
            "detail": self.excerpt,
            "verified": self.verified,
            "extra": self.extra,
        }


@dataclass(frozen=True)
class EventInfo:
    id: int
    kind: str
    at: datetime
    payload: dict[str, Any]
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "at": _iso(self.at),
            "payload": self.payload,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class LinkInfo:
    id: int
    kind: str
    # "outgoing": this work is the link's source ("this work is a study for the other");
    # "incoming": the other work is the source.
    direction: str
    other_id: int
    other_title: str
    other_trashed: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "direction": self.direction,
            "work_id": self.other_id,
            "title": self.other_title,
            "trashed": self.other_trashed,
        }


@dataclass(frozen=True)
class WorkSummary:
    """What a list or a grid shows of a work."""

    id: int
    title: str
    provenance_class: str
    needs_review: bool
    tags: tuple[str, ...]
    files: tuple[FileInfo, ...]
    created_at: datetime
    suggested_class: str | None = None

    @property
    def primary(self) -> FileInfo | None:
        for f in self.files:
            if f.role == "primary":
                return f
        return self.files[0] if self.files else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "class": self.provenance_class,
            "suggested_class": self.suggested_class,
            "needs_review": self.needs_review,
            "tags": list(self.tags),
            "files": [
                {
                    "id": f.id,
                    "role": f.role,
                    "sha256": f.sha256,
                    "media_type": f.media_type,
                    "original_name": f.original_name,
                    "suggested_class": f.suggested_class,
                }
                for f in self.files
            ],
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True)
class FileDetail:
    info: FileInfo
    metadata: dict[str, Any]
    signals: tuple[SignalInfo, ...]

    def to_json(self) -> dict[str, Any]:
        d = self.info.to_json()
        d["metadata"] = self.metadata
        d["signals"] = [s.to_json() for s in self.signals]
        return d


@dataclass(frozen=True)
class WorkDetail:
    """Everything known about one work."""

    id: int
    title: str
    creator: str | None
    creation_date: str | None
    medium: str | None
    description: str | None
    provenance_class: str
    do_not_train: bool | None
    needs_review: bool
    review_reason: str | None
    suggested_class: str | None
    trashed: bool
    tags: tuple[str, ...]
    collections: tuple[str, ...]
    files: tuple[FileDetail, ...]
    declaration: DeclarationInfo | None
    declarations: tuple[DeclarationInfo, ...]
    history: tuple[EventInfo, ...]
    created_at: datetime
    updated_at: datetime
    links: tuple[LinkInfo, ...] = ()
    # Works whose pictures look like this one's: (work id, title, distance), nearest first.
    similar: tuple[tuple[int, str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "creator": self.creator,
            "creation_date": self.creation_date,
            "medium": self.medium,
            "description": self.description,
            "class": self.provenance_class,
            "do_not_train": self.do_not_train,
            "suggested_class": self.suggested_class,
            "needs_review": self.needs_review,
            "review_reason": self.review_reason,
            "trashed": self.trashed,
            "tags": list(self.tags),
            "collections": list(self.collections),
            "files": [f.to_json() for f in self.files],
            "declaration": self.declaration.to_json() if self.declaration else None,
            "declarations": [d.to_json() for d in self.declarations],
            "signals": [s.to_json() for f in self.files for s in f.signals],
            "history": [e.to_json() for e in self.history],
            "links": [link.to_json() for link in self.links],
            "similar": [{"work_id": w, "title": t, "distance": d} for w, t, d in self.similar],
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file of an import."""

    path: str
    status: ImportStatus
    work_id: int | None = None
    sha256: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    # The file's row, when it was added.
    file_id: int | None = None
    # Other works whose pictures look like this one (resized or re-encoded copies, close
    # variants): (work id, distance), nearest first. Not duplicates: the artist decides.
    similar: tuple[tuple[int, int], ...] = ()
    # The role an attached file was given (None for a work's primary file on import).
    role: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "path": self.path,
            "status": self.status,
            "work_id": self.work_id,
            "sha256": self.sha256,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "file_id": self.file_id,
            "similar_to": [{"work_id": w, "distance": d} for w, d in self.similar],
        }
        if self.role is not None:
            d["role"] = self.role
        return d


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int
    path: str | None


@dataclass(frozen=True)
class ImportReport:
    outcomes: tuple[ImportOutcome, ...]
    cancelled: bool = False
    # How many files the import found; more than len(outcomes) when it was cancelled.
    total: int = 0

    @property
    def added(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "added")

    @property
    def duplicates(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "duplicate")

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "failed")
