"""lab hosts: each lab's confirmation for its edition (when, the weeks it can host), what the
applicant lets hosts see (the CV, dietary needs) and their arrival day, and each placed student's
attendance and project title as the host confirms them

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lab", sa.Column("confirmed_at", UTCDateTime(), nullable=True))
    op.add_column("lab", sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
    op.add_column("lab", sa.Column("host_weeks", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("lab", sa.Column("confirmation_reminded_at", UTCDateTime(), nullable=True))
    op.add_column("nomination", sa.Column("cv_for_hosts", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column("nomination", sa.Column("dietary_for_hosts", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column("nomination", sa.Column("arrival_on", sa.Date(), nullable=True))
    op.add_column("offer", sa.Column("attended", sa.Boolean(), nullable=True))
    op.add_column("offer", sa.Column("project_title", sa.String(length=300), nullable=False, server_default=""))
    op.add_column("offer", sa.Column("attendance_confirmed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer") as batch:
        batch.drop_column("attendance_confirmed_at")
        batch.drop_column("project_title")
        batch.drop_column("attended")
    with op.batch_alter_table("nomination") as batch:
        batch.drop_column("arrival_on")
        batch.drop_column("dietary_for_hosts")
        batch.drop_column("cv_for_hosts")
    with op.batch_alter_table("lab") as batch:
        batch.drop_column("confirmation_reminded_at")
        batch.drop_column("host_weeks")
        batch.drop_column("confirmed_by_id")
        batch.drop_column("confirmed_at")
