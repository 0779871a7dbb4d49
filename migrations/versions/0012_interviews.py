"""interviews: slots, bookings (one nominee per slot, one slot per nominee), settings

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interview_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("join_kind", sa.String(length=10), nullable=False),
        sa.Column("join_how", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.ForeignKeyConstraint(["interviewer_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_interview_slot_edition_id", "interview_slot", ["edition_id"])
    op.create_index("ix_interview_slot_interviewer_id", "interview_slot", ["interviewer_id"])
    op.create_index("ix_interview_slot_starts_at", "interview_slot", ["starts_at"])
    op.create_table(
        "interview_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.Column("booked_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.ForeignKeyConstraint(["slot_id"], ["interview_slot.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nomination_id"),
        sa.UniqueConstraint("slot_id"),
    )
    op.create_index("ix_interview_booking_edition_id", "interview_booking", ["edition_id"])
    op.create_table(
        "interview_setting",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("cutoff_hours", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.PrimaryKeyConstraint("edition_id"),
    )
    op.create_table(
        "interviewer_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("feed_created_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("feed_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("interviewer_setting")
    op.drop_table("interview_setting")
    op.drop_table("interview_booking")
    op.drop_table("interview_slot")
