"""The schema: migrations, PRAGMAs, constraints, the append-only log. No Qt."""

from __future__ import annotations

import sqlite3
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from inkseal.library.library import open_library
from inkseal.models import db
from inkseal.models.entities import Asset, Base, Declaration, Event, Tag, Work

REPO_MIGRATIONS = Path(db.__file__).parent / "migrations" / "versions"


def _not_full_text(name: str | None, type_: str, _parents: object) -> bool:
    # The FTS5 table and its shadow tables are SQLite's own; the models do not describe them.
    return not (type_ == "table" and (name or "").startswith("work_search"))


def schema_diff(conn: Any) -> list[Any]:
    """How the catalogue's schema differs from the models' (expression indexes aside, which
    SQLAlchemy cannot read back)."""
    context = MigrationContext.configure(conn, opts={"include_name": _not_full_text})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return list(compare_metadata(context, Base.metadata))


def test_migrations_create_exactly_the_models_schema(tmp_path: Path) -> None:
    with open_library(tmp_path / "lib") as lib, lib.engine.connect() as conn:
        assert schema_diff(conn) == []
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert {"work_search", "work_search_doc", "ix_works_live_title"} <= names


def test_new_library_is_at_head_with_its_folders(tmp_path: Path) -> None:
    with open_library(tmp_path / "lib") as lib:
        assert db.current_revision(lib.engine) == db.head_revision()
        assert (lib.root / "library.sqlite").is_file()
        assert lib.store_dir.is_dir() and lib.thumbs_dir.is_dir()


def test_reopening_does_not_migrate_or_back_up_again(tmp_path: Path) -> None:
    open_library(tmp_path / "lib").close()
    open_library(tmp_path / "lib").close()
    assert not list((tmp_path / "lib").glob("library.sqlite.bak-*"))


def test_sqlite_pragmas(lib) -> None:
    with lib.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    from inkseal.library.errors import LibraryError

    root = tmp_path / "other"
    root.mkdir()
    con = sqlite3.connect(root / "library.sqlite")
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    with pytest.raises(LibraryError, match="not an Inkseal library"):
        open_library(root)


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    from inkseal.library.errors import LibraryError

    (tmp_path / "f").write_text("x")
    with pytest.raises(LibraryError, match="is a file"):
        open_library(tmp_path / "f")


def _work(s, title: str = "w") -> Work:
    w = Work(title=title)
    s.add(w)
    s.flush()
    return w


def test_timestamps_come_back_timezone_aware(lib) -> None:
    with lib.write.begin() as s:
        wid = _work(s).id
    with lib.read() as s:
        w = s.get(Work, wid)
        assert w.created_at.tzinfo is not None
        assert abs((datetime.now(UTC) - w.created_at).total_seconds()) < 60


def test_class_role_and_stage_are_checked(lib) -> None:
    with pytest.raises(IntegrityError), lib.write.begin() as s:
        s.add(Work(title="x", provenance_class="mostly-human"))
    with pytest.raises(IntegrityError), lib.write.begin() as s:
        w = _work(s)
        s.add(
            Asset(
                work_id=w.id,
                role="poster",
                sha256="0" * 64,
                size=1,
                media_type="image/png",
                original_name="a.png",
                stored_path="store/x",
            )
        )
    with pytest.raises(IntegrityError), lib.write.begin() as s:
        w = _work(s)
        s.add(
            Asset(
                work_id=w.id, sha256="0" * 64, size=1, media_type="image/png", original_name="a.png"
            )
        )  # neither stored nor referenced


def test_tags_are_unique_without_regard_to_case(lib) -> None:
    with pytest.raises(IntegrityError), lib.write.begin() as s:
        s.add_all([Tag(name="Ink"), Tag(name="ink")])


def test_deleting_a_work_removes_its_files_and_declarations(lib) -> None:
    with lib.write.begin() as s:
        w = _work(s)
        w.files.append(
            Asset(
                sha256="1" * 64,
                size=1,
                media_type="image/png",
                original_name="a.png",
                stored_path="store/a",
            )
        )
        w.declarations.append(Declaration(provenance_class="human-made"))
        wid = w.id
    with lib.write.begin() as s:
        s.delete(s.get(Work, wid))
    with lib.read() as s:
        assert s.scalars(select(Asset)).all() == []
        assert s.scalars(select(Declaration)).all() == []


