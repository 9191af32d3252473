"""broadcast drafts: the stored preview a Send button points at

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eudesk.storage.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('broadcast_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('guideline_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=False),
    sa.Column('body_ids', sa.Text(), nullable=False),
    sa.Column('contact_ids', sa.Text(), nullable=False),
    sa.Column('targets', sa.String(length=400), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('locale', sa.Enum('sr-Latn', 'sr-Cyrl', 'hu', 'en', name='locale', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('expires_at', eudesk.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', eudesk.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('queued', sa.Integer(), nullable=True),
    sa.Column('already', sa.Integer(), nullable=True),
    sa.Column('unreachable', sa.Integer(), nullable=True),
    sa.Column('created_at', eudesk.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_broadcast_drafts_author_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['guideline_id'], ['guidelines.id'], name=op.f('fk_broadcast_drafts_guideline_id_guidelines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_drafts')),
    sa.UniqueConstraint('token', name=op.f('uq_broadcast_drafts_token'))
    )


def downgrade() -> None:
    op.drop_table('broadcast_drafts')
