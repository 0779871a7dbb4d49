"""a nomination's name order (given or family name first), taken from the name's script

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from ish_portal.text.names import usual_order

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("nomination", sa.Column("name_order", sa.String(length=12), nullable=False,
                                          server_default="given_first"))
    # Names already written in Chinese or Japanese script were shown given name first until now;
    # from here on they read family name first, as their owners write them.
    nomination = sa.table("nomination", sa.column("id", sa.Integer), sa.column("given_name", sa.String),
                          sa.column("family_name", sa.String), sa.column("name_order", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(nomination.c.id, nomination.c.given_name, nomination.c.family_name))
    family_first = [row.id for row in rows if usual_order(row.given_name, row.family_name) == "family_first"]
    if family_first:
        connection.execute(nomination.update().where(nomination.c.id.in_(family_first))
                           .values(name_order="family_first"))


def downgrade() -> None:
    with op.batch_alter_table("nomination") as batch:
        batch.drop_column("name_order")
