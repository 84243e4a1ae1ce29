"""verify: modified and missing files, a tampered or shortened history, rows edited by hand."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from inkseal.library import works
from inkseal.library.evidence import attach_files
from inkseal.library.importer import CancelToken, import_paths
from inkseal.library.verify import verify_library
from inkseal.library.works import get_work
from tests.images import gradient, save


def _library(lib, tmp_path: Path) -> tuple[list[int], Path]:
    paths = [save(gradient(seed=s * 11), tmp_path / f"w{s}.png", "PNG") for s in range(3)]
    ids = [o.work_id for o in import_paths(lib, paths).outcomes]
    ref = save(gradient(seed=99), tmp_path / "outside" / "sketch.png", "PNG")
    attach_files(lib, ids[0], [ref], "sketch", reference=True)
    works.declare(lib, ids[0], "ai-assisted", [works.AIUseInput("SDXL", "background", "sky")])
    works.declare(lib, ids[1], "human-made")
    works.rename(lib, ids[2], "Crane")
    works.edit_fields(lib, ids[2], {"medium": "ink on paper"})
    return ids, ref  # type: ignore[return-value]


def _raw(lib) -> sqlite3.Connection:
    return sqlite3.connect(lib.root / "library.sqlite")


def test_a_sound_library_verifies_and_records_when(lib, tmp_path: Path) -> None:
    _library(lib, tmp_path)
    report = verify_library(lib)
    assert report.ok, report.summary()
    assert report.files_checked == 4 and report.events_checked == 8
    assert "verified: OK" in report.summary()
    for f in get_work(lib, 1).files:
        assert f.info.verify_status == "ok" and f.info.verified_at is not None
    assert report.to_json()["events"]["chain_ok"] is True


def test_modified_stored_file_and_missing_referenced_file(lib, tmp_path: Path) -> None:
    ids, ref = _library(lib, tmp_path)
    stored = Path(get_work(lib, ids[1]).files[0].info.path)
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    ref.unlink()
    report = verify_library(lib)
    assert not report.ok
    problems = {(p.work_id, p.status) for p in report.file_problems}
    assert problems == {(ids[1], "modified"), (ids[0], "missing")}
    statuses = {f.info.original_name: f.info.verify_status for f in get_work(lib, ids[0]).files}
    assert statuses["sketch.png"] == "missing"
    assert report.first_broken_event is None  # the history itself is intact


def test_changed_declaration_row_is_caught(lib, tmp_path: Path) -> None:
    ids, _ = _library(lib, tmp_path)
    with _raw(lib) as db:
        db.execute(
            "UPDATE declarations SET provenance_class='human-made' WHERE work_id=?", (ids[0],)
        )
        db.execute("UPDATE works SET provenance_class='human-made' WHERE id=?", (ids[0],))
        db.execute("UPDATE ai_uses SET tool='Pencil'")
    report = verify_library(lib)
    assert not report.ok
    assert any(
        f"work #{ids[0]}: declaration 1 says human-made" in p for p in report.record_problems
    )


def test_changed_ai_use_title_and_field_are_caught(lib, tmp_path: Path) -> None:
    ids, _ = _library(lib, tmp_path)
    with _raw(lib) as db:
        db.execute("UPDATE ai_uses SET tool='Pencil'")
        db.execute("UPDATE works SET title='Forged', medium='oil' WHERE id=?", (ids[2],))
    problems = verify_library(lib).record_problems
    assert any("AI uses differ" in p for p in problems)
    assert any(f"work #{ids[2]}: its title differs" in p for p in problems)
    assert any(f"work #{ids[2]}: its medium differs" in p for p in problems)


def test_deleted_event_is_named(lib, tmp_path: Path) -> None:
    _library(lib, tmp_path)
    with _raw(lib) as db:
        # A tamperer drops the guard trigger first; the chain still shows it.
        db.execute("DROP TRIGGER events_no_delete")
        ids = [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")]
        db.execute("DELETE FROM events WHERE id=?", (ids[3],))
    report = verify_library(lib)
    assert report.first_broken_event == ids[4]
    assert f"does not follow event #{ids[2]}" in (report.chain_problem or "")
    assert f"history broken at event #{ids[4]}" in report.summary()


def test_edited_event_payload_is_named(lib, tmp_path: Path) -> None:
    _library(lib, tmp_path)
    with _raw(lib) as db:
        db.execute("DROP TRIGGER events_no_update")
        eid, payload = db.execute(
            "SELECT id, payload_json FROM events WHERE kind='work.declared' ORDER BY id LIMIT 1"
        ).fetchone()
        data = json.loads(payload)
        data["class"] = "human-made"
        db.execute("UPDATE events SET payload_json=? WHERE id=?", (json.dumps(data), eid))
    report = verify_library(lib)
    assert report.first_broken_event == eid
    assert "changed after it was written" in (report.chain_problem or "")


def test_progress_and_cancel(lib, tmp_path: Path) -> None:
    _library(lib, tmp_path)
    seen: list[tuple[int, int]] = []
    assert verify_library(lib, progress=lambda d, t: seen.append((d, t))).ok
    assert seen[-1] == (4, 4)
    cancel = CancelToken()
    cancel.cancel()
    report = verify_library(lib, cancel=cancel)
    assert report.cancelled and not report.ok and report.files_checked == 0


@pytest.mark.parametrize("batch", [5000, 1, 2])
def test_hand_edits_without_events_and_vanished_rows_are_caught(
    lib, tmp_path: Path, monkeypatch, batch: int
) -> None:
    """Also with the works compared one or two ids at a time (a million works are compared
    5,000 at a time): nothing is missed at the edges of a batch."""
    from inkseal.library import verify
    from inkseal.library.importer import import_paths as imp

    monkeypatch.setattr(verify, "_RECORD_BATCH", batch)

    made = save(gradient(seed=77), tmp_path / "by.png", "PNG")
    (o,) = imp(lib, [made], creator="Ada").outcomes
    ids, _ = _library(lib, tmp_path)
    assert verify_library(lib).ok
    with _raw(lib) as db:
        db.execute("UPDATE works SET creator='Someone else' WHERE id=?", (o.work_id,))
        db.execute("UPDATE works SET medium='oil' WHERE id=?", (ids[1],))  # never edited
        db.execute("UPDATE declarations SET declared_by='Mallory' WHERE work_id=?", (ids[1],))
        db.execute("DELETE FROM assets WHERE work_id=? AND role='sketch'", (ids[0],))
        db.execute("DELETE FROM works WHERE id=?", (ids[2],))
    problems = verify_library(lib).record_problems
    text = "\n".join(problems)
    assert f"work #{o.work_id}: its creator differs" in text
    assert f"work #{ids[1]}: its medium differs" in text
    assert f"work #{ids[1]}: declaration 1's author differs" in text
    assert f"work #{ids[0]}: 1 file(s) the history records are gone" in text
    assert f"work #{ids[2]} is in the history but gone from the catalogue" in text


def test_work_ids_are_never_reused_and_old_histories_stay_apart(lib, tmp_path: Path) -> None:
    from inkseal.library.trash import empty_trash, trash_works

    ids, _ = _library(lib, tmp_path)
    trash_works(lib, [ids[2]])
    empty_trash(lib)
    (o,) = import_paths(lib, [save(gradient(seed=5), tmp_path / "new.png", "PNG")]).outcomes
    assert o.work_id is not None and o.work_id > ids[2]
    assert [e.kind for e in get_work(lib, o.work_id).history] == ["work.imported"]
    assert verify_library(lib).ok, verify_library(lib).summary()


def test_sparse_work_ids_are_compared_without_walking_the_gaps(
    lib, tmp_path: Path, monkeypatch
) -> None:
    """A hand-added row with SQLite's largest id costs one more batch, not 10**15 empty ones."""
    from inkseal.library import verify

    ids, _ = _library(lib, tmp_path)
    far = 2**63 - 1  # SQLite's largest integer
    with _raw(lib) as db:
        db.execute("CREATE TEMP TABLE copy AS SELECT * FROM works WHERE id = ?", (ids[1],))
        db.execute("UPDATE copy SET id = ?", (far,))
        db.execute("INSERT INTO works SELECT * FROM copy")
    batches: list[tuple[int, int]] = []
    real = verify._replay

    def counted(session, lo: int, hi: int):
        batches.append((lo, hi))
        return real(session, lo, hi)

    monkeypatch.setattr(verify, "_replay", counted)
    problems = verify.check_records(lib)
    assert [lo for lo, _ in batches] == [ids[0], far]
    assert problems == [f"work #{far} is in the catalogue but not in the history"]
