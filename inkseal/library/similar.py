"""Near-duplicates: works whose pictures look alike (resized or re-encoded copies, variants).

Exact copies are recognised by SHA-256 at import; these are the ones a hash cannot see. They
are reported, never merged: the artist decides what they are.
"""

from __future__ import annotations

from sqlalchemy import select

from inkseal.library.library import Library
from inkseal.library.phash import SimilarityIndex
from inkseal.models.entities import Asset, Work

# How many similar works are reported for one file or work at most.
MAX_REPORTED = 20


def load_index(lib: Library) -> SimilarityIndex:
    """Every picture hash of the works not in the Trash, keyed by work id."""
    index = SimilarityIndex()
    with lib.read() as s:
        rows = s.execute(
            select(Asset.work_id, Asset.perceptual_hash)
            .join(Work, Work.id == Asset.work_id)
            .where(Asset.perceptual_hash.is_not(None), Work.trashed_at.is_(None))
        )
        for work_id, phash in rows:
            if phash:
                index.add(work_id, phash)
    return index


def nearest_works(
    index: SimilarityIndex, hashes: list[str], exclude: int | None
) -> tuple[tuple[int, int], ...]:
    """(work id, distance) of the works near any of `hashes`, nearest first, one per work."""
    best: dict[int, int] = {}
    for h in hashes:
        for work_id, distance in index.near(h):
            if work_id != exclude and distance < best.get(work_id, 65):
                best[work_id] = distance
    ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))
    return tuple(ranked[:MAX_REPORTED])


def similar_works(lib: Library, work_id: int) -> tuple[tuple[int, int], ...]:
    """The works whose pictures look like this work's primary pictures."""
    with lib.read() as s:
        own = [
            h
            for h in s.scalars(
                select(Asset.perceptual_hash).where(
                    Asset.work_id == work_id,
                    Asset.role == "primary",
                    Asset.perceptual_hash.is_not(None),
                )
            )
            if h
        ]
    if not own:
        return ()
    return nearest_works(load_index(lib), own, exclude=work_id)
