"""Reading and editing works. Each function is one user action: one transaction, one event."""

from __future__ import annotations

import json
import os
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    column,
    exists,
    func,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, selectinload

from inkseal.library.detect.base import Finding, Verdict
from inkseal.library.detect.verdict import Evidence, review_reason
from inkseal.library.dto import (
    AIUseInfo,
    DeclarationInfo,
    EventInfo,
    FileDetail,
    FileInfo,
    SignalInfo,
    WorkDetail,
    WorkSummary,
)
from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.events import append_event
from inkseal.library.library import Library
from inkseal.library.text import plain_line
from inkseal.models.entities import (
    AIStage,
    AIUse,
    Asset,
    Collection,
    Declaration,
    Event,
    FileRole,
    ProvenanceClass,
    Signal,
    Tag,
    Work,
    collection_works,
    work_tags,
)

MAX_TITLE = 500
MAX_TAG = 200


@dataclass(frozen=True)
class AIUseInput:
    tool: str
    stage: str
    note: str | None = None


def _in_library(lib: Library, rel: str) -> str:
    # As str(lib.root / rel), without pathlib's parsing: the grid builds a page of these
    # on every scroll.
    return f"{lib.root}{os.sep}{rel.replace('/', os.sep)}"


def _file_info(lib: Library, a: Asset | Row[Any]) -> FileInfo:
    if a.stored_path is not None:
        path, referenced = _in_library(lib, a.stored_path), False
    else:
        path, referenced = a.referenced_path or "", True
    return FileInfo(
        id=a.id,
        work_id=a.work_id,
        role=a.role,
        sha256=a.sha256,
        size=a.size,
        media_type=a.media_type,
        width=a.width,
        height=a.height,
        frames=a.frames,
        original_name=a.original_name,
        path=path,
        referenced=referenced,
        thumb_path=_in_library(lib, a.thumb_path) if a.thumb_path else None,
        imported_at=a.imported_at,
        suggested_class=a.suggested_class,
        position=a.position,
        file_modified_at=a.file_modified_at,
        perceptual_hash=a.perceptual_hash,
        verified_at=a.verified_at,
        verify_status=a.verify_status,
    )


def _declaration_info(d: Declaration) -> DeclarationInfo:
    return DeclarationInfo(
        id=d.id,
        provenance_class=d.provenance_class,
        ai_uses=tuple(AIUseInfo(u.tool, u.stage, u.note) for u in d.ai_uses),
        note=d.note,
        declared_by=d.declared_by,
        declared_at=d.declared_at,
    )


def _signal_info(s: Signal) -> SignalInfo:
    return SignalInfo(
        id=s.id,
        file_id=s.asset_id,
        source=s.source,
        family=s.family,
        tool=s.tool,
        tool_version=s.tool_version,
        model=s.model,
        prompt=s.prompt,
        verdict=s.verdict,
        excerpt=s.excerpt,
        verified=s.verified,
        extra=_load_json(s.extra_json),
    )


def _filtered(
    stmt: Select[Any],
    provenance_class: str | None,
    tag: str | None,
    search: str | None,
    needs_review: bool = False,
    untagged: bool = False,
    trashed: bool = False,
    collection: str | None = None,
) -> Select[Any]:
    # Tags and collections as IN (the works holding them): SQLite reads the few works a
    # tag has through its index, instead of testing every work in display order.
    if collection:
        stmt = stmt.where(
            Work.id.in_(
                select(collection_works.c.work_id)
                .join(Collection, Collection.id == collection_works.c.collection_id)
                .where(Collection.name == collection)
            )
        )
    stmt = stmt.where(Work.trashed_at.is_not(None) if trashed else Work.trashed_at.is_(None))
    if untagged:
        stmt = stmt.where(~exists().where(work_tags.c.work_id == Work.id))
    if needs_review:
        stmt = stmt.where(Work.needs_review.is_(True))
    if provenance_class:
        stmt = stmt.where(Work.provenance_class == provenance_class)
    if tag:
        stmt = stmt.where(
            Work.id.in_(
                select(work_tags.c.work_id)
                .join(Tag, Tag.id == work_tags.c.tag_id)
                .where(Tag.name == tag)
            )
        )
    if search and (hits := _search_hits(search)) is not None:
        # A join, not IN: SQLite then looks each hit up once, without an ephemeral table.
        stmt = stmt.join(_SEARCH, _SEARCH.c.rowid == Work.id).where(hits)
    return stmt


