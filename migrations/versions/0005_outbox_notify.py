"""outbox rows that become due are announced to listening senders (PostgreSQL only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Every way a row becomes queued - written by enqueue, a draft batch released, a failed message
# retried - notifies the channel the senders LISTEN on, inside the transaction that does it, so a
# sender hears of it exactly when it commits (and never of a change rolled back). A row that a
# sender puts back after a temporary failure is due only later, so it is not announced. Equal
# notifications within one transaction are delivered once, so a bulk change costs one wake-up.
# SQLite has no notifications; senders poll there.
UPGRADE = """
CREATE FUNCTION outbox_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'queued' THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('ish_outbox', '');
        ELSIF OLD.status <> 'sending' THEN
            PERFORM pg_notify('ish_outbox', '');
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_announce AFTER INSERT OR UPDATE OF status ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION outbox_announce();
"""

DOWNGRADE = """
DROP TRIGGER outbox_announce ON outbox_message;
DROP FUNCTION outbox_announce();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DOWNGRADE)
