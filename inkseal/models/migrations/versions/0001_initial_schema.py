"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200, collation='NOCASE'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('name', name=op.f('uq_collections_name'))
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_events_hash'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_work_id'), ['work_id'], unique=False)

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200, collation='NOCASE'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('works',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('title_from_filename', sa.Boolean(), nullable=False),
    sa.Column('creator', sa.String(length=500), nullable=True),
    sa.Column('creation_date', sa.String(length=10), nullable=True),
    sa.Column('medium', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('provenance_class', sa.String(length=20), nullable=False),
    sa.Column('do_not_train', sa.Boolean(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("provenance_class IN ('human-made', 'ai-assisted', 'ai-generated', 'undeclared')", name=op.f('ck_works_provenance_class')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_works'))
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index('ix_works_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_needs_review'), ['needs_review'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_provenance_class'), ['provenance_class'], unique=False)

    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('frames', sa.Integer(), nullable=False),
    sa.Column('perceptual_hash', sa.String(length=32), nullable=True),
    sa.Column('stored_path', sa.String(length=300), nullable=True),
    sa.Column('referenced_path', sa.Text(), nullable=True),
    sa.Column('original_name', sa.Text(), nullable=False),
    sa.Column('original_path', sa.Text(), nullable=True),
    sa.Column('file_modified_at', sa.DateTime(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('thumb_path', sa.String(length=300), nullable=True),
    sa.Column('metadata_json', sa.Text(), nullable=False),
    sa.CheckConstraint("role IN ('primary', 'wip', 'sketch', 'source', 'timelapse', 'reference', 'derivative')", name=op.f('ck_assets_role')),
    sa.CheckConstraint('stored_path IS NOT NULL OR referenced_path IS NOT NULL', name=op.f('ck_assets_has_location')),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_assets_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('work_id', 'sha256', name=op.f('uq_assets_work_id_sha256'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_work_id'), ['work_id'], unique=False)

    op.create_table('collection_works',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_works_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_collection_works_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'work_id', name=op.f('pk_collection_works'))
    )
    with op.batch_alter_table('collection_works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_works_work_id'), ['work_id'], unique=False)

    op.create_table('declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('provenance_class', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('declared_by', sa.String(length=500), nullable=True),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("provenance_class IN ('human-made', 'ai-assisted', 'ai-generated', 'undeclared')", name=op.f('ck_declarations_provenance_class')),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_declarations_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declarations'))
    )
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declarations_work_id'), ['work_id'], unique=False)

    op.create_table('links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_work_id', sa.Integer(), nullable=False),
    sa.Column('target_work_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('derived-from', 'study-for', 'variant-of', 'same-series')", name=op.f('ck_links_kind')),
    sa.CheckConstraint('source_work_id != target_work_id', name=op.f('ck_links_not_self')),
    sa.ForeignKeyConstraint(['source_work_id'], ['works.id'], name=op.f('fk_links_source_work_id_works'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_work_id'], ['works.id'], name=op.f('fk_links_target_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_links')),
    sa.UniqueConstraint('source_work_id', 'target_work_id', 'kind', name=op.f('uq_links_source_work_id_target_work_id_kind'))
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_links_source_work_id'), ['source_work_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_links_target_work_id'), ['target_work_id'], unique=False)

    op.create_table('work_tags',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_work_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_tags_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id', 'tag_id', name=op.f('pk_work_tags'))
    )
    with op.batch_alter_table('work_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('ai_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tool', sa.String(length=500), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("stage IN ('ideation', 'reference', 'sketch', 'composition', 'generation', 'inpainting', 'background', 'colouring', 'upscaling', 'editing', 'other')", name=op.f('ck_ai_uses_stage')),
    sa.ForeignKeyConstraint(['declaration_id'], ['declarations.id'], name=op.f('fk_ai_uses_declaration_id_declarations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_uses'))
    )
    with op.batch_alter_table('ai_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_uses_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('tool', sa.String(length=500), nullable=True),
    sa.Column('tool_version', sa.String(length=200), nullable=True),
    sa.Column('model', sa.Text(), nullable=True),
    sa.Column('prompt', sa.Text(), nullable=True),
    sa.Column('verdict', sa.String(length=20), nullable=True),
    sa.Column('excerpt', sa.Text(), nullable=True),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_signals_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals'))
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signals_asset_id'), ['asset_id'], unique=False)

    # The audit log is append-only: refuse edits and deletions at the database level too.
    # (The hash chain is what proves it; these triggers stop accidents.)
    op.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )



def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signals_asset_id'))

    op.drop_table('signals')
    with op.batch_alter_table('ai_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_uses_declaration_id'))

    op.drop_table('ai_uses')
    with op.batch_alter_table('work_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_tags_tag_id'))

    op.drop_table('work_tags')
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_links_target_work_id'))
        batch_op.drop_index(batch_op.f('ix_links_source_work_id'))

    op.drop_table('links')
    with op.batch_alter_table('declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declarations_work_id'))

    op.drop_table('declarations')
    with op.batch_alter_table('collection_works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_works_work_id'))

    op.drop_table('collection_works')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_work_id'))
        batch_op.drop_index(batch_op.f('ix_assets_sha256'))

    op.drop_table('assets')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_provenance_class'))
        batch_op.drop_index(batch_op.f('ix_works_needs_review'))
        batch_op.drop_index('ix_works_created_at_id')

    op.drop_table('works')
    op.drop_table('tags')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_work_id'))

    op.drop_table('events')
    op.drop_table('collections')