# The full-text index (migration 0005): one document per work, kept by triggers.
_SEARCH = table("work_search", column("rowid", Integer), column("doc", Text))
# Scripts written without spaces between words: the index holds a whole run of them as one
# word, so such text is searched as a substring instead.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\ua960-\ua97f"
    "\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f]"
)
_WORD = re.compile(r"[^\W_]+")


def search_query(text: str) -> str | None:
    """The FTS5 query for what the user typed: every word, as a word or the start of one;
    None when the text holds no words or is in a script written without spaces."""
    if _UNSPACED.search(text):
        return None
    words = _WORD.findall(text)
    return " ".join(f'"{w}"*' for w in words) if words else None


# Longer searches are cut here (SQLite refuses a LIKE pattern beyond 50,000 bytes).
MAX_SEARCH = 1000


def _search_hits(text: str) -> ColumnElement[bool] | None:
    """The condition on the full-text index for this text; None when it has nothing to match."""
    text = text[:MAX_SEARCH]
    query = search_query(text)
    if query is not None:
        return _SEARCH.c.doc.match(query)
    if _UNSPACED.search(text):
        return _SEARCH.c.doc.like(f"%{_escape_like(text)}%", escape="\\")
    return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# How lists can be sorted. Works without a creation date sort last.
ORDERS: dict[str, tuple[Any, ...]] = {
    "added": (Work.created_at.desc(),),
    "created": (Work.creation_date.is_(None), Work.creation_date.desc(), Work.created_at.desc()),
    "title": (func.lower(Work.title),),
    "class": (Work.provenance_class, func.lower(Work.title)),
}


