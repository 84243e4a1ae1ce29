"""The Trash: hide, restore, delete for good with the stored files nothing else uses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from inkseal.library.errors import NotFound
from inkseal.library.importer import import_paths
from inkseal.library.trash import empty_trash, restore_works, trash_works
from inkseal.library.works import count_works, get_work, list_works
from tests.images import gradient, save


def test_trash_restore_and_empty(lib, tmp_path: Path) -> None:
    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(3)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    stored = {wid: Path(get_work(lib, wid).files[0].info.path) for wid in ids}
    thumbs = {wid: Path(get_work(lib, wid).files[0].info.thumb_path) for wid in ids}

    assert trash_works(lib, ids[:2]) == ids[:2]
    assert trash_works(lib, ids[:1]) == []  # already there
    assert [w.id for w in list_works(lib)] == [ids[2]]
    assert sorted(w.id for w in list_works(lib, trashed=True)) == sorted(ids[:2])
    counts = count_works(lib)
    assert (counts["all"], counts["trash"], counts["undeclared"]) == (1, 2, 1)
    assert get_work(lib, ids[0]).trashed

    assert restore_works(lib, [ids[1]]) == [ids[1]]
    assert [e.kind for e in get_work(lib, ids[1]).history][-2:] == ["work.trashed", "work.restored"]

    assert empty_trash(lib) == 1
    with pytest.raises(NotFound):
        get_work(lib, ids[0])
    assert not stored[ids[0]].exists() and not thumbs[ids[0]].exists()
    assert stored[ids[1]].exists() and stored[ids[2]].exists()
    assert empty_trash(lib) == 0
    # The log keeps the deleted work's history.
    from sqlalchemy import select

    from inkseal.models.entities import Event

    with lib.read() as s:
        kinds = s.scalars(select(Event.kind).where(Event.work_id == ids[0])).all()
    assert kinds == ["work.imported", "work.trashed", "work.deleted"]
    # With the work gone, the same file imports as new again.
    (again,) = import_paths(lib, [paths[0]]).outcomes
    assert again.status == "added"


def test_a_file_shared_with_a_live_work_is_kept(lib, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    (o,) = import_paths(lib, [path]).outcomes
    stored = Path(get_work(lib, o.work_id).files[0].info.path)
    # Another work holding the same bytes (as evidence, say) keeps the stored copy alive.
    from inkseal.models.entities import Asset, Work

    with lib.write.begin() as s:
        other = Work(title="other")
        other.files.append(
            Asset(
                sha256=o.sha256,
                size=1,
                media_type="image/png",
                original_name="a.png",
                stored_path=str(stored.relative_to(lib.root)),
            )
        )
        s.add(other)
    trash_works(lib, [o.work_id])
    assert empty_trash(lib) == 1
    assert stored.exists()


def test_unknown_ids_are_refused(lib) -> None:
    with pytest.raises(NotFound, match="999"):
        trash_works(lib, [999])


def test_collections_list_and_filter(lib, tmp_path: Path) -> None:
    from inkseal.library.works import (
        add_to_collections,
        collection_counts,
        remove_from_collections,
    )

    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(3)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    assert add_to_collections(lib, ids[0], ["Series A", "series a", "B"]) == ["Series A", "B"]
    add_to_collections(lib, ids[1], ["series A"])
    assert collection_counts(lib) == [("B", 1), ("Series A", 2)]
    assert sorted(w.id for w in list_works(lib, collection="Series A")) == sorted(ids[:2])
    trash_works(lib, [ids[1]])
    assert collection_counts(lib) == [("B", 1), ("Series A", 1)]
    assert remove_from_collections(lib, ids[0], ["b"]) == ["B"]
    assert get_work(lib, ids[0]).collections == ("Series A",)
    kinds = [e.kind for e in get_work(lib, ids[0]).history]
    assert kinds[-2:] == ["work.collected", "work.uncollected"]


def test_each_deleted_work_records_only_its_own_files(lib, tmp_path: Path) -> None:
    import json

    from sqlalchemy import select

    from inkseal.models.entities import Event

    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(2)]
    outs = import_paths(lib, paths).outcomes
    trash_works(lib, [o.work_id for o in outs])
    empty_trash(lib)
    with lib.read() as s:
        deleted = {
            e.work_id: json.loads(e.payload_json)["files"]
            for e in s.scalars(select(Event).where(Event.kind == "work.deleted"))
        }
    assert deleted == {o.work_id: [o.sha256] for o in outs}


def test_importing_a_trashed_file_again_restores_its_work(lib, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    (o,) = import_paths(lib, [path]).outcomes
    trash_works(lib, [o.work_id])
    (again,) = import_paths(lib, [path]).outcomes
    assert (again.status, again.work_id) == ("duplicate", o.work_id)
    assert "restored" in again.warnings[0]
    assert not get_work(lib, o.work_id).trashed


def test_emptying_races_with_an_import_of_the_same_file(lib, tmp_path: Path, monkeypatch) -> None:
    """Another process imports the file a trashed work held, between the Trash's records
    going and its files being removed: the new work keeps its stored copy."""
    from inkseal.library import trash
    from inkseal.library.verify import verify_library

    path = save(gradient(seed=4), tmp_path / "a.png", "PNG")
    (first,) = import_paths(lib, [path]).outcomes
    trash_works(lib, [first.work_id])
    real_sweep = trash.sweep_detached
    again: list[object] = []

    def racing_sweep(library, **kw):  # type: ignore[no-untyped-def]
        again.extend(import_paths(library, [path]).outcomes)
        return real_sweep(library, **kw)

    monkeypatch.setattr(trash, "sweep_detached", racing_sweep)
    assert empty_trash(lib) == 1
    (o,) = again
    assert o.status == "added"  # type: ignore[attr-defined]
    stored = Path(get_work(lib, o.work_id).files[0].info.path)  # type: ignore[attr-defined]
    assert stored.exists()
    assert verify_library(lib).ok


def test_emptying_looks_only_at_its_own_files(lib, tmp_path: Path, monkeypatch) -> None:
    """No walk over the store (minutes at a million works, under the write lock): only the
    deleted works' files and the copies of detached files are looked at. A file the catalogue
    never knew is not the Trash's business and stays."""
    import os

    from inkseal.library import evidence

    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(3)]
    ids = [o.work_id for o in import_paths(lib, paths[:2]).outcomes]
    (att,) = evidence.attach_files(lib, ids[1], [paths[2]]).outcomes
    detached = get_work(lib, ids[1]).files[1].info
    evidence.detach_file(lib, detached.id)
    stray = lib.store_dir / "00" / "00" / ("0" * 64 + ".png")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not the catalogue's")
    old = os.path.getmtime(detached.thumb_path) - 7200
    os.utime(detached.thumb_path, (old, old))  # a thumbnail no import is about to record
    doomed = get_work(lib, ids[0]).files[0].info
    trash_works(lib, [ids[0]])

    def no_walk(*args, **kw):  # type: ignore[no-untyped-def]
        raise AssertionError("the store was walked")

    monkeypatch.setattr(Path, "rglob", no_walk)
    monkeypatch.setattr(os, "walk", no_walk)
    assert empty_trash(lib) == 1
    for gone in (doomed.path, doomed.thumb_path, detached.path, detached.thumb_path):
        assert not Path(gone).exists(), gone
    assert stray.exists()
    live = get_work(lib, ids[1]).files[0].info
    assert Path(live.path).exists() and Path(live.thumb_path).exists()


