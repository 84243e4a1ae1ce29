"""What the catalogue derives with triggers (migration 0005) stays exact: the sidebar's counts
and the full-text index, after every kind of change the services make. No Qt.

Each step of a seeded random run of real edits is followed by a comparison with the same
figures counted the slow way, straight from the tables.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import PngImagePlugin

from inkseal.library import works
from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.evidence import attach_files, detach_file, restore_detached
from inkseal.library.importer import import_paths
from inkseal.library.trash import empty_trash, restore_works, trash_works
from tests.images import gradient, save

CLASSES = ["human-made", "ai-assisted", "ai-generated"]
TAGS = ["ink", "crane", "Study", "final", "série"]
COLLECTIONS = ["Portfolio", "Client A"]


def slow_counts(db: Path) -> dict[str, Any]:
    """The counts as the old queries made them: a pass over the tables."""
    con = sqlite3.connect(db)
    try:
        live = "trashed_at IS NULL"
        counts = dict(
            con.execute(
                f"SELECT provenance_class, count(*) FROM works WHERE {live} "
                "GROUP BY provenance_class"
            ).fetchall()
        )
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "classes": counts,
            "review": one(f"SELECT count(*) FROM works WHERE {live} AND needs_review"),
            "untagged": one(
                f"SELECT count(*) FROM works WHERE {live} AND NOT EXISTS "
                "(SELECT 1 FROM work_tags WHERE work_id = works.id)"
            ),
            "trash": one("SELECT count(*) FROM works WHERE trashed_at IS NOT NULL"),
            "tags": sorted(
                con.execute(
                    "SELECT t.name, count(*) FROM tags t JOIN work_tags wt ON wt.tag_id = t.id "
                    f"JOIN works w ON w.id = wt.work_id WHERE w.{live} GROUP BY t.id"
                ).fetchall(),
                key=lambda r: r[0].lower(),
            ),
            "collections": sorted(
                con.execute(
                    "SELECT c.name, count(w.id) FROM collections c "
                    "LEFT JOIN collection_works cw ON cw.collection_id = c.id "
                    f"LEFT JOIN works w ON w.id = cw.work_id AND w.{live} GROUP BY c.id"
                ).fetchall(),
                key=lambda r: r[0].lower(),
            ),
        }
    finally:
        con.close()


def fast_counts(lib: Any) -> dict[str, Any]:
    c = works.count_works(lib)
    return {
        "classes": {k: c[k] for k in (*CLASSES, "undeclared") if c[k]},
        "review": c["needs-review"],
        "untagged": c["untagged"],
        "trash": c["trash"],
        "tags": works.tag_counts(lib),
        "collections": works.collection_counts(lib),
    }


def index_matches_documents(db: Path) -> None:
    """The index holds, for every work and nothing else, exactly its current document."""
    con = sqlite3.connect(db)
    try:
        indexed = dict(con.execute("SELECT rowid, doc FROM work_search").fetchall())
        wanted = dict(con.execute("SELECT work_id, doc FROM work_search_doc").fetchall())
        assert indexed == wanted
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.execute("INSERT INTO work_search (work_search) VALUES ('integrity-check')")
    finally:
        con.close()


@pytest.fixture
def pictures(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "pictures"
    folder.mkdir()
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a heron at dawn\nSteps: 20, Seed: 7, Model: dreamshaper_8")
    gradient((64, 48), seed=1).save(folder / "generated.png", pnginfo=info)
    made = [folder / "generated.png"]
    for i in range(7):
        made.append(save(gradient((60, 40), seed=10 + i), folder / f"sketch {i}.jpg", "JPEG"))
    return made


def test_counts_and_the_index_stay_exact_through_random_edits(
    lib: Any, tmp_path: Path, pictures: list[Path]
) -> None:
    rng = random.Random(20261203)
    print("seed 20261203")
    report = import_paths(lib, [str(p) for p in pictures[:6]])
    ids = [o.work_id for o in report.outcomes if o.work_id]
    spare = [str(p) for p in pictures[6:]]
    detached: list[Any] = []
    db = lib.db_path

    def live() -> list[int]:
        return [w.id for w in works.list_works(lib)]

    def trashed() -> list[int]:
        return [w.id for w in works.list_works(lib, trashed=True)]

    def some(pool: list[int]) -> list[int]:
        return rng.sample(pool, rng.randint(1, min(3, len(pool)))) if pool else []

    actions = {
        "declare": lambda: [works.declare(lib, w, rng.choice(CLASSES)) for w in some(live())],
        "tag": lambda: [works.add_tags(lib, w, rng.sample(TAGS, 2)) for w in some(live())],
        "untag": lambda: [works.remove_tags(lib, w, rng.sample(TAGS, 3)) for w in some(live())],
        "collect": lambda: [
            works.add_to_collections(lib, w, [rng.choice(COLLECTIONS)]) for w in some(live())
        ],
        "uncollect": lambda: [
            works.remove_from_collections(lib, w, COLLECTIONS) for w in some(live())
        ],
        "trash": lambda: trash_works(lib, some(live())),
        "restore": lambda: restore_works(lib, some(trashed())),
        "empty": lambda: rng.random() < 0.3 and empty_trash(lib),
        "rename": lambda: [
            works.rename(lib, w, f"heron no. {rng.randint(1, 99)}") for w in some(live())
        ],
        "fields": lambda: [
            works.edit_fields(lib, w, {"description": rng.choice(["sumi ink on paper", None])})
            for w in some(live())
        ],
        "attach": lambda: (
            spare and live() and attach_files(lib, rng.choice(live()), [spare.pop()], "wip")
        ),
        "detach": lambda: [
            detached.append(detach_file(lib, f.info.id))
            for w in some(live())
            for f in works.get_work(lib, w).files[1:2]
        ],
        "undo detach": lambda: detached and restore_detached(lib, detached.pop()),
        "import": lambda: import_paths(lib, [str(rng.choice(pictures))]),
    }
    seen = set()
    for step in range(120):
        name = rng.choice(list(actions))
        # A refusal (undo of a detach onto a work since trashed) changes nothing.
        with contextlib.suppress(InvalidInput, NotFound):
            actions[name]()
        seen.add(name)
        assert fast_counts(lib) == slow_counts(db), f"step {step}: {name}"
        if step % 10 == 0:
            index_matches_documents(db)
    index_matches_documents(db)
    assert seen == set(actions)
    del ids


def test_search_reaches_every_part_of_a_work_and_follows_edits(
    lib: Any, pictures: list[Path]
) -> None:
    report = import_paths(lib, [str(pictures[0]), str(pictures[1])])
    gen, drawn = (o.work_id for o in report.outcomes)
    found = lambda text: [w.id for w in works.list_works(lib, search=text)]  # noqa: E731
    assert found("heron dawn") == [gen]  # the generator's prompt
    assert found("dreamsh") == [gen]  # the start of a word (the model's name)
    assert found("sketch") == [drawn]  # the file name
    works.add_tags(lib, drawn, ["Série bleue"])
    assert found("serie") == [drawn]  # diacritics and case do not matter
    works.add_to_collections(lib, drawn, ["Client A"])
    assert found("client") == [drawn]
    works.declare(lib, drawn, "ai-assisted", [works.AIUseInput("Topaz", "upscaling", "2x")])
    assert found("topaz") == [drawn]
    works.rename(lib, drawn, "墨竹図 bamboo")
    assert found("墨竹") == [drawn]  # no spaces between words: searched as a substring
    assert found("bamboo") == [drawn]
    works.remove_tags(lib, drawn, ["Série bleue"])
    assert found("serie") == []
    trash_works(lib, [drawn])
    assert found("bamboo") == []
    assert [w.id for w in works.list_works(lib, search="bamboo", trashed=True)] == [drawn]
    empty_trash(lib)
    assert found("bamboo") == [] and found("sketch") == []
    assert found('"') == found("") == found("--") == [gen]  # no words: no filter


def test_search_queries_are_words_never_syntax() -> None:
    assert works.search_query("heron AND NOT crane") == '"heron"* "AND"* "NOT"* "crane"*'
    assert works.search_query('ink "wash') == '"ink"* "wash"*'
    assert works.search_query("wolf-hair") == '"wolf"* "hair"*'
    assert works.search_query("--") is None
    assert works.search_query("山水") is None


def test_rows_changed_in_place_keep_counts_and_index(lib: Any, pictures: list[Path]) -> None:
    """A tag merged into another, a tag row moved to another work, a collection row changed:
    writes no service makes today, which a later one (a tag merge) will."""
    report = import_paths(lib, [str(p) for p in pictures[:3]])
    a, b, c = (o.work_id for o in report.outcomes)
    works.add_tags(lib, a, ["ink", "sumi"])
    works.add_tags(lib, b, ["sumi"])
    works.add_to_collections(lib, a, ["Portfolio", "Client A"])
    db = lib.db_path
    with lib.engine.begin() as conn:
        ink, sumi = (
            conn.exec_driver_sql("SELECT id FROM tags WHERE name = ?", (n,)).scalar()
            for n in ("ink", "sumi")
        )
        # Merge "sumi" into "ink" where a work does not already have "ink".
        conn.exec_driver_sql(
            "UPDATE work_tags SET tag_id = ? WHERE tag_id = ? AND work_id = ?", (ink, sumi, b)
        )
        conn.exec_driver_sql(
            "UPDATE work_tags SET work_id = ? WHERE work_id = ? AND tag_id = ?", (c, a, sumi)
        )
        conn.exec_driver_sql(
            "UPDATE collection_works SET work_id = ? WHERE work_id = ? AND collection_id = "
            "(SELECT id FROM collections WHERE name = 'Client A')",
            (b, a),
        )
    assert fast_counts(lib) == slow_counts(db)
    index_matches_documents(db)
    assert [w.id for w in works.list_works(lib, search="sumi")] == [c]
    assert works.tag_counts(lib) == [("ink", 2), ("sumi", 1)]


def test_a_very_long_search_is_cut_not_refused(lib: Any, pictures: list[Path]) -> None:
    import_paths(lib, [str(pictures[1])])
    assert works.list_works(lib, search="山" * 20000) == []
    assert len(works.list_works(lib, search="sketch " * 5000)) == 1


def test_listings_are_parsed_back_exactly() -> None:
    from inkseal.library.works import _parse_ids

    rng = random.Random(7)
    for n in (0, 1, 2, 9, 1000):
        ids = [rng.randint(1, 2**62) for _ in range(n)]
        text = ",".join(map(str, ids))
        for step in (1, 2, 5, 64, 1 << 16):
            assert list(_parse_ids(text, step)) == ids