def _listing(
    cols: Select[Any],
    *,
    provenance_class: str | None = None,
    tag: str | None = None,
    search: str | None = None,
    needs_review: bool = False,
    untagged: bool = False,
    trashed: bool = False,
    collection: str | None = None,
    order: str = "added",
) -> Select[Any]:
    if provenance_class is not None:
        _check_class(provenance_class, allow_undeclared=True)
    if order not in ORDERS:
        raise InvalidInput(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
    stmt = _filtered(
        cols, provenance_class, tag, search, needs_review, untagged, trashed, collection
    )
    return stmt.order_by(*ORDERS[order], Work.id.desc())


_SUMMARY_COLUMNS = (
    Work.id,
    Work.title,
    Work.provenance_class,
    Work.needs_review,
    Work.created_at,
    Work.suggested_class,
)


def list_works(lib: Library, *, limit: int | None = None, **filters: Any) -> list[WorkSummary]:
    """Works matching every given filter (provenance_class, tag, search, needs_review,
    untagged, trashed, collection), in `order` (see ORDERS; newest first by default).

    With `limit`, only the first ones: the query then reads an index in order and stops."""
    stmt = _listing(cast("Select[Any]", select(*_SUMMARY_COLUMNS)), **filters)
    if limit is not None:
        stmt = stmt.limit(limit)
    with lib.read() as s:
        return _summaries(lib, s, s.execute(stmt).all())


def work_ids(lib: Library, **filters: Any) -> array[int]:
    """The ids of the works list_works(**filters) would give, in its order, compactly: what
    the grid holds of a listing (8 bytes a work), fetching the rest a page at a time."""
    ordered = _listing(select(Work.id), **filters).subquery()
    with lib.read() as s:
        # One text from SQLite instead of a million rows through the driver.
        joined = s.scalar(select(func.group_concat(ordered.c.id)))
    return _parse_ids(joined or "")


def _parse_ids(joined: str, step: int = 1 << 16) -> array[int]:
    """The ids in a comma-separated text, read a slice at a time: one C call over a million
    ids would hold the interpreter lock for 0.1 s, and the window's GUI thread with it."""
    ids = array("q")
    start, end = 0, len(joined)
    while start < end:
        cut = joined.find(",", start + step) if start + step < end else -1
        cut = end if cut == -1 else cut
        ids.extend(json.loads(f"[{joined[start:cut]}]"))  # C's parser: twice int()'s speed
        start = cut + 1
    return ids


# The statements a page of the grid runs, made once: an expanding IN is bound as one list.
_IDS: Any = bindparam("ids", expanding=True)
_WORKS_BY_ID = cast("Select[Any]", select(*_SUMMARY_COLUMNS)).where(Work.id.in_(_IDS))
_FILES_OF = (
    select(*Asset.__table__.c)
    .where(Asset.work_id.in_(_IDS))
    .order_by(Asset.work_id, Asset.position, Asset.id)
)
_TAGS_OF = (
    select(work_tags.c.work_id, Tag.name)
    .join(Tag, Tag.id == work_tags.c.tag_id)
    .where(work_tags.c.work_id.in_(_IDS))
)


def summaries(lib: Library, ids: Sequence[int]) -> list[WorkSummary]:
    """The works with these ids, in this order (ids no longer in the library are left out)."""
    with lib.read() as s:
        rows: list[Row[Any]] = []
        for start in range(0, len(ids), 500):
            rows.extend(s.execute(_WORKS_BY_ID, {"ids": list(ids[start : start + 500])}).all())
        by_id = {r.id: r for r in rows}
        return _summaries(lib, s, [by_id[i] for i in ids if i in by_id])


def _summaries(lib: Library, s: Session, rows: Sequence[Row[Any]]) -> list[WorkSummary]:
    # Plain column queries, not ORM objects: listing is what the grid does on every refresh.
    files: dict[int, list[FileInfo]] = {}
    tags: dict[int, list[str]] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 500):
        chunk = {"ids": ids[start : start + 500]}
        for a in s.execute(_FILES_OF, chunk):
            files.setdefault(a.work_id, []).append(_file_info(lib, a))
        for work_id, name in s.execute(_TAGS_OF, chunk):
            tags.setdefault(work_id, []).append(name)
    return [
        WorkSummary(
            id=r.id,
            title=r.title,
            provenance_class=r.provenance_class,
            needs_review=r.needs_review,
            tags=tuple(sorted(tags.get(r.id, ()), key=str.lower)),
            files=tuple(files.get(r.id, ())),
            created_at=r.created_at,
            suggested_class=r.suggested_class,
        )
        for r in rows
    ]


def count_works(lib: Library) -> dict[str, int]:
    """How many works there are in each class, in all, needing review, untagged and in the
    Trash (which the other counts leave out)."""
    with lib.read() as s:  # live_counts: kept exact by triggers (migration 0005)
        stored: dict[str, int] = dict(
            s.execute(
                text(
                    "SELECT name, n FROM live_counts "
                    "WHERE name LIKE 'class:%' OR name IN ('review', 'untagged', 'trash')"
                )
            ).all()
        )
    counts = {c.value: stored.get(f"class:{c.value}", 0) for c in ProvenanceClass}
    counts["all"] = sum(n for name, n in stored.items() if name.startswith("class:"))
    counts["needs-review"] = stored.get("review", 0)
    counts["untagged"] = stored.get("untagged", 0)
    counts["trash"] = stored.get("trash", 0)
    return counts


def _get(s: Session, work_id: int) -> Work:
    work = s.get(Work, work_id)
    if work is None:
        raise NotFound(f"no work with id {work_id}")
    return work


