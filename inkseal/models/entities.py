"""ORM entities of the catalogue (SQLAlchemy 2.0 typed declarative).

Only persistence lives here: no business rules, no Qt. Services in `inkseal.library`
turn these rows into frozen dataclasses before they leave a session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names so that Alembic migrations (batch mode on SQLite) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ProvenanceClass(StrEnum):
    """How a work was made, as the artist declares it."""

    HUMAN_MADE = "human-made"
    AI_ASSISTED = "ai-assisted"
    AI_GENERATED = "ai-generated"
    UNDECLARED = "undeclared"


class FileRole(StrEnum):
    """What a file is to its work."""

    PRIMARY = "primary"
    WIP = "wip"
    SKETCH = "sketch"
    SOURCE = "source"
    TIMELAPSE = "timelapse"
    REFERENCE = "reference"
    DERIVATIVE = "derivative"


class AIStage(StrEnum):
    """Where in the making of a work an AI tool was used."""

    IDEATION = "ideation"
    REFERENCE = "reference"
    SKETCH = "sketch"
    COMPOSITION = "composition"
    GENERATION = "generation"
    INPAINTING = "inpainting"
    BACKGROUND = "background"
    COLOURING = "colouring"
    UPSCALING = "upscaling"
    EDITING = "editing"
    OTHER = "other"


class LinkKind(StrEnum):
    """How two works relate."""

    DERIVED_FROM = "derived-from"
    STUDY_FOR = "study-for"
    VARIANT_OF = "variant-of"
    SAME_SERIES = "same-series"


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def _in(values: type[StrEnum]) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back timezone-aware.

    SQLite has no time zones: without this, aware datetimes come back naive.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


# Counts the sidebar shows, kept exact by triggers (migration 0005): 'class:<class>',
# 'review', 'untagged', 'tag:<id>' and 'collection:<id>' count live works; 'trash' the rest.
live_counts = Table(
    "live_counts",
    Base.metadata,
    Column("name", Text, primary_key=True),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)
# A live work: not in the Trash.
_LIVE = text("trashed_at IS NULL")

work_tags = Table(
    "work_tags",
    Base.metadata,
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

collection_works = Table(
    "collection_works",
    Base.metadata,
    Column("collection_id", ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("work_id", ForeignKey("works.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("position", Integer, nullable=False, default=0),
)


class Work(Base):
    """One artwork: the thing a provenance record is about."""

    __tablename__ = "works"
    __table_args__ = (
        CheckConstraint(f"provenance_class IN {_in(ProvenanceClass)}", name="provenance_class"),
        Index("ix_works_created_at_id", "created_at", "id"),
        # The grid's orders over live works (migration 0005): listings read these in order.
        Index("ix_works_live_added", "created_at", "id", sqlite_where=_LIVE),
        Index(
            "ix_works_live_class_added", "provenance_class", "created_at", "id", sqlite_where=_LIVE
        ),
        Index(
            "ix_works_live_title", func.lower(text("title")), text("id DESC"), sqlite_where=_LIVE
        ),
        Index(
            "ix_works_live_class",
            "provenance_class",
            func.lower(text("title")),
            text("id DESC"),
            sqlite_where=_LIVE,
        ),
        Index(
            "ix_works_live_created",
            text("creation_date IS NULL"),
            text("creation_date DESC"),
            text("created_at DESC"),
            text("id DESC"),
            sqlite_where=_LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    # True until the artist gives the work a title of their own.
    title_from_filename: Mapped[bool] = mapped_column(Boolean, default=True)
    creator: Mapped[str | None] = mapped_column(String(500))
    # Partial dates are allowed: "2024", "2024-05" or "2024-05-17".
    creation_date: Mapped[str | None] = mapped_column(String(10))
    medium: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    provenance_class: Mapped[str] = mapped_column(
        String(20), default=ProvenanceClass.UNDECLARED.value, index=True
    )
    # None: no preference stated; True: the artist opts out of AI training and mining.
    do_not_train: Mapped[bool | None] = mapped_column(Boolean)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    review_reason: Mapped[str | None] = mapped_column(Text)
    # What the files' own metadata suggests (ai-generated, ai-assisted, human-made, unknown);
    # a suggestion only, never a declaration.
    suggested_class: Mapped[str | None] = mapped_column(String(20))
    # Set when the work is moved to the Trash; emptying the Trash deletes it for good.
    trashed_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    files: Mapped[list[Asset]] = relationship(
        back_populates="work",
        cascade="all, delete-orphan",
        order_by="Asset.position",
        passive_deletes=True,
    )
    declarations: Mapped[list[Declaration]] = relationship(
        back_populates="work",
        cascade="all, delete-orphan",
        order_by="Declaration.id",
        passive_deletes=True,
    )
    tags: Mapped[list[Tag]] = relationship(secondary=work_tags, back_populates="works")
    collections: Mapped[list[Collection]] = relationship(
        secondary=collection_works, back_populates="works"
    )


class Asset(Base):
    """A file that belongs to a work: the primary image or process evidence."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"role IN {_in(FileRole)}", name="role"),
        CheckConstraint(
            "stored_path IS NOT NULL OR referenced_path IS NOT NULL", name="has_location"
        ),
        UniqueConstraint("work_id", "sha256"),
        # One per group of four hex digits of the perceptual hash (migration 0006): the
        # look-up of similar pictures asks each band for the few near values.
        *(
            Index(
                f"ix_assets_phash_band{band}",
                func.substr(text("perceptual_hash"), band * 4 + 1, 4),
                "perceptual_hash",
                "work_id",
                sqlite_where=text("perceptual_hash IS NOT NULL"),
            )
            for band in range(4)
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=FileRole.PRIMARY.value)
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer, default=1)
    perceptual_hash: Mapped[str | None] = mapped_column(String(32))
    # Relative to the library folder, for files copied into the store.
    stored_path: Mapped[str | None] = mapped_column(String(300))
    # Absolute path, for files recorded in place (--reference).
    referenced_path: Mapped[str | None] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str | None] = mapped_column(Text)
    file_modified_at: Mapped[datetime | None] = mapped_column()
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Relative to the library folder; rebuildable.
    thumb_path: Mapped[str | None] = mapped_column(String(300))
    # Everything read from the file's own metadata, as JSON (bounded by the reader).
    metadata_json: Mapped[str] = mapped_column(Text, default="{}")
    # What this file's own metadata suggests; see Work.suggested_class.
    suggested_class: Mapped[str | None] = mapped_column(String(20))
    # The last time `verify` re-hashed the file, and what it found: "ok", "missing" or
    # "modified". None until the first verification.
    verified_at: Mapped[datetime | None] = mapped_column()
    verify_status: Mapped[str | None] = mapped_column(String(20))

    work: Mapped[Work] = relationship(back_populates="files")
    signals: Mapped[list[Signal]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )


