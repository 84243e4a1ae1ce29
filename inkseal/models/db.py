"""Engine, sessions and schema migrations for a library's SQLite catalogue."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

# How long a writer waits for another process's write to finish before saying the library
# is busy. $INKSEAL_BUSY_TIMEOUT_MS changes it (the tests make it short).
BUSY_TIMEOUT_MS = int(os.environ.get("INKSEAL_BUSY_TIMEOUT_MS", "10000"))


def _set_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _begin(conn: Any) -> None:
    # Writers take the write lock when their transaction starts, not at their first write:
    # two processes on one library then wait for each other (busy_timeout) instead of one
    # failing to upgrade a read snapshot half-way through an action. Readers never wait.
    if conn.get_execution_options().get("inkseal_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(db_path: Path) -> Engine:
    """An engine for the SQLite file at `db_path` with the library's PRAGMAs set."""
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _set_pragmas)
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
    event.listen(engine, "begin", _begin)
    return engine


def make_sessionmaker(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (write=True) for actions that change the catalogue."""
    bind = engine.execution_options(inkseal_write=True) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    script_dir = resources.files("inkseal.models") / "migrations"
    cfg.set_main_option("script_location", str(script_dir))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration revision shipped with this version of Inkseal."""
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(create_engine("sqlite://"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def shipped_head() -> str:
    """The newest migration's revision, from the scripts' names (each `NNNN_what.py` holds
    revision NNNN; a test keeps that true)."""
    versions = resources.files("inkseal.models") / "migrations" / "versions"
    names = [p.name for p in versions.iterdir() if p.name[:4].isdigit() and p.name.endswith(".py")]
    return max(names)[:4]


def _stored_revision(engine: Engine) -> str | None:
    """The catalogue's revision as Alembic records it, read with one query."""
    with engine.connect() as conn:
        try:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except Exception:  # noqa: BLE001 - no such table: a new or foreign file
            return None
    return rows[0][0] if len(rows) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def migrate(engine: Engine, db_path: Path) -> None:
    """Bring the catalogue to the newest schema.

    A catalogue that already holds data is copied beside itself first
    (`library.sqlite.bak-<rev>-<time>`), so a failed migration loses nothing.
    """
    if _stored_revision(engine) == shipped_head():
        return  # the usual case, decided without importing Alembic (a tenth of a second)
    from alembic import command

    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    has_tables = bool(inspect(engine).get_table_names())
    if current is None and has_tables:
        raise RuntimeError(f"{db_path} holds tables but no schema version: not an Inkseal library")
    if current is not None:
        backup_database(db_path, f"{current}")
    command.upgrade(_alembic_config(engine), "head")


def backup_database(db_path: Path, label: str) -> Path:
    """A consistent copy of the catalogue beside it, made with SQLite's backup API."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.bak-{label}-{stamp}")
    copy_database(db_path, target)
    return target


def copy_database(source: Path, target: Path) -> None:
    """Copy a catalogue with SQLite's backup API: a consistent snapshot, even while other
    connections (other processes) write to it."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