def get_work(lib: Library, work_id: int, *, similar: bool = False) -> WorkDetail:
    """One work with its files, metadata, declarations, signals, links and history; with
    `similar`, also the works whose pictures look like it (compares with every picture)."""
    with lib.read() as s:
        w = s.execute(
            select(Work)
            .where(Work.id == work_id)
            .options(
                selectinload(Work.tags),
                selectinload(Work.collections),
                selectinload(Work.files).selectinload(Asset.signals),
                selectinload(Work.declarations).selectinload(Declaration.ai_uses),
            )
        ).scalar_one_or_none()
        if w is None:
            raise NotFound(f"no work with id {work_id}")
        events = s.execute(
            select(Event).where(Event.work_id == work_id).order_by(Event.id)
        ).scalars()
        history = tuple(
            EventInfo(e.id, e.kind, e.at, _load_json(e.payload_json), e.hash) for e in events
        )
        # Libraries made before work ids were kept unique may have given a deleted work's id
        # to a new one: its history starts after the old one's deletion.
        deleted = [i for i, ev in enumerate(history) if ev.kind == "work.deleted"]
        if deleted:
            history = history[deleted[-1] + 1 :]
        declarations = tuple(_declaration_info(d) for d in w.declarations)
        files = tuple(
            FileDetail(
                info=_file_info(lib, a),
                metadata=_load_json(a.metadata_json),
                signals=tuple(_signal_info(sig) for sig in a.signals),
            )
            for a in w.files
        )
        detail = WorkDetail(
            id=w.id,
            title=w.title,
            creator=w.creator,
            creation_date=w.creation_date,
            medium=w.medium,
            description=w.description,
            provenance_class=w.provenance_class,
            do_not_train=w.do_not_train,
            needs_review=w.needs_review,
            review_reason=w.review_reason,
            suggested_class=w.suggested_class,
            trashed=w.trashed_at is not None,
            tags=tuple(sorted((t.name for t in w.tags), key=str.lower)),
            collections=tuple(sorted(c.name for c in w.collections)),
            files=files,
            declaration=declarations[-1] if declarations else None,
            declarations=declarations,
            history=history,
            created_at=w.created_at,
            updated_at=w.updated_at,
        )
    from inkseal.library.links import links_of
    from inkseal.library.similar import similar_works

    near = similar_works(lib, work_id) if similar else ()
    titles = titles_of(lib, [wid for wid, _ in near])
    return replace(
        detail,
        links=tuple(links_of(lib, work_id)),
        similar=tuple((wid, titles.get(wid, ""), d) for wid, d in near if wid in titles),
    )


def titles_of(lib: Library, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    with lib.read() as s:
        rows = s.execute(
            select(Work.id, Work.title).where(Work.id.in_(ids), Work.trashed_at.is_(None))
        )
        return {wid: title for wid, title in rows}


def _load_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def rename(lib: Library, work_id: int, title: str) -> None:
    title = plain_line(title)
    if not title:
        raise InvalidInput("a title cannot be empty")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"a title can be at most {MAX_TITLE} characters")
    with lib.write.begin() as s:
        work = _get(s, work_id)
        old = work.title
        if old == title and not work.title_from_filename:
            return
        work.title = title
        work.title_from_filename = False
        append_event(s, "work.renamed", work_id, {"from": old, "to": title})


EDITABLE_FIELDS = ("creator", "creation_date", "medium", "description")
_LIMITS = {"creator": 500, "medium": 500, "description": 20_000}
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def _clean_field(name: str, value: str | None) -> str | None:
    if name not in EDITABLE_FIELDS:
        raise InvalidInput(f"{name!r} cannot be edited this way")
    if value is None:
        return None
    text = value.strip() if name == "description" else plain_line(value)
    if not text:
        return None
    if name == "creation_date":
        if not _PARTIAL_DATE.fullmatch(text):
            raise InvalidInput(
                f"a creation date is a year, year-month or full date (2024, 2024-05, "
                f"2024-05-17), not {text!r}"
            )
        return text
    if len(text) > _LIMITS[name]:
        raise InvalidInput(f"the {name} can be at most {_LIMITS[name]} characters")
    return text


