"""detection signals: signal family, verification and extras; suggested classes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_class', sa.String(length=20), nullable=True))

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('extra_json', sa.Text(), server_default='{}', nullable=False))

    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_class', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_column('suggested_class')

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_column('extra_json')
        batch_op.drop_column('verified')
        batch_op.drop_column('family')

    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('suggested_class')

