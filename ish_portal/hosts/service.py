"""What a host may see and do: the labs they host and nothing of any other lab. Every query here
is scoped by LabHost, so another lab's candidates, roster or actions are as unknown as missing
ones (NotFound). Hosts never see medical or passport fields: no query here selects them.

The doors: organisers invite and remove hosts (invite_host, remove_host) and remind the labs
that have not confirmed (remind_unconfirmed); a host confirms the lab for its edition
(confirm_lab), ranks the approved candidates who chose the lab while preferences are open
(save_ranking, which writes the lab's ranking the engine uses), and at the end confirms each
student's attendance and project title (confirm_attendance), which the certificate prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case
from sqlmodel import Session, select

from ish_portal.accounts.models import Role, User
from ish_portal.accounts.service import normalise_email, reader_of
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError, NotFound
from ish_portal.labs.forms import LabForm
from ish_portal.labs.models import Lab, LabHost, LabRanking
from ish_portal.labs.service import _lock_edition, edition_labs, lab_values
from ish_portal.nominations.models import Document, DocumentBlob, LabPreference, Nomination, NominationStatus
from ish_portal.notifications.service import enqueue
from ish_portal.placement import offers, rankings
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.placement.runs import matchable, preferences_closed
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import gettext as _, ngettext
from ish_portal.text.names import written_name


# -- the host's labs ------------------------------------------------------------------------------

def labs_of(session: Session, user: User) -> list[tuple[Lab, Edition]]:
    """The labs the host hosts, the newest edition first."""
    return list(session.exec(
        select(Lab, Edition).join(LabHost, LabHost.lab_id == Lab.id).join(Edition, Lab.edition_id == Edition.id)
        .where(LabHost.user_id == user.id).order_by(Edition.year.desc(), Lab.group_name)).all())


def hosted_lab(session: Session, user: User, lab_id: int) -> tuple[Lab, Edition]:
    """One of the host's labs and its edition; any other lab is NotFound."""
    row = session.exec(
        select(Lab, Edition).join(LabHost, LabHost.lab_id == Lab.id).join(Edition, Lab.edition_id == Edition.id)
        .where(LabHost.user_id == user.id, Lab.id == lab_id)).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def hosts_of(session: Session, lab_id: int) -> list[User]:
    return list(session.exec(select(User).join(LabHost, LabHost.user_id == User.id)
                             .where(LabHost.lab_id == lab_id).order_by(User.full_name, User.id)).all())


def active_hosts_of(session: Session, lab_id: int) -> list[User]:
    return [user for user in hosts_of(session, lab_id) if user.is_active]


# -- invitations (organisers) -----------------------------------------------------------------------

def invite_host(session: Session, organiser: User, lab_id: int, *, email: str, full_name: str,
                base_url: str, valid_for: timedelta) -> User:
    """Gives the person access to the lab (a new host account, or a host of other labs already)
    and emails them a link to choose a password."""
    email = normalise_email(email)
    with transaction(session):
        lab = session.get(Lab, lab_id)
        if lab is None:
            raise NotFound()
        user = session.exec(select(User).where(User.email == email)).first()
        if user is not None and user.role != Role.HOST:
            raise DomainError(fields={"email": _("This email address already belongs to another account.")})
        if user is None:
            user = User(email=email, full_name=full_name.strip(), role=Role.HOST)
            session.add(user)
            session.flush()
        user.is_active = True
        session.add(user)
        if session.exec(select(LabHost).where(LabHost.lab_id == lab.id, LabHost.user_id == user.id)).first() is None:
            session.add(LabHost(lab_id=lab.id, user_id=user.id))
        enqueue(session, "host_invitation", reader_of(user),
                {"user": user.id, "lab": lab.id, "inviter": organiser.full_name, "days": valid_for.days},
                edition_id=lab.edition_id, base_url=base_url)
        record(session, Actor.of_user(organiser), "host_invited", "lab", lab.id,
               changes={"email": email}, edition_id=lab.edition_id)
    return user


def remove_host(session: Session, organiser: User, lab_id: int, user_id: int) -> User:
    """Takes the lab away from the host; a host left without labs can no longer sign in."""
    with transaction(session):
        access = session.exec(select(LabHost).where(LabHost.lab_id == lab_id, LabHost.user_id == user_id)).first()
        if access is None:
            raise NotFound()
        lab, user = session.get(Lab, lab_id), session.get(User, user_id)
        session.delete(access)
        session.flush()
        if session.exec(select(LabHost).where(LabHost.user_id == user_id)).first() is None:
            user.is_active = False
            user.session_version += 1
            session.add(user)
        record(session, Actor.of_user(organiser), "host_removed", "lab", lab.id,
               changes={"email": user.email}, edition_id=lab.edition_id)
    return user


# -- confirming the lab for its edition ----------------------------------------------------------------

@dataclass(frozen=True)
class Week:
    number: int
    starts_on: date
    ends_on: date


