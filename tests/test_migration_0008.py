"""Migration 0008 turns the consents given before it (two timestamps and a name on the
nomination) into consent records, to a kept text that is the current English one."""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from ish_portal.db import make_engine
from ish_portal.migrate import upgrade
from ish_portal.nominations import consent
from ish_portal.nominations.models import ConsentRecord, ConsentText, Nomination
from ish_portal.programme.models import Edition, Organisation


def _insert(connection, tables, name, row):
    table = tables[name]
    values = {key: value for key, value in row.model_dump().items() if key in table.c and value is not None}
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_existing_consents_become_records(scratch_database_url):
    # A database of its own: this test migrates it step by step.
    engine = make_engine(scratch_database_url)
    try:
        upgrade(engine, "0006")
        tables = sa.MetaData()
        tables.reflect(engine)
        given = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
        with engine.begin() as connection:
            edition = _insert(connection, tables.tables, "edition", Edition(
                title="ISH 2027", year=2027, starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                nomination_opens_at=given, nomination_closes_at=given))
            organisation = _insert(connection, tables.tables, "organisation",
                                   Organisation(slug="rehovot", name="Rehovot", country="IL", kind="city"))
            both = _insert(connection, tables.tables, "nomination", Nomination(
                edition_id=edition, organisation_id=organisation, given_name="Noa", family_name="Cohen",
                email="noa@example.org", applicant_consent_at=given, guardian_consent_at=given,
                guardian_consent_name="Miriam Cohen"))
            _insert(connection, tables.tables, "nomination", Nomination(
                edition_id=edition, organisation_id=organisation, given_name="Eli", family_name="Katz",
                email="eli@example.org"))
            connection.execute(tables.tables["access_token"].insert().values(
                purpose="guardian_consent", token_hash="f" * 64, email="miriam@example.org", nomination_id=both,
                target="", created_at=given, expires_at=given, used_at=given))
        upgrade(engine)
        with Session(engine) as session:
            records = session.exec(select(ConsentRecord).order_by(ConsentRecord.kind)).all()
            assert [(r.nomination_id, r.kind, r.given_by, r.method, r.address) for r in records] == [
                (both, "applicant", "Noa Cohen", "online", ""), (both, "guardian", "Miriam Cohen", "online", "")]
            assert all(r.given_at == given and r.withdrawn_at is None for r in records)
            # The guardian's used link stays theirs, to withdraw the consent it gave.
            assert records[0].token_id is None and records[1].token_id is not None
            # The texts kept for them are today's English texts: those consents still stand.
            for record in records:
                text = session.get(ConsentText, record.text_id)
                assert text.sha256 == consent.current_text(record.kind, "en").sha256
            nomination = session.get(Nomination, both)
            assert nomination.consent_withdrawn_at is None
            assert consent.standing(session, nomination, "applicant").state == consent.State.GIVEN
    finally:
        engine.dispose()