class Declaration(Base):
    """What the artist declared about a work. The latest one is current; older ones stay."""

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint(f"provenance_class IN {_in(ProvenanceClass)}", name="provenance_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    provenance_class: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    declared_by: Mapped[str | None] = mapped_column(String(500))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    work: Mapped[Work] = relationship(back_populates="declarations")
    ai_uses: Mapped[list[AIUse]] = relationship(
        back_populates="declaration",
        cascade="all, delete-orphan",
        order_by="AIUse.position",
        passive_deletes=True,
    )


class AIUse(Base):
    """One declared use of an AI tool: which tool, at which stage, doing what."""

    __tablename__ = "ai_uses"
    __table_args__ = (CheckConstraint(f"stage IN {_in(AIStage)}", name="stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    tool: Mapped[str] = mapped_column(String(500))
    stage: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    declaration: Mapped[Declaration] = relationship(back_populates="ai_uses")


class Signal(Base):
    """Something a detector found in a file's own bytes."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))  # e.g. "png:parameters", "c2pa"
    # The detector family: "a1111", "comfyui", "c2pa", "metadata", ...
    family: Mapped[str] = mapped_column(String(40), server_default="", default="")
    tool: Mapped[str | None] = mapped_column(String(500))
    tool_version: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(Text)
    prompt: Mapped[str | None] = mapped_column(Text)
    # The class this signal suggests, e.g. "ai-generated"; None when it suggests nothing.
    verdict: Mapped[str | None] = mapped_column(String(20))
    excerpt: Mapped[str | None] = mapped_column(Text)
    # Signed claims (C2PA): whether the signature validated. None for unsigned metadata.
    verified: Mapped[bool | None] = mapped_column(Boolean)
    extra_json: Mapped[str] = mapped_column(Text, server_default="{}", default="{}")
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="signals")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Tags compare without regard to case: "Ink" and "ink" are one tag.
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)

    works: Mapped[list[Work]] = relationship(secondary=work_tags, back_populates="tags")


class Collection(Base):
    """A named series of works."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    works: Mapped[list[Work]] = relationship(
        secondary=collection_works, back_populates="collections"
    )


class Link(Base):
    """A directed relation between two works, e.g. A study-for B."""

    __tablename__ = "links"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(LinkKind)}", name="kind"),
        CheckConstraint("source_work_id != target_work_id", name="not_self"),
        UniqueConstraint("source_work_id", "target_work_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), index=True
    )
    target_work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """One entry of the append-only, hash-chained audit log.

    `work_id` is a plain column, not a foreign key: the log outlives the rows it describes.
    `hash` is SHA-256 over the previous entry's hash and this entry's canonical JSON.
    """

    __tablename__ = "events"
    # The few events that detach a file, read when the Trash is emptied (migration 0007).
    __table_args__ = (
        Index("ix_events_file_detached", "id", sqlite_where=text("kind = 'file.detached'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload_json: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
