"""nomination: an index on (edition_id, status), from which the review list counts its rows

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02
"""
from alembic import op

revision = '0015'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_nomination_edition_id_status", "nomination", ["edition_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_nomination_edition_id_status", table_name="nomination")
