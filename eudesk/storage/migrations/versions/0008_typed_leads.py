"""typed leads: subscriptions.leads ("14d,3wd,2h,30m") instead of subscriptions.lead_minutes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:00:00

Upgrade: each old minute list becomes the same leads, multiples of 1,440 minutes as days,
multiples of 60 as hours, the rest as minutes ("20160,4320,1440" -> "14d,3d,1d", "120" -> "2h");
an entry that is not a positive number is dropped, and a row left with none gets the default of
its topic, as the planner read it before. Reminders already in the outbox keep their dedupe keys:
the planner still writes a day, hour or minute lead's part of the key in minutes.
Downgrade: back to minutes, a working day counted as a calendar day (the old column had none).
The conversion is written out here, not imported, so that this revision never changes.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEETING_TOPICS = ('chapter_meetings', 'cluster_meetings')
UNIT_MINUTES = {'d': 1440, 'wd': 1440, 'h': 60, 'm': 1}

subscriptions = sa.table(
    'subscriptions',
    sa.column('id', sa.Integer()),
    sa.column('topic', sa.String()),
    sa.column('lead_minutes', sa.String()),
    sa.column('leads', sa.String()),
)


def tokens(minutes_text: str, topic: str) -> str:
    """"20160,4320,1440" -> "14d,3d,1d", largest first; nothing usable -> the topic default."""
    found = {int(p) for p in (part.strip() for part in minutes_text.split(',')) if p.isdigit()}
    found = {m for m in found if 0 < m <= 90 * 1440}
    if not found:
        return '2h' if topic in MEETING_TOPICS else '14d,3d,1d'
    out = []
    for minutes in sorted(found, reverse=True):
        if minutes % 1440 == 0:
            out.append(f'{minutes // 1440}d')
        elif minutes % 60 == 0:
            out.append(f'{minutes // 60}h')
        else:
            out.append(f'{minutes}m')
    return ','.join(out)


def minutes(tokens_text: str, topic: str) -> str:
    """"14d,3wd,2h" -> "20160,4320,120", largest first."""
    found = set()
    for part in (p.strip().lower() for p in tokens_text.split(',')):
        unit = part.lstrip('0123456789')
        count = part[: len(part) - len(unit)]
        if count.isdigit() and unit in UNIT_MINUTES and int(count) > 0:
            found.add(int(count) * UNIT_MINUTES[unit])
    if not found:
        return '120' if topic in MEETING_TOPICS else '20160,4320,1440'
    return ','.join(str(m) for m in sorted(found, reverse=True))


def _convert(source: str, target: str, convert: Callable[[str, str], str]) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(subscriptions.c.id, subscriptions.c.topic, subscriptions.c[source])
    ).all()
    for ident, topic, value in rows:
        connection.execute(
            subscriptions.update()
            .where(subscriptions.c.id == ident)
            .values({target: convert(value or '', topic)})
        )


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leads', sa.String(length=120), nullable=True))
    _convert('lead_minutes', 'leads', tokens)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.alter_column('leads', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_column('lead_minutes')


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_minutes', sa.String(length=120), nullable=True))
    _convert('leads', 'lead_minutes', minutes)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.alter_column('lead_minutes', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_column('leads')