def programme_weeks(edition: Edition) -> list[Week]:
    """The weeks of the programme, from its first day (the last one may be short)."""
    weeks, number, start = [], 1, edition.starts_on
    while start <= edition.ends_on:
        weeks.append(Week(number, start, min(start + timedelta(days=6), edition.ends_on)))
        number, start = number + 1, start + timedelta(days=7)
    return weeks


def confirmation_values(lab: Lab) -> dict:
    return lab_values(lab) | {"weeks": [str(week) for week in lab.host_weeks or []]}


def confirm_lab(session: Session, host: User, lab_id: int, form: LabForm, weeks: list[int]) -> Lab:
    """The host confirms the lab for its edition: its seats, languages, minimum age, subject area,
    description for the applicants, and the weeks it can host."""
    with transaction(session):
        lab, edition = hosted_lab(session, host, lab_id)
        _lock_edition(session, edition.id)
        known = {week.number for week in programme_weeks(edition)}
        if not weeks or set(weeks) - known:
            raise DomainError(fields={"weeks": _("Choose the weeks the lab can host.")})
        held = offers.seats_held(session, edition.id).get(lab.id, 0)
        if form.capacity < held:
            raise DomainError(fields={"capacity": ngettext(
                "%(num)d student already holds a place in this lab: it needs at least that many seats.",
                "%(num)d students already hold a place in this lab: it needs at least that many seats.", held)})
        before = lab_values(lab) | {"host_weeks": lab.host_weeks}
        for name in ("capacity", "languages", "min_age", "subject_area", "description"):
            setattr(lab, name, getattr(form, name))
        lab.host_weeks = sorted(set(weeks))
        lab.confirmed_at, lab.confirmed_by_id = utcnow(), host.id
        session.add(lab)
        after = lab_values(lab) | {"host_weeks": lab.host_weeks}
        record(session, Actor.of_user(host), "lab_confirmed", "lab", lab.id, edition_id=edition.id,
               changes={name: [before[name], after[name]] for name in after if before[name] != after[name]})
    return lab


def remind_unconfirmed(session: Session, organiser: User, edition_id: int, base_url: str) -> int:
    """One email to every host of each active lab not confirmed yet; returns how many labs."""
    reminded = 0
    with transaction(session):
        for lab in edition_labs(session, edition_id).active:
            hosts = active_hosts_of(session, lab.id)
            if lab.confirmed_at is not None or not hosts:
                continue
            for user in hosts:
                enqueue(session, "lab_confirmation_reminder", reader_of(user), {"user": user.id, "lab": lab.id},
                        edition_id=edition_id, base_url=base_url)
            lab.confirmation_reminded_at = utcnow()
            session.add(lab)
            reminded += 1
        record(session, Actor.of_user(organiser), "lab_confirmation_reminded", "edition", edition_id,
               changes={"labs": reminded}, edition_id=edition_id)
    return reminded


# -- candidates and the lab's ranking ------------------------------------------------------------------

@dataclass(frozen=True)
class HostCandidate:
    """What a host sees of a candidate: never the family name, contact, medical or passport data."""
    nomination_id: int
    first_name: str
    statement: str
    subjects: list[str]
    school_leaving_year: int | None
    english_level: str
    panel_score: int | None
    choice: int              # where the candidate put this lab among their choices
    rank: int | None         # the lab's rank of them
    cv_document_id: int | None  # only when the candidate agreed that hosts may see the CV


def candidates(session: Session, lab: Lab) -> list[HostCandidate]:
    """The approved candidates who chose the lab (one of the host's, from hosted_lab), the lab's
    ranked ones first in its order."""
    ranks = dict(session.exec(select(LabRanking.nomination_id, LabRanking.rank)
                              .where(LabRanking.lab_id == lab.id)).all())
    rows = session.exec(select(Nomination, LabPreference.rank)
                        .join(LabPreference, LabPreference.nomination_id == Nomination.id)
                        .where(LabPreference.lab_id == lab.id, Nomination.edition_id == lab.edition_id, matchable())
                        .order_by(Nomination.given_name, Nomination.id)).all()
    shared = [n.id for n, _choice in rows if n.cv_for_hosts]
    cvs = dict(session.exec(select(Document.nomination_id, Document.id)
                            .where(Document.nomination_id.in_(shared or [-1]), Document.kind == "cv")
                            .order_by(Document.uploaded_at)).all())
    found = [HostCandidate(n.id, n.given_name, n.statement, list(n.subjects or []), n.school_leaving_year,
                           n.english_level, n.review_score, choice, ranks.get(n.id), cvs.get(n.id))
             for n, choice in rows]
    return sorted(found, key=lambda c: (c.rank is None, c.rank or 0))


def ranking_locked(edition: Edition) -> bool:
    return preferences_closed(edition) or edition.offers_published_at is not None