def edit_fields(
    lib: Library, work_id: int, changes: dict[str, str | None]
) -> dict[str, str | None]:
    """Set creator, creation date, medium or description (None or "" clears one).

    Returns the previous values of the fields that changed, for undo.
    """
    clean = {name: _clean_field(name, value) for name, value in changes.items()}
    with lib.write.begin() as s:
        work = _get(s, work_id)
        before = {name: getattr(work, name) for name in clean}
        changed = {n: v for n, v in clean.items() if before[n] != v}
        if not changed:
            return {}
        for name, value in changed.items():
            setattr(work, name, value)
        append_event(
            s,
            "work.edited",
            work_id,
            {"changes": {n: {"from": before[n], "to": v} for n, v in changed.items()}},
        )
        return {n: before[n] for n in changed}


def set_do_not_train(lib: Library, work_id: int, value: bool | None) -> bool | None:
    """The artist's AI training and data mining preference for a work: True opts out,
    False allows, None states nothing. Returns the previous value, for undo."""
    with lib.write.begin() as s:
        work = _get(s, work_id)
        before = work.do_not_train
        if before == value:
            return before
        work.do_not_train = value
        append_event(
            s,
            "work.edited",
            work_id,
            {"changes": {"do_not_train": {"from": before, "to": value}}},
        )
        return before


def _clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in tags:
        name = plain_line(raw)
        if not name:
            raise InvalidInput("a tag cannot be empty")
        if len(name) > MAX_TAG:
            raise InvalidInput(f"a tag can be at most {MAX_TAG} characters")
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def _add_named(
    lib: Library, work_id: int, names: Sequence[str], kind: type[Tag] | type[Collection]
) -> list[str]:
    """Put a work under tags or in collections (made when new); returns the new ones."""
    clean = _clean_tags(names)
    attr, event = ("tags", "work.tagged") if kind is Tag else ("collections", "work.collected")
    with lib.write.begin() as s:
        work = _get(s, work_id)
        current: list[Any] = getattr(work, attr)
        have = {x.name.lower() for x in current}
        added: list[str] = []
        for name in clean:
            if name.lower() in have:
                continue
            item: Any = s.execute(select(kind).where(kind.name == name)).scalar_one_or_none()
            if item is None:
                item = kind(name=name)
                s.add(item)
            current.append(item)
            have.add(name.lower())
            added.append(item.name)
        if added:
            append_event(s, event, work_id, {attr: added})
        return added


def _remove_named(
    lib: Library, work_id: int, names: Sequence[str], kind: type[Tag] | type[Collection]
) -> list[str]:
    wanted = {n.lower() for n in _clean_tags(names)}
    attr, event = ("tags", "work.untagged") if kind is Tag else ("collections", "work.uncollected")
    with lib.write.begin() as s:
        work = _get(s, work_id)
        current: list[Any] = getattr(work, attr)
        # Names stored before names were cleaned may hold control characters: compare the
        # cleaned forms, so that every tag can still be removed.
        removed = [x for x in current if plain_line(x.name).lower() in wanted]
        for x in removed:
            current.remove(x)
        gone = [x.name for x in removed]
        if gone:
            append_event(s, event, work_id, {attr: gone})
        return gone


def add_tags(lib: Library, work_id: int, tags: Sequence[str]) -> list[str]:
    """Tag a work; returns the tags that were new to it."""
    return _add_named(lib, work_id, tags, Tag)


def remove_tags(lib: Library, work_id: int, tags: Sequence[str]) -> list[str]:
    """Untag a work; returns the tags that were removed."""
    return _remove_named(lib, work_id, tags, Tag)


def add_to_collections(lib: Library, work_id: int, names: Sequence[str]) -> list[str]:
    """Put a work in collections (series), made when new; returns the ones it joined."""
    return _add_named(lib, work_id, names, Collection)


def remove_from_collections(lib: Library, work_id: int, names: Sequence[str]) -> list[str]:
    return _remove_named(lib, work_id, names, Collection)


def collection_counts(lib: Library) -> list[tuple[str, int]]:
    """Every collection with how many works (not in the Trash) it holds, by name."""
    with lib.read() as s:
        rows = s.execute(
            text(
                "SELECT k.name, coalesce(c.n, 0) FROM collections k "
                "LEFT JOIN live_counts c ON c.name = 'collection:' || k.id"
            )
        ).all()
    return sorted(((name, n) for name, n in rows), key=lambda r: r[0].lower())


