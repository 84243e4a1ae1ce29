"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inkseal.models.entities import Event, utcnow

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, kind: str, work_id: int | None, at: datetime, payload: Any) -> str:
    body = canonical_json(
        {"kind": kind, "work_id": work_id, "at": at.isoformat(), "payload": payload}
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _last_hash(session: Session) -> str:
    prev = session.execute(select(Event.hash).order_by(Event.id.desc()).limit(1)).scalar()
    return prev or GENESIS_HASH


def append_events(session: Session, events: Iterable[tuple[str, int | None, Any]]) -> int:
    """Add (kind, work_id, payload) events to the log in order, inside the caller's
    transaction, in one statement: emptying a Trash of thousands of works logs each one."""
    session.flush()  # anything pending is logged first, as append_event would have it
    prev_hash = _last_hash(session)
    rows = []
    for kind, work_id, payload in events:
        at = utcnow()
        digest = event_hash(prev_hash, kind, work_id, at, payload)
        rows.append(
            {
                "work_id": work_id,
                "kind": kind,
                "payload_json": canonical_json(payload),
                "at": at,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    if rows:
        session.execute(insert(Event), rows)
    return len(rows)


def append_event(session: Session, kind: str, work_id: int | None, payload: Any) -> Event:
    """Add one event to the log inside the caller's transaction."""
    prev_hash = _last_hash(session)
    # Microsecond precision survives the round trip through SQLite; store exactly that.
    at = utcnow()
    ev = Event(
        work_id=work_id,
        kind=kind,
        payload_json=canonical_json(payload),
        at=at,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, kind, work_id, at, payload),
    )
    session.add(ev)
    session.flush()
    return ev
