"""The rules of the applicant's side, and of their guardian's consent."""

from __future__ import annotations

from sqlmodel import Session

from ish_portal.accounts.models import TokenPurpose
from ish_portal.accounts.service import AccountError, consume_token, find_token
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.nominations.models import Nomination
from ish_portal.programme.models import Edition
from ish_portal.web.i18n import gettext as _


def consent_request(session: Session, raw: str) -> tuple[Nomination, Edition]:
    """The nomination a guardian's consent link is for; AccountError if the link cannot be used."""
    token = find_token(session, raw, TokenPurpose.GUARDIAN_CONSENT)
    nomination = session.get(Nomination, token.nomination_id)
    return nomination, session.get(Edition, nomination.edition_id)


def give_guardian_consent(session: Session, raw: str, guardian_name: str) -> Nomination:
    """Records who consented and when; the link is used up."""
    guardian_name = guardian_name.strip()
    if not guardian_name:
        raise AccountError(_("Enter your full name as your signature."))
    with transaction(session):
        token = consume_token(session, raw, TokenPurpose.GUARDIAN_CONSENT)
        nomination = session.get(Nomination, token.nomination_id)
        nomination.guardian_consent_at = utcnow()
        nomination.guardian_consent_name = guardian_name[:200]
        session.add(nomination)
        record(session, Actor(f"guardian {guardian_name[:200]} <{token.email}>"), "guardian_consented",
               "nomination", nomination.id, changes={"guardian": guardian_name[:200], "email": token.email},
               edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
               nomination_id=nomination.id)
    return nomination
