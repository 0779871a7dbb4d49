"""review panel: each edition's rubric and review settings, the reviews (assignments) with their
scores per criterion, and the panel's combined score per nomination

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0011'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_panel_criterion_edition_id", "panel_criterion", ["edition_id"])
    op.create_table(
        "panel_review_settings",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("reviews_per_nomination", sa.Integer(), nullable=False),
        sa.Column("blind_review", sa.Boolean(), nullable=False),
        sa.Column("review_deadline", UTCDateTime(), nullable=True),
        sa.Column("standardise", sa.Boolean(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["edition_id"], ["edition.id"]),
        sa.PrimaryKeyConstraint("edition_id"),
    )
    op.create_table(
        "panel_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_member_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=4000), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["panel_member_id"], ["panel_member.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("panel_member_id", "nomination_id"),
    )
    op.create_index("ix_panel_review_panel_member_id", "panel_review", ["panel_member_id"])
    op.create_index("ix_panel_review_nomination_id", "panel_review", ["nomination_id"])
    op.create_table(
        "panel_review_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["panel_review.id"]),
        sa.ForeignKeyConstraint(["criterion_id"], ["panel_criterion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "criterion_id"),
    )
    op.create_index("ix_panel_review_score_review_id", "panel_review_score", ["review_id"])
    op.create_index("ix_panel_review_score_criterion_id", "panel_review_score", ["criterion_id"])
    op.create_table(
        "panel_score",
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("combined", sa.Float(), nullable=True),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("spread", sa.Float(), nullable=False),
        sa.Column("override", sa.Integer(), nullable=True),
        sa.Column("override_reason", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("nomination_id"),
    )


def downgrade() -> None:
    op.drop_table("panel_score")
    op.drop_index("ix_panel_review_score_criterion_id", table_name="panel_review_score")
    op.drop_index("ix_panel_review_score_review_id", table_name="panel_review_score")
    op.drop_table("panel_review_score")
    op.drop_index("ix_panel_review_nomination_id", table_name="panel_review")
    op.drop_index("ix_panel_review_panel_member_id", table_name="panel_review")
    op.drop_table("panel_review")
    op.drop_table("panel_review_settings")
    op.drop_index("ix_panel_criterion_edition_id", table_name="panel_criterion")
    op.drop_table("panel_criterion")
