"""The labs' own rankings of candidates, which the placement engine takes into account: who a lab
can rank, the organisers' entry and file import of a ranking, and the rankings by lab for a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction
from ish_portal.errors import DomainError
from ish_portal.labs.csv_io import RankingRow, row_error
from ish_portal.labs.models import Lab, LabRanking
from ish_portal.labs.service import _lock_edition, get_lab
from ish_portal.nominations.models import LabPreference, Nomination, NominationStatus
from ish_portal.programme.models import Organisation
from ish_portal.text.i18n import gettext as _

# Candidates a lab ranks: those Heidelberg is still considering for a place.
RANKABLE = (NominationStatus.SUBMITTED, NominationStatus.APPROVED)


def preference_count(session: Session, lab_id: int) -> int:
    """How many applicants put this lab among their choices."""
    return session.exec(select(func.count()).select_from(LabPreference)
                        .where(LabPreference.lab_id == lab_id)).one()



@dataclass(frozen=True)
class Candidate:
    nomination: Nomination
    organisation: str
    rank: int | None


def ranking_candidates(session: Session, edition_id: int, lab_id: int) -> list[Candidate]:
    """Who the lab can rank (submitted and approved nominations), and anyone it has ranked
    already, whatever became of them; the ranked first, in their order."""
    ranks = _ranks(session, lab_id)
    rows = session.exec(
        select(Nomination, Organisation.name).join(Organisation, Organisation.id == Nomination.organisation_id)
        .where(Nomination.edition_id == edition_id,
               or_(Nomination.status.in_(RANKABLE), Nomination.id.in_(list(ranks) or [-1])))
        .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all()
    candidates = [Candidate(nomination, name, ranks.get(nomination.id)) for nomination, name in rows]
    return sorted(candidates, key=lambda c: (c.rank is None, c.rank or 0))


def _ranks(session: Session, lab_id: int) -> dict[int, int]:
    return dict(session.exec(select(LabRanking.nomination_id, LabRanking.rank)
                             .where(LabRanking.lab_id == lab_id)).all())


def save_rankings(session: Session, organiser: User, edition_id: int, lab_id: int,
                  ranks: dict[int, int]) -> None:
    """Replaces the lab's ranking with {nomination id: rank}; ranks must be distinct."""
    with transaction(session):
        _lock_edition(session, edition_id)
        lab = get_lab(session, edition_id, lab_id)
        allowed = {c.nomination.id for c in ranking_candidates(session, edition_id, lab.id)}
        if set(ranks) - allowed:
            raise DomainError(_("Some of these candidates can no longer be ranked. Reload the page and try again."))
        replace_ranking(session, Actor.of_user(organiser), lab, ranks)


def duplicate_ranks(ranks: dict[Any, int]) -> set[int]:
    seen: set[int] = set()
    return {rank for rank in ranks.values() if rank in seen or seen.add(rank)}


def replace_ranking(session: Session, actor: Actor, lab: Lab, ranks: dict[int, int]) -> None:
    """The lab's ranking becomes `ranks`, recorded as changed by `actor`; inside the caller's
    transaction, with the edition locked (the organisers' pages and the host's own)."""
    if duplicate_ranks(ranks):
        raise DomainError(_("Each rank can be given only once."))
    before = _ranks(session, lab.id)
    if before == ranks:
        return
    for row in session.exec(select(LabRanking).where(LabRanking.lab_id == lab.id)).all():
        session.delete(row)
    session.flush()
    session.add_all([LabRanking(lab_id=lab.id, nomination_id=nid, rank=rank) for nid, rank in ranks.items()])
    changes = {str(nid): [before.get(nid), ranks.get(nid)] for nid in sorted(set(before) | set(ranks))
               if before.get(nid) != ranks.get(nid)}
    record(session, actor, "lab_ranking_changed", "lab", lab.id, changes=changes, edition_id=lab.edition_id)


def import_rankings(session: Session, organiser: User, edition_id: int, lab_id: int,
                    rows: list[RankingRow]) -> int:
    """Replaces the lab's ranking with the tutors' feedback file; returns how many candidates are
    ranked. Raises DomainError with every row's problem in its details, and then nothing changed."""
    errors: list[str] = []
    with transaction(session):
        _lock_edition(session, edition_id)
        lab = get_lab(session, edition_id, lab_id)
        by_email: dict[str, list[Nomination]] = {}
        for candidate in ranking_candidates(session, edition_id, lab.id):
            by_email.setdefault(candidate.nomination.email.lower(), []).append(candidate.nomination)
        ranks: dict[int, int] = {}
        first_row_of_rank: dict[int, int] = {}
        first_row_of_email: dict[str, int] = {}
        for row in rows:
            found = by_email.get(row.email, [])
            if row.email in first_row_of_email:
                errors.append(_("Row %(row)d: %(email)s is already in row %(first)d.", row=row.number,
                                email=row.email, first=first_row_of_email[row.email]))
            elif not found:
                errors.append(row_error(row.number, "email", _(
                    "No submitted or approved candidate of this edition has the address %(email)s.", email=row.email)))
            elif len(found) > 1:
                errors.append(row_error(row.number, "email", _(
                    "Several candidates have the address %(email)s; enter their ranks on the lab's page.",
                    email=row.email)))
            first_row_of_email.setdefault(row.email, row.number)
            if row.rank in first_row_of_rank:
                errors.append(row_error(row.number, "rank", _("Rank %(rank)d is already given in row %(first)d.",
                                                              rank=row.rank, first=first_row_of_rank[row.rank])))
            first_row_of_rank.setdefault(row.rank, row.number)
            if len(found) == 1:
                ranks[found[0].id] = row.rank
        if errors:
            raise DomainError(details=errors)
        replace_ranking(session, Actor.of_user(organiser), lab, ranks)
    return len(ranks)


def rankings_by_lab(session: Session, edition_id: int) -> dict[int, list[int]]:
    """For the matching engine: each active lab of the edition that ranked candidates -> the
    nomination ids in its order, its favourite first. Retired labs are left out, as they are
    not offered."""
    rows = session.exec(select(LabRanking.lab_id, LabRanking.nomination_id)
                        .join(Lab, Lab.id == LabRanking.lab_id)
                        .where(Lab.edition_id == edition_id, Lab.retired == False)  # noqa: E712
                        .order_by(LabRanking.lab_id, LabRanking.rank)).all()
    result: dict[int, list[int]] = {}
    for lab_id, nomination_id in rows:
        result.setdefault(lab_id, []).append(nomination_id)
    return result
