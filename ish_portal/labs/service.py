"""Host labs of an edition, and who may work in which (the same rules the matching engine applies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from ish_portal.errors import DomainError, NotFound
from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction
from ish_portal.labs.csv_io import LabRow, lab_key, labs_csv
from ish_portal.labs.forms import FIELDS, LabForm
from ish_portal.labs.models import Lab, LabHost
from ish_portal.programme.models import Edition
from ish_portal.programme.service import when_an_edition_is_copied
from ish_portal.text.i18n import gettext as _, language_name


def active_labs(session: Session, edition_id: int) -> list[Lab]:
    return list(session.exec(select(Lab).where(Lab.edition_id == edition_id, Lab.retired == False)  # noqa: E712
                             .order_by(Lab.institute, Lab.group_name)).all())


def why_not_eligible(lab: Lab, age: int | None, languages: list[str]) -> str | None:
    """Why a student cannot take this lab, in words; None when they can. The matching engine
    applies the same two rules: the lab's minimum age on the first day, and a shared language."""
    if lab.min_age is not None and (age is None or age < lab.min_age):
        if age is None:
            return _("This lab takes students from %(min)d; your date of birth is missing.", min=lab.min_age)
        return _("This lab takes students from %(min)d; you will be %(age)d on the first day.",
                 min=lab.min_age, age=age)
    if lab.languages and not set(lab.languages) & set(languages):
        return _("This lab works in %(languages)s, which is not among your working languages.",
                 languages=", ".join(language_name(code) for code in lab.languages))
    return None


# -- the organisers' pages ----------------------------------------------------------------------







@dataclass(frozen=True)
class LabList:
    active: list[Lab]
    retired: list[Lab]

    @property
    def seats(self) -> int:
        return sum(lab.capacity for lab in self.active)


def edition_labs(session: Session, edition_id: int) -> LabList:
    labs = _all_labs(session, edition_id)
    return LabList([lab for lab in labs if not lab.retired], [lab for lab in labs if lab.retired])


def _all_labs(session: Session, edition_id: int) -> list[Lab]:
    return list(session.exec(select(Lab).where(Lab.edition_id == edition_id)
                             .order_by(Lab.institute, Lab.group_name, Lab.id)).all())


def get_lab(session: Session, edition_id: int, lab_id: int) -> Lab:
    """A lab of this edition; another edition's lab is as unknown as a missing one."""
    lab = session.get(Lab, lab_id)
    if lab is None or lab.edition_id != edition_id:
        raise NotFound()
    return lab


def lab_values(lab: Lab) -> dict[str, Any]:
    return {name: getattr(lab, name) for name in FIELDS}


def _lock_edition(session: Session, edition_id: int) -> None:
    # Lab changes of one edition queue up behind each other (SQLite's write lock does the same),
    # so two organisers cannot both add "the same" lab or import over each other.
    if session.exec(select(Edition.id).where(Edition.id == edition_id).with_for_update()).first() is None:
        raise DomainError(_("No such edition."))


def _check_unique(session: Session, edition_id: int, form: LabForm, lab_id: int | None) -> None:
    key = lab_key(form.institute, form.group_name)
    for other in _all_labs(session, edition_id):
        if other.id != lab_id and lab_key(other.institute, other.group_name) == key:
            raise DomainError(_("%(institute)s already has a lab of the group %(group)s in this edition.",
                             institute=other.institute, group=other.group_name))


def create_lab(session: Session, organiser: User, edition_id: int, form: LabForm,
               retired: bool = False) -> Lab:
    with transaction(session):
        _lock_edition(session, edition_id)
        _check_unique(session, edition_id, form, None)
        return _create(session, Actor.of_user(organiser), edition_id, form, retired)


def _create(session: Session, actor: Actor, edition_id: int, form: LabForm, retired: bool) -> Lab:
    lab = Lab(edition_id=edition_id, retired=retired, **form.model_dump())
    session.add(lab)
    session.flush()
    if form.organisation_cap is None:
        # The ORM leaves a None out of the INSERT, so the column's default cap of 1 is stored;
        # setting "no cap" again after the insert writes the NULL that was asked for.
        lab.organisation_cap = None
        session.flush()
    record(session, actor, "lab_created", "lab", lab.id,
           changes={name: [None, value] for name, value in lab_values(lab).items() if value not in ("", None, [])},
           to_state="retired" if retired else "active", edition_id=edition_id)
    return lab


