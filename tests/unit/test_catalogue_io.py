"""The catalogue as JSON round-trips into an empty library, losing nothing; CSV for sheets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from inkseal.library import works
from inkseal.library.catalogue_io import export_catalogue, import_catalogue
from inkseal.library.errors import InvalidInput
from inkseal.library.evidence import attach_files
from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.links import link_works
from inkseal.library.trash import trash_works
from inkseal.library.verify import verify_library
from tests.images import gradient, kra_file, save


def _made(lib, tmp_path: Path) -> list[int]:
    paths = [save(gradient(seed=s * 19), tmp_path / "in" / f"w{s}.png", "PNG") for s in range(4)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    a, b, c, gone = ids
    works.rename(lib, a, "墨竹 Ink bamboo")
    works.edit_fields(lib, a, {"creator": "李白", "medium": "ink", "creation_date": "2024-05"})
    works.declare(lib, a, "human-made", declared_by="Li")
    works.declare(
        lib, a, "ai-assisted",
        [works.AIUseInput("SDXL", "background", "sky"), works.AIUseInput("Topaz", "upscaling")],
        note="figure by hand", declared_by="Li",
    )  # fmt: skip
    works.add_tags(lib, a, ["ink", "bamboo"])
    works.add_to_collections(lib, a, ["Four gentlemen"])
    works.set_do_not_train(lib, a, True)
    sketch = save(gradient(seed=77), tmp_path / "in" / "sketch.jpg", "JPEG")
    attach_files(lib, a, [sketch], "sketch")
    attach_files(lib, a, [kra_file(tmp_path / "in" / "layers.kra")], "source")
    link_works(lib, b, a, "study-for")
    works.declare(lib, c, "ai-generated", [works.AIUseInput("Midjourney", "generation")])
    trash_works(lib, [gone])
    return [a, b, c]


def _comparable(w) -> dict:
    d = w.to_json()
    return {
        "title": d["title"],
        "fields": [d[k] for k in ("creator", "creation_date", "medium", "description")],
        "class": d["class"],
        "do_not_train": d["do_not_train"],
        "declarations": [
            (x["class"], x["ai_uses"], x["note"], x["declared_by"]) for x in d["declarations"]
        ],
        "tags": d["tags"],
        "collections": d["collections"],
        "files": [
            (f["role"], f["original_name"], f["sha256"], f["size"], f["media_type"])
            for f in d["files"]
        ],
        "links": [(x["kind"], x["direction"]) for x in d["links"]],
    }


def test_json_round_trip_loses_nothing(lib, tmp_path: Path) -> None:
    ids = _made(lib, tmp_path)
    out = tmp_path / "catalogue.json"
    assert export_catalogue(lib, out) == 3  # the trashed work stays behind
    with open_library(tmp_path / "second") as second:
        result = import_catalogue(second, out, files_from=lib.root)
        assert (result.works_added, result.works_skipped, result.files_missing) == (3, 0, ())
        for old in ids:
            new = result.id_map[old]
            assert _comparable(works.get_work(second, new)) == _comparable(works.get_work(lib, old))
        assert verify_library(second).ok, verify_library(second).summary()
        again = import_catalogue(second, out, files_from=lib.root)
        assert (again.works_added, again.works_skipped) == (0, 3)
        assert len(works.list_works(second)) == 3


def test_missing_files_and_bad_catalogues(lib, tmp_path: Path) -> None:
    _made(lib, tmp_path)
    out = tmp_path / "c.json"
    export_catalogue(lib, out)
    with open_library(tmp_path / "second") as second:
        # Only the folder the originals came from, without the Krita file.
        (tmp_path / "in" / "layers.kra").unlink()
        result = import_catalogue(second, out, files_from=tmp_path / "in")
        assert result.works_added == 3 and result.files_missing == ("layers.kra",)
    for bad in (
        {"format": "something else"},
        {"format": "inkseal-catalogue/1", "works": "no"},
        {"format": "inkseal-catalogue/1", "works": [{"id": 1, "title": "x", "class": "magic"}]},
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        with open_library(tmp_path / "third") as third:
            with pytest.raises(InvalidInput):
                import_catalogue(third, path, files_from=lib.root)
            assert works.list_works(third) == []
    with pytest.raises(InvalidInput):
        export_catalogue(lib, tmp_path / "c.txt")


def test_csv_for_spreadsheets(lib, tmp_path: Path) -> None:
    _made(lib, tmp_path)
    out = tmp_path / "c.csv"
    export_catalogue(lib, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [r["title"] for r in rows][0] == "墨竹 Ink bamboo"
    assert rows[0]["ai_uses"] == "SDXL:background:sky; Topaz:upscaling:"
    assert rows[0]["tags"] in ("ink; bamboo", "bamboo; ink")
    assert rows[0]["files"].count(":") == 6  # role:name:sha256 for three files
    formula = '=HYPERLINK("http://x","click")'
    works.rename(lib, int(rows[-1]["id"]), formula)
    export_catalogue(lib, out)
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    titles = [r["title"] for r in csv.DictReader(lines)]
    assert "'" + formula in titles  # shown as text, never run
