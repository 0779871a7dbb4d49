"""consents as records (who, for whom, which text, how, when, from where; withdrawal) with the
consent texts kept by their SHA-256, and a record of every staff look at sensitive data

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ish_portal.db import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The English texts shown until now, frozen here: the consents given so far are recorded as given
# to them (the pages did not record the language; most were English). They are the same words as
# ish_portal/nominations/consent.py starts with, so these consents stay valid until the text changes.
APPLICANT_STATEMENT = ("I agree that the City of Heidelberg processes my personal data to run the admissions "
                       "and the programme, as described in its privacy notice.")
GUARDIAN_BODY = "\n\n".join([
    "%(name)s has been nominated for the International Summer Science School Heidelberg (%(edition)s), "
    "from %(start)s to %(end)s.",
    "During these four weeks the participants work in research labs in Heidelberg, usually in small "
    "international teams with a tutor, and take part in a cultural programme with excursions. They live "
    "in Heidelberg for the whole time.",
    "The City of Heidelberg processes the personal data given in the nomination to run the admissions "
    "and the programme, and deletes it after the period stated in its privacy notice."])
GUARDIAN_STATEMENT = ("As parent or legal guardian of %(name)s, I agree that they take part in the programme and "
                      "that their data is processed for it.")


def _hash(kind: str, language: str, body: str, statement: str) -> str:
    return hashlib.sha256(f"{kind}\n{language}\n{body}\n\n{statement}".encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("statement", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_consent_text_sha256", "consent_text", ["sha256"], unique=True)
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nomination_id", sa.Integer(), sa.ForeignKey("nomination.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("given_by", sa.String(length=200), nullable=False),
        sa.Column("text_id", sa.Integer(), sa.ForeignKey("consent_text.id"), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("access_token.id"), nullable=True),
        sa.Column("acting_user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="SET NULL"), nullable=True),
        sa.Column("given_at", UTCDateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_address", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_consent_record_nomination_id", "consent_record", ["nomination_id"])
    op.create_table(
        "sensitive_access",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("user_role", sa.String(length=20), nullable=False),
        sa.Column("nomination_id", sa.Integer(), sa.ForeignKey("nomination.id"), nullable=False),
        sa.Column("what", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sensitive_access_nomination_id", "sensitive_access", ["nomination_id"])
    op.create_index("ix_sensitive_access_user_id", "sensitive_access", ["user_id"])
    op.add_column("nomination", sa.Column("consent_withdrawn_at", UTCDateTime(), nullable=True))
    op.create_index("ix_nomination_consent_withdrawn_at", "nomination", ["consent_withdrawn_at"])

    # The consents given so far become records: the applicant's in their own name, the guardian's
    # in the name they typed; how and from where was not kept (online, address unknown).
    connection = op.get_bind()
    nomination = sa.table("nomination", sa.column("id", sa.Integer), sa.column("given_name", sa.String),
                          sa.column("family_name", sa.String), sa.column("applicant_consent_at", UTCDateTime()),
                          sa.column("guardian_consent_at", UTCDateTime()),
                          sa.column("guardian_consent_name", sa.String))
    texts = sa.table("consent_text", sa.column("id", sa.Integer), sa.column("sha256", sa.String),
                     sa.column("kind", sa.String), sa.column("language", sa.String), sa.column("body", sa.String),
                     sa.column("statement", sa.String), sa.column("created_at", UTCDateTime()))
    tokens = sa.table("access_token", sa.column("id", sa.Integer), sa.column("purpose", sa.String),
                      sa.column("nomination_id", sa.Integer), sa.column("used_at", UTCDateTime()))
    records = sa.table("consent_record", sa.column("nomination_id", sa.Integer), sa.column("kind", sa.String),
                       sa.column("token_id", sa.Integer),
                       sa.column("given_by", sa.String), sa.column("text_id", sa.Integer),
                       sa.column("method", sa.String), sa.column("given_at", UTCDateTime()),
                       sa.column("address", sa.String), sa.column("withdrawn_address", sa.String))
    rows = connection.execute(sa.select(nomination).where(
        nomination.c.applicant_consent_at.is_not(None) | nomination.c.guardian_consent_at.is_not(None))).all()
    if not rows:
        return
    now = datetime.now(UTC)
    ids = {}
    for kind, body, statement in (("applicant", "", APPLICANT_STATEMENT), ("guardian", GUARDIAN_BODY, GUARDIAN_STATEMENT)):
        sha = _hash(kind, "en", body, statement)
        connection.execute(texts.insert().values(sha256=sha, kind=kind, language="en", body=body,
                                                 statement=statement, created_at=now))
        ids[kind] = connection.execute(sa.select(texts.c.id).where(texts.c.sha256 == sha)).scalar_one()
    new = []
    for row in rows:
        if row.applicant_consent_at is not None:
            new.append({"nomination_id": row.id, "kind": "applicant", "token_id": None,
                        "given_by": f"{row.given_name} {row.family_name}".strip()[:200] or "?",
                        "text_id": ids["applicant"], "method": "online", "given_at": row.applicant_consent_at,
                        "address": "", "withdrawn_address": ""})
        if row.guardian_consent_at is not None:
            # The link that gave it (the newest used one) stays the guardian's way to withdraw it.
            token = connection.execute(sa.select(tokens.c.id).where(
                tokens.c.purpose == "guardian_consent", tokens.c.nomination_id == row.id,
                tokens.c.used_at.is_not(None)).order_by(tokens.c.used_at.desc()).limit(1)).scalar()
            new.append({"nomination_id": row.id, "kind": "guardian", "token_id": token,
                        "given_by": (row.guardian_consent_name or "?")[:200], "text_id": ids["guardian"],
                        "method": "online", "given_at": row.guardian_consent_at, "address": "",
                        "withdrawn_address": ""})
    connection.execute(records.insert(), new)


def downgrade() -> None:
    with op.batch_alter_table("nomination") as batch:
        batch.drop_index("ix_nomination_consent_withdrawn_at")
        batch.drop_column("consent_withdrawn_at")
    op.drop_table("sensitive_access")
    op.drop_table("consent_record")
    op.drop_table("consent_text")