def save_ranking(session: Session, host: User, lab_id: int, ranks: dict[int, int]) -> None:
    """The host's order of the candidates shown ({nomination id: rank}) becomes the lab's ranking;
    candidates the lab ranked before who are not shown any more keep their order after them."""
    with transaction(session):
        lab, edition = hosted_lab(session, host, lab_id)
        _lock_edition(session, edition.id)
        session.refresh(edition)
        if ranking_locked(edition):
            raise DomainError(_("Lab preferences are closed: the ranking can no longer be changed."))
        shown = {c.nomination_id for c in candidates(session, lab)}
        if set(ranks) - shown:
            raise DomainError(_("Some of these candidates can no longer be ranked. Reload the page and try again."))
        order = [nid for nid, _rank in sorted(ranks.items(), key=lambda item: item[1])]
        earlier = session.exec(select(LabRanking.nomination_id).where(
            LabRanking.lab_id == lab.id).order_by(LabRanking.rank)).all()
        order += [nid for nid in earlier if nid not in shown]
        rankings.replace_ranking(session, Actor.of_user(host), lab, {nid: i for i, nid in enumerate(order, 1)})


def candidate_cv(session: Session, host: User, lab_id: int, nomination_id: int) -> tuple[Document, bytes]:
    """A candidate's CV, for a host of a lab the candidate chose, if the candidate agreed."""
    lab, _edition = hosted_lab(session, host, lab_id)
    found = next((c for c in candidates(session, lab) if c.nomination_id == nomination_id), None)
    if found is None or found.cv_document_id is None:
        raise NotFound()
    with transaction(session):
        document = session.get(Document, found.cv_document_id)
        blob = session.get(DocumentBlob, document.id)
        record(session, Actor.of_user(host), "cv_seen_by_host", "nomination", nomination_id,
               changes={"lab": lab_id}, nomination_id=nomination_id)
    return document, blob.data


# -- the roster and attendance -----------------------------------------------------------------

ROSTER_COLUMNS = (Offer.id, Nomination.given_name, Nomination.family_name, Nomination.name_order,
                  Nomination.email, Nomination.working_languages, Nomination.arrival_on,
                  case((Nomination.dietary_for_hosts, Nomination.dietary_needs), else_="").label("dietary"),
                  Offer.attended, Offer.project_title)


def roster_query(lab_id: int):
    """The students who accepted a place in the lab: only what a host may see."""
    return (select(*ROSTER_COLUMNS).select_from(Offer).join(Nomination, Nomination.id == Offer.nomination_id)
            .where(Offer.lab_id == lab_id, Offer.status == OfferStatus.ACCEPTED,
                   Nomination.status == NominationStatus.ACCEPTED)
            .order_by(Nomination.family_name, Nomination.given_name, Offer.id))


@dataclass(frozen=True)
class RosterRow:
    offer_id: int
    name: str
    email: str
    languages: list[str]
    arrival_on: date | None
    dietary: str
    attended: bool | None
    project_title: str


def roster(session: Session, lab: Lab) -> list[RosterRow]:
    """The students placed in the lab (one of the host's, from hosted_lab)."""
    return [RosterRow(r[0], written_name(r[1], r[2], r[3]), r[4],
                      list(r[5] or []), r[6], r[7] or "", r[8], r[9] or "")
            for r in session.exec(roster_query(lab.id)).all()]


def attendance_open(edition: Edition, today: date) -> bool:
    """Attendance is confirmed at the end: from the programme's first day on."""
    return today >= edition.starts_on


def confirm_attendance(session: Session, host: User, lab_id: int, offer_id: int, attended: bool,
                       project_title: str, today: date) -> Offer:
    """The host says whether the student took part and the title of their project; only a
    confirmed attendance earns the certificate, which prints the title."""
    project_title = project_title.strip()
    with transaction(session):
        lab, edition = hosted_lab(session, host, lab_id)
        offer = session.exec(select(Offer).where(Offer.id == offer_id).with_for_update()).first()
        if offer is None or offer.lab_id != lab.id or offer.status != OfferStatus.ACCEPTED:
            raise NotFound()
        if not attendance_open(edition, today):
            raise DomainError(_("Attendance can be confirmed from the programme's first day on."))
        if attended and not project_title:
            raise DomainError(fields={"project_title": _("Enter the title of the student's project.")})
        if len(project_title) > 300:
            raise DomainError(fields={"project_title": _("Enter at most 300 characters.")})
        before = [offer.attended, offer.project_title]
        offer.attended, offer.project_title = attended, project_title if attended else ""
        offer.attendance_confirmed_at = utcnow()
        session.add(offer)
        nomination = session.get(Nomination, offer.nomination_id)
        record(session, Actor.of_user(host), "attendance_confirmed", "offer", offer.id,
               changes={"attended": [before[0], attended], "project_title": [before[1], offer.project_title]},
               edition_id=edition.id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    return offer
