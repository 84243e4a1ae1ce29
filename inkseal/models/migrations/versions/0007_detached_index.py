"""detached files: an index on the events that detach a file

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Emptying the Trash removes the stored copies of files detached from their works (kept until
then for undo). It found them by walking the whole store: minutes at a million works, under
the write lock. It now reads the detach events through this partial index (a few rows) and
looks only at those files and at the deleted works' own.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_events_file_detached ON events (id) WHERE kind = 'file.detached'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_events_file_detached")
