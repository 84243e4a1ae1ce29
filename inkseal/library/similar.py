"""Near-duplicates: works whose pictures look alike (resized or re-encoded copies, variants).

Exact copies are recognised by SHA-256 at import; these are the ones a hash cannot see. They
are reported, never merged: the artist decides what they are.
"""

from __future__ import annotations

from sqlalchemy import select

from inkseal.library.library import Library
from inkseal.library.phash import BAND_DIGITS, SIMILAR_DISTANCE, band_probes, parse_hash
from inkseal.models.entities import Asset

# How many similar works are reported for one file or work at most.
MAX_REPORTED = 20

_HASHES = "SELECT work_id, perceptual_hash FROM assets WHERE perceptual_hash IS NOT NULL"


def near_works(
    lib: Library,
    hashes: list[str],
    exclude: int | None = None,
    *,
    max_distance: int = SIMILAR_DISTANCE,
    limit: int | None = MAX_REPORTED,
) -> tuple[tuple[int, int], ...]:
    """(work id, distance) of the works outside the Trash with a picture within
    `max_distance` bits of any of `hashes`, nearest first (then by id), one entry per work.

    Each band of each hash is one query on that band's covering index (migration 0006), so
    the cost follows the number of candidates, not the size of the library.
    """
    best: dict[int, int] = {}
    with lib.read() as s:
        conn = s.connection()
        for h in hashes:
            value = parse_hash(h)
            probes = band_probes(h, max_distance)
            if probes is None:
                rows = conn.exec_driver_sql(_HASHES).all()
            else:
                # One query; a file near in several bands comes once a band (UNION ALL: a
                # UNION's temporary B-tree would cost more than it saves).
                parts, args = [], []
                for band, values in enumerate(probes):
                    digits = f"substr(perceptual_hash, {band * BAND_DIGITS + 1}, {BAND_DIGITS})"
                    parts.append(f"{_HASHES} AND {digits} IN ({', '.join('?' * len(values))})")
                    args.extend(values)
                rows = conn.exec_driver_sql(" UNION ALL ".join(parts), tuple(args)).all()
            distances: dict[str, int] = {}  # look-alikes share hashes: each is parsed once
            for work_id, other in rows:
                d = distances.get(other)
                if d is None:
                    try:
                        d = (value ^ parse_hash(other)).bit_count()
                    except ValueError:  # a damaged row: it matches nothing
                        d = max_distance + 1
                    distances[other] = d
                if d <= max_distance and work_id != exclude and d < best.get(work_id, 65):
                    best[work_id] = d
        if best:
            found = list(best)
            for start in range(0, len(found), 500):
                chunk = found[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for (trashed,) in conn.exec_driver_sql(
                    f"SELECT id FROM works WHERE id IN ({marks}) AND trashed_at IS NOT NULL",
                    tuple(chunk),
                ):
                    del best[trashed]
    ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))
    return tuple(ranked if limit is None else ranked[:limit])


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
    return near_works(lib, own, exclude=work_id)
