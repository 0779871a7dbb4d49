"""sessions that end: applicants' links replaced by newer ones and the sessions opened with them;
requests through the public forms, queued for the worker and counted for the rate limits

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# A queued request wakes the workers as a queued email does (migration 0005): they LISTEN on the
# outbox channel on PostgreSQL; on SQLite they poll.
ANNOUNCE = """
CREATE FUNCTION public_request_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.done_at IS NULL THEN
        PERFORM pg_notify('ish_outbox', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER public_request_announce AFTER INSERT ON public_request
    FOR EACH ROW EXECUTE FUNCTION public_request_announce();
"""


def upgrade() -> None:
    with op.batch_alter_table("access_token") as batch:
        batch.add_column(sa.Column("superseded_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("session_ended_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "public_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
    )
    op.create_index("ix_public_request_email", "public_request", ["email"])
    op.create_index("ix_public_request_client_address", "public_request", ["client_address"])
    op.create_index("ix_public_request_created_at", "public_request", ["created_at"])
    op.create_index("ix_public_request_done_at", "public_request", ["done_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ANNOUNCE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER public_request_announce ON public_request;"
                   "DROP FUNCTION public_request_announce();")
    op.drop_table("public_request")
    with op.batch_alter_table("access_token") as batch:
        batch.drop_column("session_ended_at")
        batch.drop_column("superseded_at")