def test_event_log_refuses_updates_and_deletes(lib) -> None:
    from inkseal.library.events import append_event

    with lib.write.begin() as s:
        append_event(s, "test", None, {"a": 1})
    for stmt in ("UPDATE events SET kind='forged'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"), lib.write.begin() as s:
            s.execute(text(stmt))
    with lib.read() as s:
        assert [e.kind for e in s.scalars(select(Event))] == ["test"]


def test_events_chain_their_hashes(lib) -> None:
    from inkseal.library.events import GENESIS_HASH, append_event, event_hash

    with lib.write.begin() as s:
        for i in range(3):
            append_event(s, "test", None, {"i": i, "text": "墨"})
    with lib.read() as s:
        events = s.scalars(select(Event).order_by(Event.id)).all()
    prev = GENESIS_HASH
    import json

    for e in events:
        assert e.prev_hash == prev
        assert e.hash == event_hash(prev, e.kind, e.work_id, e.at, json.loads(e.payload_json))
        prev = e.hash


def test_migration_backs_up_a_library_that_holds_data(tmp_path: Path, monkeypatch) -> None:
    # Simulate a library at an older revision: stamp it with a fake older revision id and
    # check that opening makes a backup before upgrading.
    with open_library(tmp_path / "lib") as lib, lib.write.begin() as s:
        _work(s, "kept")
    calls: list[str] = []
    real_backup = db.backup_database

    def spy(path: Path, label: str) -> Path:
        calls.append(label)
        return real_backup(path, label)

    monkeypatch.setattr(db, "backup_database", spy)
    monkeypatch.setattr(db, "current_revision", lambda engine: "0000-older")
    monkeypatch.setattr(db, "_stored_revision", lambda engine: "0000-older")
    from alembic import command

    monkeypatch.setattr(command, "upgrade", lambda cfg, rev: None)
    open_library(tmp_path / "lib").close()
    assert calls == ["0000-older"]
    backups = list((tmp_path / "lib").glob("library.sqlite.bak-0000-older-*"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("SELECT title FROM works").fetchall() == [("kept",)]
    con.close()


def test_a_library_at_the_first_schema_upgrades_keeping_its_data(tmp_path: Path) -> None:
    from alembic import command

    root = tmp_path / "old"
    root.mkdir()
    engine = db.make_engine(root / "library.sqlite")
    command.upgrade(db._alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO works (title, title_from_filename, provenance_class, needs_review,"
                " created_at, updated_at) VALUES ('old work', 1, 'human-made', 0,"
                " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            )
        )
    engine.dispose()
    with open_library(root) as lib:
        assert db.current_revision(lib.engine) == db.head_revision()
        with lib.read() as s:
            (w,) = s.scalars(select(Work)).all()
            assert (w.title, w.provenance_class, w.suggested_class) == (
                "old work",
                "human-made",
                None,
            )
        with lib.engine.connect() as conn:
            assert schema_diff(conn) == []
    (backup,) = root.glob("library.sqlite.bak-0001-*")
    con = sqlite3.connect(backup)
    assert con.execute("SELECT title FROM works").fetchall() == [("old work",)]
    con.close()


def test_a_damaged_catalogue_gives_a_clear_error(tmp_path: Path) -> None:
    from inkseal.library.errors import LibraryError

    root = tmp_path / "broken"
    root.mkdir()
    (root / "library.sqlite").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(LibraryError, match="cannot open the catalogue"):
        open_library(root)


def test_the_shipped_head_is_read_from_the_script_names() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db._alembic_config(db.make_engine(Path(":memory:"))))
    for rev in script.walk_revisions():
        assert Path(rev.path).name.startswith(f"{rev.revision}_"), rev.path
    assert db.shipped_head() == db.head_revision()


def test_every_derived_data_trigger_exists_at_the_newest_schema(tmp_path: Path) -> None:
    """Batch-mode migrations rebuild tables and drop their triggers: whatever a later
    migration does, the counts and the search index must still be kept."""
    import importlib.util

    path = REPO_MIGRATIONS / "0005_scale.py"
    spec = importlib.util.spec_from_file_location("scale_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open_library(tmp_path / "lib") as lib, lib.engine.connect() as conn:
        names = {
            r[0]
            for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    assert set(module.TRIGGERS) <= names
    assert len(module.TRIGGERS) > 30
