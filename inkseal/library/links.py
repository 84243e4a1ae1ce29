"""Links between works: derived-from, study-for, variant-of, same-series.

A link is stored once, directed (source -> target); each work's history records it, and each
work shows it, in the words for its own side.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inkseal.library.dto import LinkInfo
from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.events import append_event
from inkseal.library.library import Library
from inkseal.models.entities import Link, LinkKind, Work, utcnow

KINDS = tuple(k.value for k in LinkKind)


def _work(s: Session, work_id: int) -> Work:
    work = s.get(Work, work_id)
    if work is None:
        raise NotFound(f"no work with id {work_id}")
    return work


def _check(kind: str, source: int, target: int) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"unknown link kind {kind!r}; choose one of {', '.join(KINDS)}")
    if source == target:
        raise InvalidInput("a work cannot be linked to itself")


def _events(s: Session, kind: str, src: Work, dst: Work, what: str) -> None:
    for this, other, direction in ((src, dst, "outgoing"), (dst, src, "incoming")):
        append_event(
            s,
            what,
            this.id,
            {
                "kind": kind,
                "other_work_id": other.id,
                "other_title": other.title,
                "direction": direction,
            },
        )
        this.updated_at = utcnow()


def _existing(s: Session, kind: str, source: int, target: int) -> Link | None:
    conditions = [(Link.source_work_id == source) & (Link.target_work_id == target)]
    if kind == LinkKind.SAME_SERIES:  # symmetric: either direction is the same link
        conditions.append((Link.source_work_id == target) & (Link.target_work_id == source))
    return s.execute(select(Link).where(Link.kind == kind, or_(*conditions))).scalar()


def link_works(lib: Library, source: int, target: int, kind: str) -> bool:
    """Link `source` to `target` (e.g. source study-for target). False when it was already."""
    _check(kind, source, target)
    with lib.write.begin() as s:
        src, dst = _work(s, source), _work(s, target)
        if _existing(s, kind, source, target) is not None:
            return False
        s.add(Link(source_work_id=source, target_work_id=target, kind=kind))
        s.flush()
        _events(s, kind, src, dst, "work.linked")
        return True


def unlink_works(lib: Library, source: int, target: int, kind: str) -> bool:
    """Remove a link; False when there was none."""
    _check(kind, source, target)
    with lib.write.begin() as s:
        link = _existing(s, kind, source, target)
        if link is None:
            return False
        src, dst = _work(s, link.source_work_id), _work(s, link.target_work_id)
        s.delete(link)
        s.flush()
        _events(s, kind, src, dst, "work.unlinked")
        return True


def links_of(lib: Library, work_id: int) -> list[LinkInfo]:
    """Every link of a work, both ways, in the order they were made."""
    with lib.read() as s:
        rows = s.execute(
            select(Link, Work.title, Work.trashed_at)
            .join(
                Work,
                ((Link.source_work_id == work_id) & (Work.id == Link.target_work_id))
                | ((Link.target_work_id == work_id) & (Work.id == Link.source_work_id)),
            )
            .where(or_(Link.source_work_id == work_id, Link.target_work_id == work_id))
            .order_by(Link.id)
        ).all()
        return [
            LinkInfo(
                id=link.id,
                kind=link.kind,
                direction="outgoing" if link.source_work_id == work_id else "incoming",
                other_id=link.target_work_id
                if link.source_work_id == work_id
                else link.source_work_id,
                other_title=title,
                other_trashed=trashed is not None,
            )
            for link, title, trashed in rows
        ]
