"""scale: listing indexes, counts kept by triggers, a full-text index of each work

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

What the window shows on every refresh must not cost a pass over a million works:

- partial indexes (live works only) in each of the grid's orders, so a listing and its first
  page read an index in order instead of sorting the table;
- `live_counts`: how many live works are in each class, need review, are untagged, carry each
  tag and sit in each collection, and how many are in the Trash. Triggers keep it exact on
  every insert, update and delete, whoever writes (the services, a bulk load, a migration).
- `work_search`: an FTS5 table with one document per work (title, creator, description,
  medium, tags, collections, file names, metadata, declaration notes, AI uses, and the
  signals' tools, models and prompts). Triggers rebuild a work's document whenever one of
  those changes; `work_search_doc` is the view that says what the document holds.

SQLite runs a row's BEFORE DELETE triggers while its children still exist, then deletes it,
then its ON DELETE CASCADE children, whose triggers no longer see the parent. So a deleted
work takes its whole contribution away in BEFORE DELETE, and the children's triggers do
nothing for it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "trashed_at IS NULL"

INDEXES = {
    "ix_works_live_added": "works (created_at, id)",
    "ix_works_live_created": "works (creation_date IS NULL, creation_date DESC, created_at DESC, id DESC)",
    "ix_works_live_title": "works (lower(title), id DESC)",
    "ix_works_live_class": "works (provenance_class, lower(title), id DESC)",
    "ix_works_live_class_added": "works (provenance_class, created_at, id)",
}


def contribution(row: str, sign: int) -> str:
    """The (name, change) rows a work adds to live_counts (sign 1) or takes away (-1)."""
    live = f"{row}.trashed_at IS NULL"
    return f"""
        SELECT 'class:' || {row}.provenance_class AS name, {sign} AS d WHERE {live}
        UNION ALL SELECT 'review', {sign} WHERE {live} AND {row}.needs_review
        UNION ALL SELECT 'untagged', {sign} WHERE {live}
            AND NOT EXISTS (SELECT 1 FROM work_tags WHERE work_id = {row}.id)
        UNION ALL SELECT 'trash', {sign} WHERE {row}.trashed_at IS NOT NULL
        UNION ALL SELECT 'tag:' || tag_id, {sign} FROM work_tags
            WHERE work_id = {row}.id AND {live}
        UNION ALL SELECT 'collection:' || collection_id, {sign} FROM collection_works
            WHERE work_id = {row}.id AND {live}"""


def add(rows: str) -> str:
    return (
        f"INSERT INTO live_counts (name, n) SELECT name, d FROM ({rows}) WHERE true "
        "ON CONFLICT (name) DO UPDATE SET n = n + excluded.n;"
    )


def live_work(work_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM works WHERE id = {work_id} AND {LIVE})"


def reindex(work_id: str) -> str:
    return f"""
        DELETE FROM work_search WHERE rowid = {work_id};
        INSERT INTO work_search (rowid, doc) SELECT work_id, doc FROM work_search_doc
            WHERE work_id = {work_id};"""


COUNT_TRIGGERS = {
    "works_counts_insert": f"AFTER INSERT ON works BEGIN {add(contribution('NEW', 1))} END",
    "works_counts_delete": f"BEFORE DELETE ON works BEGIN {add(contribution('OLD', -1))} END",
    "works_counts_update": (
        "AFTER UPDATE OF provenance_class, needs_review, trashed_at ON works "
        "WHEN OLD.provenance_class IS NOT NEW.provenance_class "
        "OR OLD.needs_review IS NOT NEW.needs_review OR OLD.trashed_at IS NOT NEW.trashed_at "
        f"BEGIN {add(contribution('OLD', -1))} {add(contribution('NEW', 1))} END"
    ),
    "work_tags_counts_insert": f"""AFTER INSERT ON work_tags WHEN {live_work("NEW.work_id")} BEGIN
        {add("SELECT 'tag:' || NEW.tag_id AS name, 1 AS d")}
        {add("SELECT 'untagged' AS name, -1 AS d WHERE (SELECT count(*) FROM work_tags WHERE work_id = NEW.work_id) = 1")}
        END""",
    "work_tags_counts_delete": f"""AFTER DELETE ON work_tags WHEN {live_work("OLD.work_id")} BEGIN
        {add("SELECT 'tag:' || OLD.tag_id AS name, -1 AS d")}
        {add("SELECT 'untagged' AS name, 1 AS d WHERE NOT EXISTS (SELECT 1 FROM work_tags WHERE work_id = OLD.work_id)")}
        END""",
    "collection_works_counts_insert": f"""AFTER INSERT ON collection_works
        WHEN {live_work("NEW.work_id")} BEGIN
        {add("SELECT 'collection:' || NEW.collection_id AS name, 1 AS d")} END""",
    "collection_works_counts_delete": f"""AFTER DELETE ON collection_works
        WHEN {live_work("OLD.work_id")} BEGIN
        {add("SELECT 'collection:' || OLD.collection_id AS name, -1 AS d")} END""",
    # A row changed in place (a tag merged into another, a work's tags moved): its old
    # share goes, its new one comes; untagged changes only when it moved between works.
    "work_tags_counts_update": f"""AFTER UPDATE ON work_tags BEGIN
        {add(f"SELECT 'tag:' || OLD.tag_id AS name, -1 AS d WHERE {live_work('OLD.work_id')}")}
        {add(f"SELECT 'tag:' || NEW.tag_id AS name, 1 AS d WHERE {live_work('NEW.work_id')}")}
        {add(f"SELECT 'untagged' AS name, 1 AS d WHERE OLD.work_id IS NOT NEW.work_id AND {live_work('OLD.work_id')} AND NOT EXISTS (SELECT 1 FROM work_tags WHERE work_id = OLD.work_id)")}
        {add(f"SELECT 'untagged' AS name, -1 AS d WHERE OLD.work_id IS NOT NEW.work_id AND {live_work('NEW.work_id')} AND (SELECT count(*) FROM work_tags WHERE work_id = NEW.work_id) = 1")}
        END""",
    "collection_works_counts_update": f"""AFTER UPDATE ON collection_works BEGIN
        {add(f"SELECT 'collection:' || OLD.collection_id AS name, -1 AS d WHERE {live_work('OLD.work_id')}")}
        {add(f"SELECT 'collection:' || NEW.collection_id AS name, 1 AS d WHERE {live_work('NEW.work_id')}")}
        END""",
    "tags_counts_delete": "AFTER DELETE ON tags BEGIN "
    "DELETE FROM live_counts WHERE name = 'tag:' || OLD.id; END",
    "collections_counts_delete": "AFTER DELETE ON collections BEGIN "
    "DELETE FROM live_counts WHERE name = 'collection:' || OLD.id; END",
}


def cat(*parts: str) -> str:
    """SQL joining texts with spaces, leaving out NULLs (SQLite 3.40 has no concat_ws)."""
    return " || ' ' || ".join(f"coalesce({p}, '')" for p in parts)


def texts(expr: str, rest: str) -> str:
    """SQL for the texts `expr` of the rows `rest` selects, joined with spaces."""
    return f"(SELECT group_concat({expr}, ' ') {rest})"


_AI_USES = texts(cat("u.tool", "u.note"), "FROM ai_uses u WHERE u.declaration_id = d.id")
# What a work's search document holds, as one text; metadata is capped per file.
SEARCH_DOC = (
    "CREATE VIEW work_search_doc AS SELECT w.id AS work_id, "
    + cat(
        "w.title",
        "w.creator",
        "w.description",
        "w.medium",
        texts(
            "t.name", "FROM work_tags wt JOIN tags t ON t.id = wt.tag_id WHERE wt.work_id = w.id"
        ),
        texts(
            "c.name",
            "FROM collection_works cw JOIN collections c ON c.id = cw.collection_id "
            "WHERE cw.work_id = w.id",
        ),
        texts(
            cat("a.original_name", "substr(a.metadata_json, 1, 4000)"),
            "FROM assets a WHERE a.work_id = w.id",
        ),
        texts(cat("d.note", _AI_USES), "FROM declarations d WHERE d.work_id = w.id"),
        texts(
            cat("s.tool", "s.tool_version", "s.model", "s.prompt"),
            "FROM signals s JOIN assets a ON a.id = s.asset_id WHERE a.work_id = w.id",
        ),
    )
    + " AS doc FROM works w"
)

SEARCH_TRIGGERS = {
    "works_search_insert": f"AFTER INSERT ON works BEGIN {reindex('NEW.id')} END",
    "works_search_update": "AFTER UPDATE OF title, creator, description, medium ON works "
    f"BEGIN {reindex('NEW.id')} END",
    "works_search_delete": "AFTER DELETE ON works BEGIN "
    "DELETE FROM work_search WHERE rowid = OLD.id; END",
    "tags_search_update": "AFTER UPDATE OF name ON tags BEGIN "
    "DELETE FROM work_search WHERE rowid IN (SELECT work_id FROM work_tags WHERE tag_id = NEW.id); "
    "INSERT INTO work_search (rowid, doc) SELECT work_id, doc FROM work_search_doc "
    "WHERE work_id IN (SELECT work_id FROM work_tags WHERE tag_id = NEW.id); END",
    "collections_search_update": "AFTER UPDATE OF name ON collections BEGIN "
    "DELETE FROM work_search WHERE rowid IN "
    "(SELECT work_id FROM collection_works WHERE collection_id = NEW.id); "
    "INSERT INTO work_search (rowid, doc) SELECT work_id, doc FROM work_search_doc "
    "WHERE work_id IN (SELECT work_id FROM collection_works WHERE collection_id = NEW.id); END",
    "assets_search_update": "AFTER UPDATE OF work_id, original_name, metadata_json ON assets "
    f"BEGIN {reindex('OLD.work_id')} {reindex('NEW.work_id')} END",
    "declarations_search_update": "AFTER UPDATE ON declarations "
    f"BEGIN {reindex('OLD.work_id')} {reindex('NEW.work_id')} END",
    "ai_uses_search_update": "AFTER UPDATE ON ai_uses BEGIN "
    f"{reindex('(SELECT work_id FROM declarations WHERE id = NEW.declaration_id)')} END",
    "signals_search_update": "AFTER UPDATE ON signals BEGIN "
    f"{reindex('(SELECT work_id FROM assets WHERE id = NEW.asset_id)')} END",
}
for table, work_id in {
    "work_tags": "{row}.work_id",
    "collection_works": "{row}.work_id",
    "assets": "{row}.work_id",
    "declarations": "{row}.work_id",
    "ai_uses": "(SELECT work_id FROM declarations WHERE id = {row}.declaration_id)",
    "signals": "(SELECT work_id FROM assets WHERE id = {row}.asset_id)",
}.items():
    SEARCH_TRIGGERS[f"{table}_search_insert"] = (
        f"AFTER INSERT ON {table} BEGIN {reindex(work_id.format(row='NEW'))} END"
    )
    SEARCH_TRIGGERS[f"{table}_search_delete"] = (
        f"AFTER DELETE ON {table} BEGIN {reindex(work_id.format(row='OLD'))} END"
    )
for table in ("work_tags", "collection_works"):
    SEARCH_TRIGGERS[f"{table}_search_update"] = (
        f"AFTER UPDATE ON {table} BEGIN {reindex('OLD.work_id')} {reindex('NEW.work_id')} END"
    )

# Alembic's batch mode rebuilds a table by copying it, which drops its triggers: a later
# migration that rebuilds one of these tables must create its triggers again (test_models
# checks that every one of them exists at the newest schema).
TRIGGERS = {**COUNT_TRIGGERS, **SEARCH_TRIGGERS}


def upgrade() -> None:
    for name, target in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target} WHERE {LIVE}")
    op.execute("CREATE TABLE live_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    rebuild_counts()
    op.execute(
        "CREATE VIRTUAL TABLE work_search USING fts5 "
        "(doc, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    op.execute(SEARCH_DOC)
    op.execute("INSERT INTO work_search (rowid, doc) SELECT work_id, doc FROM work_search_doc")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def rebuild_counts() -> None:
    """Fill live_counts from the tables as they are (the triggers keep it from then on)."""
    op.execute("DELETE FROM live_counts")
    op.execute(f"""INSERT INTO live_counts (name, n)
        SELECT 'class:' || provenance_class, count(*) FROM works WHERE {LIVE}
            GROUP BY provenance_class
        UNION ALL SELECT 'review', count(*) FROM works WHERE {LIVE} AND needs_review
        UNION ALL SELECT 'untagged', count(*) FROM works WHERE {LIVE}
            AND NOT EXISTS (SELECT 1 FROM work_tags WHERE work_id = works.id)
        UNION ALL SELECT 'trash', count(*) FROM works WHERE trashed_at IS NOT NULL
        UNION ALL SELECT 'tag:' || wt.tag_id, count(*) FROM work_tags wt
            JOIN works w ON w.id = wt.work_id WHERE w.{LIVE} GROUP BY wt.tag_id
        UNION ALL SELECT 'collection:' || cw.collection_id, count(*) FROM collection_works cw
            JOIN works w ON w.id = cw.work_id WHERE w.{LIVE} GROUP BY cw.collection_id""")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS work_search_doc")
    op.execute("DROP TABLE IF EXISTS work_search")
    op.execute("DROP TABLE IF EXISTS live_counts")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