def test_a_large_trash_empties_in_one_statement(tmp_path: Path) -> None:
    """Thousands of works (made the way benchmarks/make_library.py makes a million) go in
    one DELETE, their files, tags and counts with them."""
    import importlib.util
    import sys

    from sqlalchemy import text

    from inkseal.library.library import open_library
    from inkseal.library.works import tag_counts

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "make_library.py"
    spec = importlib.util.spec_from_file_location("make_library", script)
    assert spec and spec.loader
    maker = importlib.util.module_from_spec(spec)
    sys.modules["make_library"] = maker
    spec.loader.exec_module(maker)
    maker.make(tmp_path / "big", 3000)
    with open_library(tmp_path / "big") as big:
        with big.engine.begin() as conn:
            conn.execute(text("UPDATE works SET trashed_at = created_at WHERE id % 3 != 0"))
        assert count_works(big)["trash"] == 2000
        assert empty_trash(big) == 2000
        counts = count_works(big)
        assert (counts["all"], counts["trash"]) == (1000, 0)
        with big.read() as s:
            left = s.execute(text("SELECT count(*) FROM assets")).scalar()
            deleted = s.execute(
                text("SELECT count(*) FROM events WHERE kind = 'work.deleted'")
            ).scalar()
            tagged = s.execute(text("SELECT count(*) FROM work_tags")).scalar()
        assert (left, deleted) == (1000, 2000)
        assert sum(n for _, n in tag_counts(big)) == tagged