def update_lab(session: Session, organiser: User, edition_id: int, lab_id: int, form: LabForm) -> Lab:
    with transaction(session):
        _lock_edition(session, edition_id)
        lab = get_lab(session, edition_id, lab_id)
        _check_unique(session, edition_id, form, lab.id)
        _update(session, Actor.of_user(organiser), lab, form)
    return lab


def _update(session: Session, actor: Actor, lab: Lab, form: LabForm) -> bool:
    changes = {}
    for name, new in form.model_dump().items():
        old = getattr(lab, name)
        same = set(old or []) == set(new) if name == "languages" else old == new
        if not same:
            changes[name] = [old, new]
            setattr(lab, name, new)
    if changes:
        session.add(lab)
        record(session, actor, "lab_changed", "lab", lab.id, changes=changes, edition_id=lab.edition_id)
    return bool(changes)


def retire_lab(session: Session, organiser: User, edition_id: int, lab_id: int) -> Lab:
    """No longer offered to applicants; everything that refers to the lab stays."""
    return _set_retired(session, Actor.of_user(organiser), edition_id, lab_id, True)


def reinstate_lab(session: Session, organiser: User, edition_id: int, lab_id: int) -> Lab:
    return _set_retired(session, Actor.of_user(organiser), edition_id, lab_id, False)


def _set_retired(session: Session, actor: Actor, edition_id: int, lab_id: int, retired: bool) -> Lab:
    with transaction(session):
        _lock_edition(session, edition_id)
        lab = get_lab(session, edition_id, lab_id)
        if lab.retired == retired:
            raise DomainError(_("This lab is already retired.") if retired else _("This lab is not retired."))
        _retire(session, actor, lab, retired)
    return lab


def _retire(session: Session, actor: Actor, lab: Lab, retired: bool) -> None:
    lab.retired = retired
    session.add(lab)
    record(session, actor, "lab_retired" if retired else "lab_reinstated", "lab", lab.id,
           from_state="active" if retired else "retired", to_state="retired" if retired else "active",
           edition_id=lab.edition_id)


# -- CSV ----------------------------------------------------------------------------------------

def export_labs(session: Session, edition_id: int) -> bytes:
    return labs_csv(_all_labs(session, edition_id))


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int


def import_labs(session: Session, organiser: User, edition_id: int, rows: list[LabRow]) -> ImportResult:
    """Adds the rows' new labs and updates the existing ones (found by institute and group), all
    in one transaction: a refused row leaves every lab as it was."""
    actor = Actor.of_user(organiser)
    added = changed = unchanged = 0
    with transaction(session):
        _lock_edition(session, edition_id)
        existing: dict[tuple[str, str], list[Lab]] = {}
        for lab in _all_labs(session, edition_id):
            existing.setdefault(lab_key(lab.institute, lab.group_name), []).append(lab)
        for row in rows:
            matches = existing.get(lab_key(row.form.institute, row.form.group_name), [])
            if len(matches) > 1:
                raise DomainError(_("Row %(row)d: %(count)d labs of this edition have this institute and group; "
                                 "rename one of them first.", row=row.number, count=len(matches)))
            if not matches:
                _create(session, actor, edition_id, row.form, bool(row.retired))
                added += 1
                continue
            lab = matches[0]
            moved = _update(session, actor, lab, row.form)
            if row.retired is not None and row.retired != lab.retired:
                _retire(session, actor, lab, row.retired)
                moved = True
            if moved:
                changed += 1
            else:
                unchanged += 1
    return ImportResult(added, changed, unchanged)


# What a lab's host confirmed for one edition (hosts.service.confirm_lab): a copy starts without it.
CONFIRMATION = {"confirmed_at", "confirmed_by_id", "host_weeks", "confirmation_reminded_at"}


@when_an_edition_is_copied
def copy_labs(session: Session, last: Edition, edition: Edition) -> dict[str, int]:
    """A new edition starts with the last one's labs, as copies: the new year's changes leave
    history intact. Retired labs stay behind. The hosts keep their access to the copy, which waits
    for their confirmation of the new year."""
    labs = session.exec(select(Lab).where(Lab.edition_id == last.id, Lab.retired == False)).all()  # noqa: E712
    copies = {lab.id: Lab(edition_id=edition.id,
                          **lab.model_dump(exclude={"id", "edition_id", "created_at"} | CONFIRMATION))
              for lab in labs}
    session.add_all(copies.values())
    session.flush()
    hosts = session.exec(select(LabHost).where(LabHost.lab_id.in_(list(copies)))).all() if copies else []
    session.add_all(LabHost(lab_id=copies[host.lab_id].id, user_id=host.user_id) for host in hosts)
    return {"labs": len(copies)}