def _findings_of(asset: Asset) -> list[Finding]:
    return [
        Finding(
            source=sig.source,
            family=sig.family,
            tool=sig.tool,
            tool_version=sig.tool_version,
            model=sig.model,
            verdict=cast(Verdict | None, sig.verdict),
            verified=sig.verified,
        )
        for sig in asset.signals
    ]


def refresh_review(work: Work) -> None:
    """Flag the work when its primary files contradict its declaration (or clear the flag)."""
    evidence = [
        Evidence(a.original_name, _findings_of(a))
        for a in work.files
        if a.role == FileRole.PRIMARY.value
    ]
    reason = review_reason(work.provenance_class, evidence)
    work.needs_review = reason is not None
    work.review_reason = reason


def _check_class(value: str, *, allow_undeclared: bool = False) -> None:
    valid = [
        c.value for c in ProvenanceClass if allow_undeclared or c != ProvenanceClass.UNDECLARED
    ]
    if value not in valid:
        raise InvalidInput(f"unknown class {value!r}; choose one of {', '.join(valid)}")


def declare(
    lib: Library,
    work_id: int,
    provenance_class: str,
    ai_uses: Sequence[AIUseInput] = (),
    note: str | None = None,
    declared_by: str | None = None,
    *,
    allow_undeclared: bool = False,
) -> DeclarationInfo:
    """Record what the artist declares about a work. Earlier declarations stay.

    `allow_undeclared` lets undo withdraw a first declaration: the log then shows a
    declaration of "undeclared" after it, rather than the first one disappearing.
    """
    _check_class(provenance_class, allow_undeclared=allow_undeclared)
    if provenance_class == ProvenanceClass.UNDECLARED and ai_uses:
        raise InvalidInput("an undeclared work has no AI uses")
    stages = {s.value for s in AIStage}
    for use in ai_uses:
        if not use.tool.strip():
            raise InvalidInput("an AI use needs the tool's name")
        if use.stage not in stages:
            raise InvalidInput(
                f"unknown AI-use stage {use.stage!r}; choose one of {', '.join(sorted(stages))}"
            )
    if provenance_class == ProvenanceClass.HUMAN_MADE and ai_uses:
        raise InvalidInput(
            "human-made means no generative AI was used; declare ai-assisted to list AI uses"
        )
    with lib.write.begin() as s:
        work = _get(s, work_id)
        decl = Declaration(
            provenance_class=provenance_class,
            note=note.strip() if note and note.strip() else None,
            declared_by=declared_by,
            ai_uses=[
                AIUse(position=i, tool=u.tool.strip(), stage=u.stage, note=u.note or None)
                for i, u in enumerate(ai_uses)
            ],
        )
        work.declarations.append(decl)
        previous = work.provenance_class
        work.provenance_class = provenance_class
        refresh_review(work)
        s.flush()
        info = _declaration_info(decl)
        append_event(
            s,
            "work.declared",
            work_id,
            {
                "class": provenance_class,
                "previous_class": previous,
                "ai_uses": [u.to_json() for u in info.ai_uses],
                "note": info.note,
                "declared_by": declared_by,
                "needs_review": work.needs_review,
                "review_reason": work.review_reason,
            },
        )
        return info


def tag_counts(lib: Library) -> list[tuple[str, int]]:
    """Every tag carried by a work outside the Trash, with how many carry it, by name."""
    with lib.read() as s:
        rows = s.execute(
            text(
                "SELECT t.name, c.n FROM tags t JOIN live_counts c ON c.name = 'tag:' || t.id "
                "WHERE c.n > 0"
            )
        ).all()
    return sorted(((name, n) for name, n in rows), key=lambda r: r[0].lower())


def all_tags(lib: Library) -> list[str]:
    """Every tag name in the library, for completion."""
    with lib.read() as s:
        return sorted(s.scalars(select(Tag.name)).all(), key=str.lower)