def test_files_an_interrupted_emptying_leaves_go_with_the_next(
    lib, tmp_path: Path, monkeypatch
) -> None:
    import inkseal.library.trash as trash

    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(2)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    files = [get_work(lib, wid).files[0].info for wid in ids]
    trash_works(lib, [ids[0]])

    real_sweep = trash.sweep_detached

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the app is closed between the commit and the removal

    monkeypatch.setattr(trash, "sweep_detached", crash)
    with pytest.raises(KeyboardInterrupt):
        empty_trash(lib)
    with pytest.raises(NotFound):
        get_work(lib, ids[0])
    assert Path(files[0].path).exists() and Path(files[0].thumb_path).exists()
    assert list(lib.tmp_dir.glob("trash-*.sweep"))

    monkeypatch.setattr(trash, "sweep_detached", real_sweep)
    assert empty_trash(lib) == 0  # nothing left in the Trash, but the leftovers go
    assert not Path(files[0].path).exists()
    # A thumbnail made in the last hour may be an import's, about to be recorded: it waits,
    # listed again, until it is older.
    assert Path(files[0].thumb_path).exists()
    assert len(list(lib.tmp_dir.glob("trash-*.sweep"))) == 1
    old = time.time() - 7200
    os.utime(files[0].thumb_path, (old, old))
    assert empty_trash(lib) == 0
    assert not Path(files[0].thumb_path).exists()
    assert Path(files[1].path).exists() and Path(files[1].thumb_path).exists()
    assert not list(lib.tmp_dir.glob("trash-*.sweep"))


def test_a_file_that_cannot_be_removed_is_tried_again_later(
    lib, tmp_path: Path, monkeypatch
) -> None:
    import inkseal.library.trash as trash

    paths = [save(gradient(seed=i), tmp_path / f"{i}.png", "PNG") for i in range(2)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    stuck = Path(get_work(lib, ids[0]).files[0].info.path)
    other = Path(get_work(lib, ids[1]).files[0].info.path)
    real_remove = trash._remove

    def remove(path: Path) -> None:
        if path == stuck:
            raise PermissionError(13, "in use by another program", str(path))
        real_remove(path)

    monkeypatch.setattr(trash, "_remove", remove)
    trash_works(lib, [ids[0]])
    assert empty_trash(lib) == 1  # no error: the file is listed for the next emptying
    assert stuck.exists() and len(list(lib.tmp_dir.glob("trash-*.sweep"))) == 1
    trash_works(lib, [ids[1]])
    assert empty_trash(lib) == 1  # a stuck file does not stop the others going
    assert not other.exists() and stuck.exists()
    monkeypatch.setattr(trash, "_remove", real_remove)
    assert empty_trash(lib) == 0
    assert not stuck.exists() and not list(lib.tmp_dir.glob("trash-*.sweep"))


def test_a_pending_list_never_removes_a_file_in_use(lib, tmp_path: Path) -> None:
    (o,) = import_paths(lib, [save(gradient(), tmp_path / "a.png", "PNG")]).outcomes
    info = get_work(lib, o.work_id).files[0].info
    rel = Path(info.path).relative_to(lib.root).as_posix()
    lib.tmp_dir.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    thumb = Path(info.thumb_path).relative_to(lib.root).as_posix()
    odd = [rel.replace("store/", "store/./"), thumb.replace("thumbs/", "thumbs//"), rel.upper()]
    odd.append(rel.rpartition(".")[0] + ".PNG")  # the same file where case is ignored
    (lib.tmp_dir / "trash-x.sweep").write_text(
        "\n".join([rel, *odd, "../../outside.txt", str(outside), ""])
    )
    (lib.tmp_dir / "trash-dir.sweep").mkdir()  # not a list: left alone
    assert empty_trash(lib) == 0
    assert Path(info.path).exists() and Path(info.thumb_path).exists() and outside.exists()
    assert not (lib.tmp_dir / "trash-x.sweep").exists()
