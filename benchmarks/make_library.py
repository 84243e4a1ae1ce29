"""Make a large library for the scale benchmarks, fast, with what an import writes.

    .venv/bin/python benchmarks/make_library.py DIR [--works 1000000]

Rows go in through SQLAlchemy Core in batches (the real schema, made by the real
migrations), shaped as import and declare write them: a work with its primary file, the
work.imported event in the hash chain, tags on most works, declarations (a tenth AI-assisted,
a twentieth AI-generated, half human-made, the rest undeclared), generator signals with
prompts on the AI works. The store holds no files (the benchmarks measure the catalogue and
the window, not the disk): `verify` would report every file missing.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from inkseal.library.events import GENESIS_HASH, canonical_json, event_hash  # noqa: E402
from inkseal.library.library import open_library  # noqa: E402
from inkseal.models.entities import (  # noqa: E402
    Asset,
    Declaration,
    Event,
    Signal,
    Tag,
    Work,
    work_tags,
)

WORDS = [
    "crane",
    "ink",
    "bamboo",
    "mountain",
    "mist",
    "river",
    "plum",
    "blossom",
    "moon",
    "pine",
    "lotus",
    "koi",
    "tiger",
    "dragon",
    "willow",
    "rain",
    "snow",
    "autumn",
    "dawn",
    "dusk",
    "harbour",
    "lantern",
    "temple",
    "bridge",
    "cloud",
    "wave",
    "heron",
    "orchid",
]
TAGS = [f"{a} {b}" for a in WORDS[:20] for b in ("study", "series", "sketch", "final")]
BATCH = 10_000


def make(root: Path, works: int, seed: int = 1) -> float:
    """Fill the new library at `root` with `works` works; returns the seconds it took."""
    rng = random.Random(seed)
    started = time.monotonic()
    with open_library(root) as lib:
        with lib.engine.begin() as conn:
            if conn.exec_driver_sql("SELECT count(*) FROM works").scalar():
                raise SystemExit(f"{root} is not empty")
            conn.execute(
                insert(Tag.__table__), [{"id": i + 1, "name": t} for i, t in enumerate(TAGS)]
            )
        prev = GENESIS_HASH
        base = datetime(2020, 1, 1, tzinfo=UTC)
        asset_id = declaration_id = signal_id = 0
        for start in range(1, works + 1, BATCH):
            rows: dict[str, list[dict[str, object]]] = {
                "works": [], "assets": [], "events": [], "tags": [], "decl": [], "signals": []
            }  # fmt: skip
            for wid in range(start, min(start + BATCH, works + 1)):
                at = base + timedelta(seconds=wid * 60)
                title = " ".join(rng.sample(WORDS, 3))
                roll = rng.random()
                cls = (
                    "ai-generated" if roll < 0.05 else "ai-assisted" if roll < 0.15
                    else "human-made" if roll < 0.65 else "undeclared"
                )  # fmt: skip
                suggested = "ai-generated" if cls == "ai-generated" else "unknown"
                sha = hashlib.sha256(f"{seed}:{wid}".encode()).hexdigest()
                rows["works"].append(
                    {
                        "id": wid, "title": title, "title_from_filename": True,
                        "provenance_class": cls, "needs_review": False,
                        "suggested_class": suggested, "created_at": at, "updated_at": at,
                    }
                )  # fmt: skip
                asset_id += 1
                rows["assets"].append(
                    {
                        "id": asset_id, "work_id": wid, "role": "primary", "position": 0,
                        "sha256": sha, "size": 2_000_000 + wid % 1000, "media_type": "image/jpeg",
                        "width": 4000, "height": 3000, "frames": 1,
                        "perceptual_hash": f"{rng.getrandbits(64):016x}",
                        "stored_path": f"store/{sha[:2]}/{sha[2:4]}/{sha}.jpg",
                        "original_name": f"{title}.jpg", "original_path": f"/art/{title}.jpg",
                        "imported_at": at, "metadata_json": "{}", "suggested_class": suggested,
                    }
                )  # fmt: skip
                payload = {
                    "title": title, "creator": None, "suggested_class": suggested,
                    "signals": 1 if cls == "ai-generated" else 0,
                    "file": {"sha256": sha, "name": f"{title}.jpg", "size": 2_000_000 + wid % 1000,
                             "media_type": "image/jpeg", "role": "primary", "location": "store"},
                }  # fmt: skip
                events = [("work.imported", payload)]
                tags = rng.sample(range(1, len(TAGS) + 1), rng.choice((0, 1, 1, 2, 3)))
                for tag in tags:
                    rows["tags"].append({"work_id": wid, "tag_id": tag})
                if tags:
                    events.append(("work.tagged", {"tags": [TAGS[t - 1] for t in tags]}))
                if cls != "undeclared":
                    events.append(
                        ("work.declared", {
                            "class": cls, "previous_class": "undeclared", "ai_uses": [],
                            "note": "drafted by hand" if cls == "human-made" else None,
                            "declared_by": None, "needs_review": False, "review_reason": None,
                        })
                    )  # fmt: skip
                for n, (kind, body) in enumerate(events):
                    when = at + timedelta(microseconds=n)
                    h = event_hash(prev, kind, wid, when, body)
                    rows["events"].append(
                        {"work_id": wid, "kind": kind, "payload_json": canonical_json(body),
                         "at": when, "prev_hash": prev, "hash": h}
                    )  # fmt: skip
                    prev = h
                if cls != "undeclared":
                    declaration_id += 1
                    rows["decl"].append(
                        {"id": declaration_id, "work_id": wid, "provenance_class": cls,
                         "note": "drafted by hand" if cls == "human-made" else None,
                         "declared_at": at}
                    )  # fmt: skip
                if cls == "ai-generated":
                    signal_id += 1
                    rows["signals"].append(
                        {"id": signal_id, "asset_id": asset_id, "source": "png:parameters",
                         "family": "a1111", "tool": "AUTOMATIC1111 web UI", "model": "sdxl",
                         "prompt": f"{title}, ink painting, masterpiece", "verdict": "ai-generated",
                         "excerpt": "Steps: 20", "detected_at": at}
                    )  # fmt: skip
            with lib.engine.begin() as conn:
                conn.execute(insert(Work.__table__), rows["works"])
                conn.execute(insert(Asset.__table__), rows["assets"])
                conn.execute(insert(Event.__table__), rows["events"])
                if rows["tags"]:
                    conn.execute(insert(work_tags), rows["tags"])
                if rows["decl"]:
                    conn.execute(insert(Declaration.__table__), rows["decl"])
                if rows["signals"]:
                    conn.execute(insert(Signal.__table__), rows["signals"])
        with lib.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--works", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    seconds = make(args.folder, args.works)
    print(f"{args.works:,} works in {args.folder} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
