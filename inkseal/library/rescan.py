"""Running the detectors again over files already in the library.

For libraries imported before a detector existed (or improved): each file is read from the
store (or where it is referenced), checked against its recorded SHA-256, and its signals,
suggested class and the work's review flag are brought up to date. Declarations are never
touched. A change is one transaction and one event per file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from inkseal.library.detect.verdict import combine
from inkseal.library.events import append_event
from inkseal.library.formats import sniff
from inkseal.library.importer import CancelToken, signals_from_findings
from inkseal.library.library import Library
from inkseal.library.probe import ReadError, one_line, probe_file, read_file
from inkseal.library.works import refresh_review
from inkseal.models.entities import Asset, FileRole, Signal, Work

RescanStatus = Literal["updated", "unchanged", "failed"]


@dataclass(frozen=True)
class RescanOutcome:
    work_id: int
    file_id: int
    status: RescanStatus
    suggested_class: str | None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "file_id": self.file_id,
            "status": self.status,
            "suggested_class": self.suggested_class,
            "reason": self.reason,
        }


def _key(sig: Signal) -> tuple[Any, ...]:
    return (
        sig.source,
        sig.family,
        sig.tool,
        sig.tool_version,
        sig.model,
        sig.prompt,
        sig.verdict,
        sig.excerpt,
        sig.verified,
    )


def rescan(
    lib: Library,
    work_ids: Sequence[int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[RescanOutcome]:
    """Detect again in the files of `work_ids` (all works when None)."""
    stmt = select(
        Asset.id, Asset.work_id, Asset.stored_path, Asset.referenced_path, Asset.sha256
    ).order_by(Asset.work_id, Asset.position, Asset.id)
    if work_ids is not None:
        stmt = stmt.where(Asset.work_id.in_(list(work_ids)))
    with lib.read() as s:
        rows = s.execute(stmt).all()
    outcomes: list[RescanOutcome] = []
    for i, (asset_id, work_id, stored, referenced, sha) in enumerate(rows, start=1):
        if cancel is not None and cancel.cancelled:
            break
        path = lib.root / stored if stored else Path(referenced or "")
        outcomes.append(_rescan_one(lib, asset_id, work_id, path, sha))
        if progress:
            progress(i, len(rows))
    return outcomes


def _rescan_one(lib: Library, asset_id: int, work_id: int, path: Path, sha: str) -> RescanOutcome:
    try:
        raw = read_file(path)
        if raw.sha256 != sha:
            raise ReadError("the file's content changed since it was imported; not rescanned")
        if sniff(raw.data) is None:
            # A layered document, timelapse or other evidence file: no image detectors apply.
            return RescanOutcome(work_id, asset_id, "unchanged", None, None)
        probe = probe_file(raw, open_now=False)
    except ReadError as exc:
        return RescanOutcome(work_id, asset_id, "failed", None, exc.reason)
    except Exception as exc:  # hostile content must not stop the others
        return RescanOutcome(work_id, asset_id, "failed", None, one_line(exc))
    detection = probe.detection
    new_signals = signals_from_findings(detection)
    with lib.write.begin() as s:
        asset = s.get(Asset, asset_id)
        work = s.get(Work, work_id)
        if asset is None or work is None:
            return RescanOutcome(work_id, asset_id, "failed", None, "removed meanwhile")
        if [_key(x) for x in asset.signals] == [_key(x) for x in new_signals] and (
            asset.suggested_class == detection.suggested_class
        ):
            return RescanOutcome(work_id, asset_id, "unchanged", asset.suggested_class)
        asset.signals = new_signals
        asset.suggested_class = detection.suggested_class
        metadata = json.loads(asset.metadata_json or "{}")
        if detection.c2pa is not None:
            metadata["c2pa"] = detection.c2pa
        else:
            metadata.pop("c2pa", None)
        asset.metadata_json = json.dumps(metadata, ensure_ascii=False)
        s.flush()
        work.suggested_class = combine(
            a.suggested_class or "unknown" for a in work.files if a.role == FileRole.PRIMARY.value
        )
        refresh_review(work)
        append_event(
            s,
            "work.rescanned",
            work_id,
            {
                "file": {"sha256": sha, "suggested_class": detection.suggested_class},
                "signals": len(new_signals),
                "suggested_class": work.suggested_class,
                "needs_review": work.needs_review,
                "review_reason": work.review_reason,
            },
        )
        return RescanOutcome(work_id, asset_id, "updated", detection.suggested_class)
