"""trash: works.trashed_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trashed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_works_trashed_at'), ['trashed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_trashed_at'))
        batch_op.drop_column('trashed_at')

