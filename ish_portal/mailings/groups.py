"""Whom an organiser can write to: the review list's filters (edition, organisation, status, lab,
placed or not) choose candidates, and a group says who of them, or around them, reads the message
(the candidates, their guardians, their coordinators, the lab hosts, the reviewers). Each group is a few lines registered
with @group: a function from the edition and the filters to the recipients, each a Reader with the
facts its message is computed from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import exists
from sqlmodel import Session, select

from ish_portal.db import as_id
from ish_portal.accounts.models import PanelMember, Role, User
from ish_portal.accounts.service import reader_of
from ish_portal.labs.models import Lab, LabHost
from ish_portal.nominations.messages import candidate_reader, coordinator_reader, guardian_reader
from ish_portal.nominations.models import Nomination, NominationStatus
from ish_portal.nominations.review import clean_text
from ish_portal.notifications.catalog import Reader
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text.i18n import N_, gettext as _

# A candidate "has a place" while an offer of one is out to them or accepted.
PLACED = (OfferStatus.PENDING, OfferStatus.ACCEPTED)
STATUSES = [status.value for status in NominationStatus]


@dataclass(frozen=True)
class Filters:
    """What the composer asked for, read leniently from its query string like the review list's
    (a stale or hand-typed link shows everyone of the group rather than an error)."""

    group: str = "candidates"
    organisation_id: int | None = None
    status: str = ""
    lab_id: int | None = None
    placed: str = ""  # "", "yes", "no"

    def params(self) -> dict[str, str]:
        values = {"group": self.group, "organisation": self.organisation_id or "", "status": self.status,
                  "lab": self.lab_id or "", "placed": self.placed}
        return {key: str(value) for key, value in values.items() if value not in ("", None)}

    def query(self, **extra: Any) -> str:
        return urlencode({**self.params(), **{k: v for k, v in extra.items() if v not in ("", None)}})

    @property
    def narrowed(self) -> bool:
        """Whether anything narrows the candidates beyond the edition."""
        return bool(self.organisation_id or self.status or self.lab_id or self.placed)


def parse_filters(params: Mapping[str, Any]) -> Filters:
    group = clean_text(params.get("group"), 30)
    status = str(params.get("status") or "")
    placed = str(params.get("placed") or "")
    return Filters(group=group if group in GROUPS else "candidates", organisation_id=as_id(params.get("organisation")),
                   status=status if status in STATUSES else "", lab_id=as_id(params.get("lab")),
                   placed=placed if placed in ("yes", "no") else "")


def candidates(session: Session, edition: Edition, filters: Filters) -> list[Nomination]:
    """The candidates the filters choose, by name. Drafts only when asked for by status."""
    conditions = [Nomination.edition_id == edition.id]
    conditions.append(Nomination.status == filters.status if filters.status
                      else Nomination.status != NominationStatus.DRAFT)
    if filters.organisation_id:
        conditions.append(Nomination.organisation_id == filters.organisation_id)
    holding = exists().where(Offer.nomination_id == Nomination.id, Offer.status.in_(PLACED))
    if filters.lab_id:
        conditions.append(exists().where(Offer.nomination_id == Nomination.id, Offer.status.in_(PLACED),
                                         Offer.lab_id == filters.lab_id))
    if filters.placed == "yes":
        conditions.append(holding)
    elif filters.placed == "no":
        conditions.append(~holding)
    return list(session.exec(select(Nomination).where(*conditions)
                             .order_by(Nomination.family_name, Nomination.given_name, Nomination.id)).all())


def labs_in(session: Session, edition: Edition, filters: Filters) -> list[Lab]:
    """The lab of the filter, or every lab of the edition."""
    query = select(Lab).where(Lab.edition_id == edition.id)
    if filters.lab_id:
        query = query.where(Lab.id == filters.lab_id)
    return list(session.exec(query.order_by(Lab.institute, Lab.group_name, Lab.id)).all())


# -- the groups ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    reader: Reader
    facts: dict[str, Any]         # what the message is computed from: a nomination, or a user
    about: str                    # shown in the list: the candidate, or the organisation or lab
    nomination_id: int | None = None


@dataclass(frozen=True)
class Group:
    name: str
    label: str        # N_; shown through gettext
    find: Callable[[Session, Edition, Filters], list[Recipient]]


GROUPS: dict[str, Group] = {}


def group(name: str, label: str):
    def register(find: Callable[[Session, Edition, Filters], list[Recipient]]):
        GROUPS[name] = Group(name, label, find)
        return find
    return register


def recipients(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    """Everyone the group holds for these filters, each address once (the first one found)."""
    seen: set[str] = set()
    found = []
    for recipient in GROUPS[filters.group].find(session, edition, filters):
        address = recipient.reader.email.strip().lower()
        if address and address not in seen:
            seen.add(address)
            found.append(recipient)
    return found


@group("candidates", N_("the candidates"))
def _candidates(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    return [Recipient(candidate_reader(session, n), {"nomination": n.id},
                      f"{n.display_name}, {session.get(Organisation, n.organisation_id).name}", n.id)
            for n in candidates(session, edition, filters)]


@group("guardians", N_("their parents or guardians"))
def _guardians(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    return [Recipient(guardian_reader(session, n), {"nomination": n.id, "to": "guardian"}, n.display_name, n.id)
            for n in candidates(session, edition, filters) if n.guardian_email]


@group("coordinators", N_("their coordinators"))
def _coordinators(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    organisations = sorted({n.organisation_id for n in candidates(session, edition, filters)})
    if not organisations:
        return []
    users = session.exec(select(User).where(User.organisation_id.in_(organisations),
                                            User.role == Role.COORDINATOR, User.is_active)
                         .order_by(User.full_name, User.id)).all()
    return [Recipient(coordinator_reader(session, user), {"user": user.id}, _organisation_name(session, user))
            for user in users]


def _organisation_name(session: Session, user: User) -> str:
    organisation = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    return organisation.name if organisation else ""


@group("hosts", N_("lab hosts"))
def _hosts(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    """The hosts of the filter's lab, or of every lab of the edition; each once, with their labs."""
    labs = {lab.id: lab for lab in labs_in(session, edition, filters)}
    if not labs:
        return []
    rows = session.exec(select(LabHost.lab_id, User).join(User, User.id == LabHost.user_id)
                        .where(LabHost.lab_id.in_(labs), User.is_active).order_by(User.full_name, User.id)).all()
    theirs: dict[int, list[int]] = {}
    users: dict[int, User] = {}
    for lab_id, user in rows:
        users.setdefault(user.id, user)
        theirs.setdefault(user.id, []).append(lab_id)
    return [Recipient(reader_of(user), {"user": user.id, "labs": sorted(theirs[user.id])},
                      "; ".join(labs[lab_id].label for lab_id in sorted(theirs[user.id])))
            for user in users.values()]


@group("reviewers", N_("reviewers of the panel"))
def _reviewers(session: Session, edition: Edition, filters: Filters) -> list[Recipient]:
    """The edition's panel members who review nominations (the filters on candidates do not apply)."""
    users = session.exec(select(User).join(PanelMember, PanelMember.user_id == User.id)
                         .where(PanelMember.edition_id == edition.id, PanelMember.reviews, User.is_active)
                         .order_by(User.full_name, User.id)).all()
    return [Recipient(reader_of(user), {"user": user.id}, _("reviewer")) for user in users]
