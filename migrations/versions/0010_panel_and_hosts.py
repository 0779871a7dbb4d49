"""panel and hosts: panel members of an edition (reviewing, interviewing), their declared
conflicts of interest, and the hosts of each lab

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Boolean(), nullable=False),
        sa.Column("interviews", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("edition_id", "user_id"),
    )
    op.create_index("ix_panel_member_edition_id", "panel_member", ["edition_id"])
    op.create_index("ix_panel_member_user_id", "panel_member", ["user_id"])
    op.create_table(
        "panel_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_member_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["panel_member_id"], ["panel_member.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("panel_member_id", "organisation_id"),
    )
    op.create_index("ix_panel_conflict_panel_member_id", "panel_conflict", ["panel_member_id"])
    op.create_index("ix_panel_conflict_organisation_id", "panel_conflict", ["organisation_id"])
    op.create_table(
        "lab_host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lab_id"], ["lab.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lab_id", "user_id"),
    )
    op.create_index("ix_lab_host_lab_id", "lab_host", ["lab_id"])
    op.create_index("ix_lab_host_user_id", "lab_host", ["user_id"])


def downgrade() -> None:
    op.drop_table("lab_host")
    op.drop_table("panel_conflict")
    op.drop_table("panel_member")
