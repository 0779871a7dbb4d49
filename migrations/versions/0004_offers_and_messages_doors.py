"""offers and messages: released offers, single-purpose links, letters rendered at send time,
a draft's own wording, each person's language and time zone

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ish_portal.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', ish_portal.db.UTCDateTime(timezone=True), nullable=True))
    # Offers that were already out were released when they were made.
    op.execute("UPDATE offer SET released_at = created_at WHERE status <> 'proposed'")
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.add_column(sa.Column('letter', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('own_body', sa.Text(), nullable=True))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sqlmodel.sql.sqltypes.AutoString(length=60),
                                      nullable=False, server_default='Europe/Berlin'))
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_language', sqlmodel.sql.sqltypes.AutoString(length=5),
                                      nullable=False, server_default='en'))
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offers_published_at', ish_portal.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE edition SET offers_published_at = (SELECT MIN(published_at) FROM match_run "
               "WHERE match_run.edition_id = edition.id)")


def downgrade() -> None:
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('offers_published_at')
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.drop_column('guardian_language')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('own_body')
        batch_op.drop_column('own_subject')
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_column('letter')
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.drop_column('target')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_column('released_at')
