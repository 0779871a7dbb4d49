"""Factories for test data: real rows in the test database, with sensible defaults that a test
overrides where it matters."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session

from ish_portal.accounts.models import PanelConflict, PanelMember, Role, User
from ish_portal.labs.models import Lab, LabHost
from ish_portal.nominations.models import Nomination
from ish_portal.placement.models import Offer
from ish_portal.programme.models import Edition, Organisation, Quota

PASSWORD = "correct horse battery"
_counter = itertools.count(1)

# The accounts made here get argon2id hashes at the least cost argon2 allows (one pass over 8 KiB
# instead of three over 64 MiB): the portal's own sign-in verifies them for real, reading the cost
# from the hash, in microseconds instead of a few hundred milliseconds. Production's cost still
# applies wherever the portal itself hashes: set_password (invitations, password resets), the
# demo accounts, and the dummy hash that an unknown address is verified against, so that it takes
# as long as a real account would in production.
cheap_password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))


def hash_password(password: str = PASSWORD) -> str:
    """A stored password hash for a test account, cheap to verify (see cheap_password_hash)."""
    return cheap_password_hash.hash(password)


def organisation(db: Session, **fields) -> Organisation:
    n = next(_counter)
    values = {"slug": f"org-{n}", "name": f"Organisation {n}", "country": "JP"} | fields
    row = Organisation(**values)
    db.add(row)
    db.commit()
    return row


def edition(db: Session, **fields) -> Edition:
    now = datetime.now(UTC)
    values = {"year": 2027 + next(_counter), "title": "ISH test edition", "starts_on": date(2027, 7, 12),
              "ends_on": date(2027, 8, 7), "nomination_opens_at": now - timedelta(days=30),
              "nomination_closes_at": now + timedelta(days=30)} | fields
    row = Edition(**values)
    db.add(row)
    db.commit()
    return row


def quota(db: Session, edition: Edition, organisation: Organisation, places: int = 2, **fields) -> Quota:
    row = Quota(edition_id=edition.id, organisation_id=organisation.id, places=places, **fields)
    db.add(row)
    db.commit()
    return row


def organiser(db: Session, email: str | None = None, password: str = PASSWORD, **fields) -> User:
    values = {"full_name": "Olga Organiser"} | fields
    row = User(email=email or f"organiser{next(_counter)}@ish.example", role=Role.ORGANISER,
               password_hash=hash_password(password), **values)
    db.add(row)
    db.commit()
    return row


def coordinator(db: Session, organisation: Organisation, email: str | None = None,
                password: str = PASSWORD, **fields) -> User:
    values = {"full_name": "Cora Coordinator"} | fields
    row = User(email=email or f"coordinator{next(_counter)}@ish.example", role=Role.COORDINATOR,
               organisation_id=organisation.id, password_hash=hash_password(password), **values)
    db.add(row)
    db.commit()
    return row


def panel_member(db: Session, edition: Edition, user: User | None = None, *, reviews: bool = True,
                 interviews: bool = False, conflicts: list[Organisation] = (), **fields) -> User:
    """A panel account (or the given user, say an organiser) on the edition's panel."""
    if user is None:
        values = {"full_name": "Rita Reviewer"} | fields
        user = User(email=f"panel{next(_counter)}@ish.example", role=Role.PANEL,
                    password_hash=hash_password(), **values)
        db.add(user)
        db.flush()
    member = PanelMember(edition_id=edition.id, user_id=user.id, reviews=reviews, interviews=interviews)
    db.add(member)
    db.flush()
    for organisation in conflicts:
        db.add(PanelConflict(panel_member_id=member.id, organisation_id=organisation.id))
    db.commit()
    return user


def host(db: Session, *labs: Lab, **fields) -> User:
    """A host account with access to the given labs."""
    values = {"full_name": "Hanna Host", "email": f"host{next(_counter)}@ish.example"} | fields
    user = User(role=Role.HOST, password_hash=hash_password(), **values)
    db.add(user)
    db.flush()
    for lab_row in labs:
        db.add(LabHost(lab_id=lab_row.id, user_id=user.id))
    db.commit()
    return user


def nomination(db: Session, edition: Edition, organisation: Organisation, **fields) -> Nomination:
    n = next(_counter)
    values = {"given_name": "Haruto", "family_name": f"Nakamura{n}", "email": f"student{n}@example.org",
              "date_of_birth": date(2008, 5, 14), "status": "submitted"} | fields
    consents = {kind: values.pop(field) for kind, field in (("applicant", "applicant_consent_at"),
                                                              ("guardian", "guardian_consent_at")) if values.get(field)}
    row = Nomination(edition_id=edition.id, organisation_id=organisation.id, **values)
    db.add(row)
    db.commit()
    if consents:
        consented(db, row, **consents)
    return row


def consented(db: Session, nomination: Nomination, applicant: datetime | None = None,
              guardian: datetime | None = None) -> Nomination:
    """The applicant's (and the guardian's) consent recorded as the portal records it, to the
    current English text, at the given moments."""
    from ish_portal.nominations import consent
    if applicant:
        consent.given_earlier(db, nomination, "applicant", nomination.display_name, applicant)
    if guardian:
        consent.given_earlier(db, nomination, "guardian", nomination.guardian_name or "A Guardian", guardian)
    db.commit()
    return nomination


def lab(db: Session, edition: Edition, **fields) -> Lab:
    n = next(_counter)
    values = {"institute": "EMBL", "group_name": f"Group {n}", "subject_area": "Biology", "capacity": 2} | fields
    row = Lab(edition_id=edition.id, **values)
    db.add(row)
    db.commit()
    return row


def offer(db: Session, nomination: Nomination, lab: Lab, status: str = "accepted", **fields) -> Offer:
    """An offer of a place in the lab, answered (accepted by default) unless the status says not."""
    values = {"response_deadline": datetime.now(UTC) + timedelta(days=3),
              "responded_at": None if status in ("proposed", "pending") else datetime.now(UTC)} | fields
    row = Offer(nomination_id=nomination.id, lab_id=lab.id, status=status, **values)
    db.add(row)
    db.commit()
    return row


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def complete_draft(db: Session, edition: Edition, organisation: Organisation, **fields) -> Nomination:
    """A draft with every field and document, ready to submit."""
    from ish_portal.nominations.models import Document, DocumentBlob
    values = {"status": "draft", "passport_name": "NAKAMURA HARUTO", "phone": "+81 96 123 4567",
              "nationality": "JP", "school": "Kumamoto Science School", "school_leaving_year": 2027,
              "subjects": ["Biology"], "english_level": "C1", "german_level": "A2",
              "statement": "Curious about everything.", "date_of_birth": date(2008, 5, 14)} | fields
    row = nomination(db, edition, organisation, **values)
    for kind in edition.required_documents:
        document = Document(nomination_id=row.id, kind=kind, original_filename=f"{kind}.pdf",
                            content_type="application/pdf", size_bytes=len(PDF), sha256="0" * 64)
        db.add(document)
        db.flush()
        db.add(DocumentBlob(document_id=document.id, data=PDF))
    db.commit()
    return row
