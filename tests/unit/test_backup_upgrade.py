"""Backups made while the library is in use, restores, and libraries from every earlier schema.

The old libraries are made here, not kept as binaries: a library with works, declarations,
tags, an AI-generated file, detection signals and history is made with today's code, then
taken down to an earlier schema with that migration's own downgrade. Opening it must migrate
it back up, keep a backup of the old catalogue, and lose nothing the old schema held.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from PIL import PngImagePlugin

from inkseal.library import works as works_service
from inkseal.library.backup import BackupError, backup_library, restore_backup
from inkseal.library.importer import import_paths
from inkseal.library.library import open_library
from inkseal.library.verify import verify_library
from inkseal.models import db
from tests.images import gradient, save


def _populate(root: Path, pictures: Path) -> None:
    pictures.mkdir(exist_ok=True)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a crane\nSteps: 20, Seed: 7, Model: sdxl")
    gradient((120, 90), seed=1).save(pictures / "generated.png", pnginfo=info)
    save(gradient((100, 80), seed=2), pictures / "drawn by hand.jpg", "JPEG")
    save(gradient((90, 90), seed=3), pictures / "study.webp", "WEBP")
    with open_library(root) as lib:
        report = import_paths(lib, [str(pictures)])
        assert report.added == 3
        ids = sorted(o.work_id for o in report.outcomes if o.work_id)
        works_service.rename(lib, ids[0], "Crane, first light")
        works_service.add_tags(lib, ids[0], ["ink", "crane"])
        works_service.declare(lib, ids[1], "human-made", note="pencil, then ink")


def _rows(path: Path) -> dict[str, set[tuple[object, ...]]]:
    """Every row of every table, by the columns the table has in that file."""
    with sqlite3.connect(path) as con:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        ]
        return {t: set(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}


def _columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [c[1] for c in con.execute(f'PRAGMA table_info("{t}")')] for t in names}


def _earlier_revisions() -> list[str]:
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    script = ScriptDirectory.from_config(db._alembic_config(create_engine("sqlite://")))
    revs = [r.revision for r in script.walk_revisions()]
    return sorted(r for r in revs if r != db.head_revision())


@pytest.mark.parametrize("revision", _earlier_revisions())
def test_a_library_from_an_earlier_schema_opens_with_nothing_lost(
    tmp_path: Path, revision: str
) -> None:
    from alembic import command

    root = tmp_path / "old"
    _populate(root, tmp_path / "pictures")
    engine = db.make_engine(root / "library.sqlite")
    command.downgrade(db._alembic_config(engine), revision)
    assert db.current_revision(engine) == revision
    engine.dispose()
    old_rows = _rows(root / "library.sqlite")
    old_columns = _columns(root / "library.sqlite")

    with open_library(root) as lib:  # migrates
        assert db.current_revision(lib.engine) == db.head_revision()

    backups = list(root.glob(f"library.sqlite.bak-{revision}-*"))
    assert len(backups) == 1, "a copy of the old catalogue is kept before migrating"
    assert _rows(backups[0]) == old_rows
    new_columns = _columns(root / "library.sqlite")
    with sqlite3.connect(root / "library.sqlite") as con:
        for table, columns in old_columns.items():
            if table == "alembic_version":
                continue
            assert set(columns) <= set(new_columns[table]), table
            listed = ", ".join(f'"{c}"' for c in columns)
            now = set(con.execute(f'SELECT {listed} FROM "{table}"').fetchall())
            assert now == old_rows[table], f"{table} changed in the migration from {revision}"
    with open_library(root) as lib:
        report = verify_library(lib)
        assert not report.file_problems and report.first_broken_event is None
        # What 0005 derives from the old rows: the counts and the search index.
        # (Downgrading below 0003 loses tags and declarations: SQLite's rebuild of the works
        # table cascades. The old rows compared above are those the old schema kept.)
        tagged = {name for name, *_ in old_rows.get("tags", ())} if old_rows["work_tags"] else set()
        counts = works_service.count_works(lib)
        assert (counts["all"], counts["human-made"]) == (3, 1)
        assert counts["untagged"] == (2 if tagged else 3)
        assert works_service.tag_counts(lib) == ([("crane", 1), ("ink", 1)] if tagged else [])
        assert [w.title for w in works_service.list_works(lib, search="crane first")] == [
            "Crane, first light"
        ]
        declared = bool(old_rows["declarations"])
        assert len(works_service.list_works(lib, search="pencil")) == (1 if declared else 0)


def test_backup_while_the_library_is_written(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _populate(root, tmp_path / "pictures")
    more = tmp_path / "more"
    more.mkdir()
    for i in range(30):
        save(gradient((200, 150), seed=100 + i), more / f"m{i}.png", "PNG")
    with open_library(root) as lib:
        writer = threading.Thread(target=lambda: import_paths(lib, [str(more)]))
        writer.start()
        result = backup_library(lib, tmp_path / "backups" / "first")
        writer.join()
        assert not result.cancelled and result.works >= 3
    with open_library(result.folder) as copy:
        assert verify_library(copy).ok
        with copy.read() as s:
            count = s.connection().exec_driver_sql("SELECT count(*) FROM works").scalar()
        assert count == result.works
    with sqlite3.connect(result.folder / "library.sqlite") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_backup_is_refused_where_it_would_harm_and_cancelling_keeps_nothing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lib"
    _populate(root, tmp_path / "pictures")
    with open_library(root) as lib:
        with pytest.raises(BackupError, match="inside the library"):
            backup_library(lib, root / "backup")
        (tmp_path / "taken").mkdir()
        with pytest.raises(BackupError, match="exists already"):
            backup_library(lib, tmp_path / "taken")
        result = backup_library(lib, tmp_path / "cancelled", cancelled=lambda: True)
        assert result.cancelled and not (tmp_path / "cancelled").exists()
        # A stored copy that changed on disk: no backup of damaged content is made.
        with lib.read() as s:
            stored = (
                s.connection().exec_driver_sql("SELECT stored_path FROM assets LIMIT 1").scalar()
            )
        damaged = root / stored
        damaged.chmod(0o644)
        damaged.write_bytes(b"not the picture any more")
        with pytest.raises(BackupError, match="does not hold what the catalogue says"):
            backup_library(lib, tmp_path / "from damaged")
        assert not (tmp_path / "from damaged").exists()


def test_restore_puts_the_backup_back_and_keeps_the_old_library(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _populate(root, tmp_path / "pictures")
    with open_library(root) as lib:
        backup = backup_library(lib, tmp_path / "backup").folder
        works_service.rename(lib, 1, "renamed after the backup")
    (root / "library.sqlite").write_bytes(b"damaged")  # the disaster
    with pytest.raises(BackupError, match="not an Inkseal backup"):
        restore_backup(tmp_path / "pictures", root)
    aside = restore_backup(backup, root)
    assert (aside / "library.sqlite").read_bytes() == b"damaged"
    with open_library(root) as lib:
        assert verify_library(lib).ok
        titles = {w.title for w in works_service.list_works(lib)}
        assert "Crane, first light" in titles and "renamed after the backup" not in titles


def test_restore_is_refused_while_the_library_is_open(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _populate(root, tmp_path / "pictures")
    with open_library(root) as lib:
        backup = backup_library(lib, tmp_path / "backup").folder
        with pytest.raises(BackupError, match="is open in Inkseal"):
            restore_backup(backup, root)
        works_service.rename(lib, 1, "still here")  # the open library was not moved away
    with open_library(root) as lib:
        assert works_service.get_work(lib, 1).title == "still here"
