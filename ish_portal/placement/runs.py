"""Matching runs of an edition: the instance built from the database, runs stored with exactly
what went in and out, pins and capacities, publishing a run as offers, and the waitlist that fills
places freed by declined or expired offers. The engine (ish_portal.matching) decides every
placement; this module only feeds it and turns its answers into rows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, func, select

from ish_portal.errors import DomainError
from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor, record
from ish_portal.db import holding_what_is_read, read_once, transaction, utcnow
from ish_portal.labs.models import Lab, LabRanking
from ish_portal.matching import api as engine
from ish_portal.matching.errors import InstanceError
from ish_portal.nominations.models import LabPreference, Nomination, NominationStatus
from ish_portal.notifications.models import OutboxMessage, OutboxStatus
from ish_portal.nominations.messages import candidate_reader
from ish_portal.nominations.service import status_label
from ish_portal.notifications.service import enqueue, release_drafts
from ish_portal.placement import offers
from ish_portal.placement.models import MatchRun, Pin
from ish_portal.programme.models import Edition, Organisation
from ish_portal.text.i18n import gettext as _

MODES = engine.MODES
MAX_SEED = 2**31 - 1




def student_key(nomination_id: int) -> str:
    return f"n{nomination_id}"


def lab_key(lab_id: int) -> str:
    return f"lab{lab_id}"


def nomination_id_of(key: str) -> int:
    return int(key[1:])


def lab_id_of(key: str) -> int:
    return int(key[3:])


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED)


# -- building the instance ---------------------------------------------------------------------

def _priority_key(nomination: Nomination):
    # Higher review score first, unscored last, then who was submitted first; the id keeps ties stable.
    far_future = datetime.max.replace(tzinfo=UTC)
    return (nomination.review_score is None, -(nomination.review_score or 0),
            nomination.submitted_at or far_future, nomination.id)


def lab_choices(session: Session, edition_id: int) -> list[Lab]:
    """The labs a pin may name, for a page that reads the edition's labs anyway (_labs_by_id)."""
    return sorted((lab for lab in _labs_by_id(session, edition_id).values() if not lab.retired),
                  key=lambda lab: (lab.institute, lab.group_name, lab.id))


def active_labs(session: Session, edition_id: int) -> list[Lab]:
    return list(session.exec(select(Lab).where(Lab.edition_id == edition_id, Lab.retired == False)  # noqa: E712
                             .order_by(Lab.institute, Lab.group_name, Lab.id)
                             .execution_options(populate_existing=True)).all())


def _preferences(session: Session, nomination_ids: list[int], lab_ids: set[int]) -> dict[int, list[int]]:
    preferences: dict[int, list[int]] = {nomination_id: [] for nomination_id in nomination_ids}
    if not nomination_ids:
        return preferences
    rows = session.exec(select(LabPreference).where(LabPreference.nomination_id.in_(nomination_ids))
                        .order_by(LabPreference.nomination_id, LabPreference.rank)).all()
    for row in rows:
        if row.lab_id in lab_ids:  # a retired lab drops out; the ones below move up
            preferences[row.nomination_id].append(row.lab_id)
    return preferences


def _lab_rankings(session: Session, lab_ids: list[int], nomination_ids: set[int]) -> dict[int, list[int]]:
    rankings: dict[int, list[int]] = {lab_id: [] for lab_id in lab_ids}
    if not lab_ids:
        return rankings
    rows = session.exec(select(LabRanking).where(LabRanking.lab_id.in_(lab_ids))
                        .order_by(LabRanking.lab_id, LabRanking.rank, LabRanking.nomination_id)).all()
    for row in rows:
        if row.nomination_id in nomination_ids:
            rankings[row.lab_id].append(row.nomination_id)
    return rankings


def _student_entry(nomination: Nomination, edition: Edition, preferences: list[int]) -> dict:
    # An unknown birth date counts as age 0, so no lab with a minimum age takes the student by mistake.
    age = nomination.age_on(edition.starts_on)
    return {"id": student_key(nomination.id), "organisation": f"org{nomination.organisation_id}",
            "age": max(age, 0) if age is not None else 0,
            "languages": sorted(set(nomination.working_languages or [])),
            "preferences": [lab_key(lab_id) for lab_id in preferences]}


def _instance(session: Session, edition: Edition, nominations: list[Nomination], seed: int,
              extra_pins: dict[int, int] | None = None, excluded: dict[int, set[int]] | None = None,
              held: dict[int, int] | None = None) -> dict:
    """The engine's input. `excluded` takes labs out of some students' preferences (the
    waitlist's: labs whose offer to them the organisers discarded unsent); `held` takes seats
    that students outside the instance hold out of each lab's capacity."""
    labs = active_labs(session, edition.id)
    lab_ids = {lab.id for lab in labs}
    nominations = sorted(nominations, key=_priority_key)
    ids = [nomination.id for nomination in nominations]
    preferences = _preferences(session, ids, lab_ids)
    for nomination_id, labs_out in (excluded or {}).items():
        if nomination_id in preferences:
            preferences[nomination_id] = [lab for lab in preferences[nomination_id] if lab not in labs_out]
    rankings = _lab_rankings(session, [lab.id for lab in labs], set(ids))
    pins = {}
    if ids:
        for pin in session.exec(select(Pin).where(Pin.nomination_id.in_(ids))).all():
            if pin.lab_id in lab_ids:
                pins[student_key(pin.nomination_id)] = lab_key(pin.lab_id)
    for nomination_id, lab_id in (extra_pins or {}).items():
        pins[student_key(nomination_id)] = lab_key(lab_id)
    lab_entries = []
    for lab in labs:
        entry: dict[str, Any] = {"id": lab_key(lab.id), "capacity": max(lab.capacity - (held or {}).get(lab.id, 0), 0),
                                 "organisation_cap": lab.organisation_cap, "min_age": lab.min_age,
                                 "languages": sorted(set(lab.languages or []))}
        if rankings[lab.id]:
            entry["ranking"] = [student_key(n) for n in rankings[lab.id]]
        lab_entries.append(entry)
    return {
        "seed": seed,
        # Every student is listed, so the review order is the organisers' and never the lottery's.
        "priority": [student_key(n) for n in ids],
        "pins": pins,
        "students": [_student_entry(n, edition, preferences[n.id]) for n in nominations],
        "labs": lab_entries,
    }


def matchable():
    """Who matching may place: approved, and no consent withdrawn (a withdrawn consent holds the
    nomination where it is until it is given again)."""
    return (Nomination.status == NominationStatus.APPROVED) & Nomination.consent_withdrawn_at.is_(None)


def approved_nominations(session: Session, edition_id: int) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(Nomination.edition_id == edition_id, matchable())
                             .execution_options(populate_existing=True)).all())


def build_instance(session: Session, edition: Edition, seed: int = 0) -> dict:
    """The engine's input for the edition's approved nominations and its labs, as it stands now:
    a seat someone already holds (an offer made, answered or proposed) is not there to give."""
    return _instance(session, edition, approved_nominations(session, edition.id), seed,
                     held=offers.seats_held(session, edition.id))


# -- closing the preferences -------------------------------------------------------------------

def published_run(session: Session, edition_id: int, *, lock: bool = False) -> MatchRun | None:
    query = select(MatchRun).where(MatchRun.edition_id == edition_id, MatchRun.published_at.is_not(None))
    if lock:
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def lock_preferences(session: Session, user: User, edition_id: int) -> None:
    with transaction(session):
        edition = session.get(Edition, edition_id, populate_existing=True)
        if edition.preferences_locked_at is not None and edition.preferences_locked_at <= utcnow():
            raise DomainError(_("The lab preferences are already closed."))
        before = edition.preferences_locked_at
        edition.preferences_locked_at = utcnow()
        session.add(edition)
        record(session, Actor.of_user(user), "preferences_locked", "edition", edition.id,
               changes={"preferences_locked_at": [str(before) if before else None,
                                                  edition.preferences_locked_at.isoformat()]},
               edition_id=edition.id)


def reopen_preferences(session: Session, user: User, edition_id: int) -> None:
    with transaction(session):
        edition = session.get(Edition, edition_id, populate_existing=True)
        if published_run(session, edition_id) is not None:
            raise DomainError(_("A run has been published: the lab preferences stay closed."))
        if edition.preferences_locked_at is None:
            raise DomainError(_("The lab preferences are open."))
        before = edition.preferences_locked_at
        edition.preferences_locked_at = None
        session.add(edition)
        record(session, Actor.of_user(user), "preferences_reopened", "edition", edition.id,
               changes={"preferences_locked_at": [before.isoformat(), None]}, edition_id=edition.id)


def preferences_closed(edition: Edition) -> bool:
    return edition.preferences_locked_at is not None and edition.preferences_locked_at <= utcnow()


# -- runs --------------------------------------------------------------------------------------

def instance_error_message(error: InstanceError) -> str:
    problems = getattr(error, "problems", None) or [str(error)]
    return _("The matching engine refused the input: %(problems)s", problems="; ".join(map(str, problems)))


def create_run(session: Session, user: User, edition_id: int, mode: str, seed: int) -> MatchRun:
    """Run the engine on the edition as it stands and store the run with its exact input."""
    if mode not in MODES:
        raise DomainError(_("Choose a mode."))
    with transaction(session):
        edition = session.get(Edition, edition_id, populate_existing=True)
        instance = build_instance(session, edition, seed)
        if not instance["students"]:
            raise DomainError(_("No nomination is approved yet: there is nobody to place."))
        if not instance["labs"]:
            raise DomainError(_("There are no labs to place students in."))
        try:
            result = engine.solve(instance, mode=mode, seed=seed)
        except InstanceError as error:
            raise DomainError(instance_error_message(error)) from None
        run = MatchRun(edition_id=edition.id, mode=mode, seed=seed, instance=instance, result=result,
                       created_by_id=user.id)
        session.add(run)
        session.flush()
        record(session, Actor.of_user(user), "match_run_created", "match_run", run.id,
               changes={"mode": mode, "seed": seed, "placed": result["stats"]["placed"],
                        "unplaced": result["stats"]["unplaced"]}, edition_id=edition.id)
    return run


def get_run(session: Session, edition_id: int, run_id: int) -> MatchRun | None:
    return session.exec(select(MatchRun).where(MatchRun.id == run_id, MatchRun.edition_id == edition_id)
                        .execution_options(populate_existing=True)).first()


@dataclass
class RunRow:
    run: MatchRun
    created_by: str
    placed: int
    unplaced: int


def runs_page(session: Session, edition_id: int, page: int = 1, per_page: int = 20) -> tuple[list[RunRow], int]:
    total = session.exec(select(func.count()).select_from(MatchRun).where(MatchRun.edition_id == edition_id)).one()
    runs = session.exec(select(MatchRun).where(MatchRun.edition_id == edition_id)
                        .order_by(MatchRun.created_at.desc(), MatchRun.id.desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    names = _user_names(session, {run.created_by_id for run in runs})
    rows = [RunRow(run, names.get(run.created_by_id, ""), run.result["stats"]["placed"],
                   run.result["stats"]["unplaced"]) for run in runs]
    return rows, total


def all_runs(session: Session, edition_id: int) -> list[MatchRun]:
    return list(session.exec(select(MatchRun).where(MatchRun.edition_id == edition_id)
                             .order_by(MatchRun.id.desc())).all())


def _user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {user.id: user.full_name for user in session.exec(select(User).where(User.id.in_(ids))).all()}


def _names(session: Session, nomination_ids: list[int]) -> dict[int, Nomination]:
    if not nomination_ids:
        return {}
    # A run's page reads the same candidates for its rows, its figures and what changed since.
    return read_once(session, ("nominations", frozenset(nomination_ids)), lambda: {
        n.id: n for n in session.exec(select(Nomination).where(Nomination.id.in_(nomination_ids))).all()})


def _labs_by_id(session: Session, edition_id: int) -> dict[int, Lab]:
    return read_once(session, ("labs", edition_id), lambda: {
        lab.id: lab for lab in session.exec(select(Lab).where(Lab.edition_id == edition_id)).all()})


def _organisation_names(session: Session) -> dict[int, str]:
    return {o.id: o.name for o in session.exec(select(Organisation)).all()}


def reason_words(reasons: list[str], lab: dict | None) -> str:
    """The engine's reasons for one higher choice, said in words."""
    words = []
    for reason in reasons:
        if reason == "min_age":
            words.append(_("not eligible: below the lab's minimum age of %(age)s", age=(lab or {}).get("min_age")))
        elif reason == "language":
            words.append(_("not eligible: no common working language (the lab works in %(languages)s)",
                           languages=", ".join((lab or {}).get("languages") or [])))
        elif reason == "organisation_cap":
            words.append(_("the lab's cap of students from the same organisation was reached"))
        elif reason == "full" and (lab or {}).get("capacity") == 0:
            # No seat at all in this run (none offered, or all held by students placed before).
            words.append(_("no seat: the lab has none free in this run"))
        elif reason == "full" and (lab or {}).get("ranking"):
            # The lab's own ranking decided: its order puts the students it ranked first.
            words.append(_("full: the lab ranked others higher"))
        elif reason == "full":
            words.append(_("full with students of higher priority"))
        else:
            words.append(reason)
    return "; ".join(words) if words else _("no reason given")


@dataclass
class Choice:
    rank: int
    lab: str
    why: str


@dataclass
class StudentRow:
    nomination_id: int
    name: str
    organisation: str
    status: str
    lab_id: int | None
    lab: str
    rank: int | None
    higher: list[Choice] = field(default_factory=list)


@dataclass
class LabRow:
    lab_id: int
    label: str
    capacity: int
    filled: int
    organisations: int
    organisation_names: list[str]


@dataclass
class RunView:
    run: MatchRun
    created_by: str
    students: list[StudentRow]
    total_students: int
    labs: list[LabRow]
    histogram: list[tuple[str, int]]
    histogram_max: int
    stats: dict
    violations: list[str]
    pins: dict[int, int]


def run_view(session: Session, run: MatchRun, page: int = 1, per_page: int = 100) -> RunView:
    """What the preview shows: each student's place, the reasons in words, the figures."""
    result = run.result
    lab_entries = {entry["id"]: entry for entry in run.instance["labs"]}
    labs = _labs_by_id(session, run.edition_id)
    organisation_names = _organisation_names(session)
    order = run.instance.get("priority") or [s["id"] for s in run.instance["students"]]
    student_org = {s["id"]: s["organisation"] for s in run.instance["students"]}
    shown = order[(page - 1) * per_page: page * per_page]
    nominations = _names(session, [nomination_id_of(key) for key in shown])

    def label(key: str | None) -> str:
        if key is None:
            return ""
        lab = labs.get(lab_id_of(key))
        return lab.label if lab else key

    rows = []
    for key in shown:
        explanation = result["explanations"][key]
        nomination = nominations.get(nomination_id_of(key))
        higher = [Choice(choice["rank"], label(choice["lab"]),
                         reason_words(choice["reasons"], lab_entries.get(choice["lab"])))
                  for choice in explanation.get("higher_choices", [])]
        rows.append(StudentRow(
            nomination_id=nomination_id_of(key),
            name=nomination.display_name if nomination else key,
            organisation=organisation_names.get(nomination.organisation_id, "") if nomination else "",
            status=explanation["status"], lab_id=lab_id_of(explanation["lab"]) if explanation["lab"] else None,
            lab=label(explanation["lab"]), rank=explanation["rank"], higher=higher))

    organisations_at: dict[str, set[str]] = {}
    for student, lab in result["assignments"].items():
        if lab is not None:
            organisation_id = int(student_org[student][3:])
            organisations_at.setdefault(lab, set()).add(organisation_names.get(organisation_id, ""))
    lab_rows = [LabRow(lab_id_of(key), label(key), figures["capacity"], figures["filled"],
                       figures["organisations"], sorted(organisations_at.get(key, set())))
                for key, figures in result["stats"]["labs"].items()]
    histogram = list(result["stats"]["ranks"].items())
    verification = result.get("verification", {})
    violations = list(verification.get("violations", []))
    violations += [_("blocking pair: %(student)s and %(lab)s", student=pair["student"], lab=pair["lab"])
                   for pair in verification.get("blocking_pairs", [])] if run.mode == "stable" else []
    pins = {nomination_id_of(s): lab_id_of(lab) for s, lab in (run.instance.get("pins") or {}).items()}
    return RunView(run=run, created_by=_user_names(session, {run.created_by_id}).get(run.created_by_id, ""),
                   students=rows, total_students=len(order), labs=lab_rows, histogram=histogram,
                   histogram_max=max([count for _, count in histogram] or [0]), stats=result["stats"],
                   violations=violations, pins=pins)


@dataclass
class Move:
    name: str
    before: str
    after: str


@dataclass
class Comparison:
    first: MatchRun
    second: MatchRun
    moved: list[Move]
    ranks: list[tuple[str, int, int]]
    histogram_max: int


def compare_runs(session: Session, first: MatchRun, second: MatchRun) -> Comparison:
    """Who is placed differently in `second` than in `first`, and the figures side by side."""
    labs = _labs_by_id(session, first.edition_id)
    before, after = first.result["assignments"], second.result["assignments"]
    changed = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    nominations = _names(session, [nomination_id_of(key) for key in changed])

    def label(key: str | None) -> str:
        if key is None:
            return _("unplaced")
        lab = labs.get(lab_id_of(key))
        return lab.label if lab else key

    moved = [Move(nominations[nomination_id_of(key)].display_name if nomination_id_of(key) in nominations else key,
                  label(before.get(key)) if key in before else _("not in this run"),
                  label(after.get(key)) if key in after else _("not in this run"))
             for key in changed]
    moved.sort(key=lambda move: move.name)
    first_ranks, second_ranks = first.result["stats"]["ranks"], second.result["stats"]["ranks"]
    keys = sorted(set(first_ranks) | set(second_ranks), key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0))
    ranks = [(key, first_ranks.get(key, 0), second_ranks.get(key, 0)) for key in keys]
    top = max([max(a, b) for _, a, b in ranks] or [0])
    return Comparison(first, second, moved, ranks, top)


# -- pins and capacities -----------------------------------------------------------------------

def pins_of_edition(session: Session, edition_id: int) -> list[tuple[Pin, Nomination, Lab]]:
    return list(session.exec(select(Pin, Nomination, Lab).join(Nomination, Nomination.id == Pin.nomination_id)
                             .join(Lab, Lab.id == Pin.lab_id).where(Nomination.edition_id == edition_id)
                             .order_by(Nomination.family_name, Nomination.given_name)).all())


def pin(session: Session, user: User, edition_id: int, nomination_id: int, lab_id: int) -> Pin:
    """Fix a student to a lab for every later run (eligibility and capacity are the engine's to check)."""
    with transaction(session):
        nomination = session.get(Nomination, nomination_id)
        lab = session.get(Lab, lab_id)
        if nomination is None or nomination.edition_id != edition_id:
            raise DomainError(_("Choose a student of this edition."))
        if lab is None or lab.edition_id != edition_id or lab.retired:
            raise DomainError(_("Choose a lab of this edition."))
        existing = session.get(Pin, nomination_id)
        before = existing.lab_id if existing else None
        if existing is None:
            existing = Pin(nomination_id=nomination_id, lab_id=lab_id, created_by_id=user.id)
        existing.lab_id, existing.created_by_id, existing.created_at = lab_id, user.id, utcnow()
        session.add(existing)
        labels = {id_: lab.label for id_, lab in _labs_by_id(session, edition_id).items()}
        record(session, Actor.of_user(user), "pin_set", "nomination", nomination_id,
               changes={"lab": [labels.get(before), labels.get(lab_id)]}, edition_id=edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination_id)
    return existing


def unpin(session: Session, user: User, edition_id: int, nomination_id: int) -> None:
    with transaction(session):
        existing = session.get(Pin, nomination_id)
        nomination = session.get(Nomination, nomination_id)
        if existing is None or nomination is None or nomination.edition_id != edition_id:
            raise DomainError(_("This student is not pinned."))
        record(session, Actor.of_user(user), "pin_removed", "nomination", nomination_id,
               changes={"lab": [_labs_by_id(session, edition_id)[existing.lab_id].label, None]},
               edition_id=edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination_id)
        session.delete(existing)


def set_lab_capacity(session: Session, user: User, edition_id: int, lab_id: int, capacity: int) -> Lab:
    if capacity < 0 or capacity > 1000:
        raise DomainError(_("Enter a number of seats between 0 and 1000."))
    with transaction(session):
        lab = session.get(Lab, lab_id, populate_existing=True)
        if lab is None or lab.edition_id != edition_id:
            raise DomainError(_("Choose a lab of this edition."))
        before = lab.capacity
        lab.capacity = capacity
        session.add(lab)
        record(session, Actor.of_user(user), "lab_capacity_changed", "lab", lab.id,
               changes={"capacity": [before, capacity]}, edition_id=edition_id)
    return lab


# -- publishing --------------------------------------------------------------------------------

def publication_problems(session: Session, run: MatchRun) -> list[str]:
    """Why the run cannot be published as it is: placements that no longer fit the approvals and
    labs, and every input that changed since the run was made."""
    problems = []
    placed = {nomination_id_of(s): lab_id_of(lab) for s, lab in run.result["assignments"].items() if lab}
    nominations = _names(session, list(placed))
    labs = _labs_by_id(session, run.edition_id)
    for nomination_id, lab_id in placed.items():
        nomination = nominations.get(nomination_id)
        if nomination is None or nomination.status != NominationStatus.APPROVED:
            name = nomination.display_name if nomination else student_key(nomination_id)
            status = status_label(nomination.status) if nomination else _("deleted")
            problems.append(_("%(name)s is no longer approved (now %(status)s).", name=name, status=status))
        elif nomination.consent_withdrawn_at is not None:
            problems.append(_("%(name)s: a consent has been withdrawn.", name=nomination.display_name))
        lab = labs.get(lab_id)
        if lab is None or lab.retired:
            problems.append(_("The lab %(lab)s has been retired.", lab=lab.label if lab else lab_key(lab_id)))
    return problems + changes_since(session, run)


def changes_since(session: Session, run: MatchRun) -> list[str]:
    """What differs between the run's stored input and the edition as it stands now, in words:
    approved students, their preferences, labs' capacities, caps, minimum ages, languages and
    rankings, pins, and the review order (scores)."""
    edition = session.get(Edition, run.edition_id)
    before, now = run.instance, build_instance(session, edition, run.seed)
    labs = _labs_by_id(session, run.edition_id)
    changes: list[str] = []
    students_before = {s["id"]: s for s in before.get("students", [])}
    students_now = {s["id"]: s for s in now["students"]}
    names = _names(session, [nomination_id_of(k) for k in set(students_before) | set(students_now)])

    def who(key: str) -> str:
        nomination = names.get(nomination_id_of(key))
        return nomination.display_name if nomination else key

    def lab_name(key: str) -> str:
        lab = labs.get(lab_id_of(key))
        return lab.label if lab else key

    for key in sorted(set(students_now) - set(students_before), key=who):
        changes.append(_("%(name)s has been approved since the run.", name=who(key)))
    for key in sorted(set(students_before) - set(students_now), key=who):
        changes.append(_("%(name)s is no longer approved.", name=who(key)))
    for key in sorted(set(students_now) & set(students_before), key=who):
        old, new = students_before[key], students_now[key]
        if old["preferences"] != new["preferences"]:
            changes.append(_("%(name)s changed their lab preferences.", name=who(key)))
        if old.get("languages") != new.get("languages") or old.get("age") != new.get("age"):
            changes.append(_("%(name)s's working languages or date of birth changed.", name=who(key)))
    labs_before = {lab["id"]: lab for lab in before.get("labs", [])}
    labs_now = {lab["id"]: lab for lab in now["labs"]}
    for key in sorted(set(labs_now) - set(labs_before), key=lab_name):
        changes.append(_("The lab %(lab)s has been added.", lab=lab_name(key)))
    for key in sorted(set(labs_before) - set(labs_now), key=lab_name):
        changes.append(_("The lab %(lab)s is no longer offered.", lab=lab_name(key)))
    for key in sorted(set(labs_now) & set(labs_before), key=lab_name):
        old, new = labs_before[key], labs_now[key]
        if old.get("capacity") != new.get("capacity"):
            changes.append(_("The capacity of %(lab)s changed from %(old)s to %(new)s.",
                             lab=lab_name(key), old=old.get("capacity"), new=new.get("capacity")))
        if old.get("organisation_cap") != new.get("organisation_cap"):
            changes.append(_("The cap per organisation of %(lab)s changed.", lab=lab_name(key)))
        if old.get("min_age") != new.get("min_age"):
            changes.append(_("The minimum age of %(lab)s changed.", lab=lab_name(key)))
        if old.get("languages") != new.get("languages"):
            changes.append(_("The working languages of %(lab)s changed.", lab=lab_name(key)))
        if old.get("ranking") != new.get("ranking"):
            changes.append(_("%(lab)s changed its own ranking of the candidates.", lab=lab_name(key)))
    pins_before, pins_now = before.get("pins") or {}, now.get("pins") or {}
    for key in sorted(set(pins_before) | set(pins_now), key=who):
        if pins_before.get(key) != pins_now.get(key):
            if key in pins_now:
                changes.append(_("%(name)s is now pinned to %(lab)s.", name=who(key), lab=lab_name(pins_now[key])))
            else:
                changes.append(_("The pin of %(name)s has been removed.", name=who(key)))
    if [k for k in before.get("priority", []) if k in students_now] != [k for k in now["priority"] if k in students_before]:
        changes.append(_("Review scores changed the order in which students are placed."))
    return changes


def publish_run(session: Session, user: User, edition_id: int, run_id: int, now: datetime | None = None) -> int:
    """Turn every placement of the run into a proposed offer whose email waits as a draft, in one
    transaction. An offer is released, and its response time starts, when its email is sent.
    Returns how many offers were made."""
    now = now or utcnow()
    with transaction(session), holding_what_is_read(session):  # an email to each: see the helper
        edition = session.get(Edition, edition_id, populate_existing=True)
        run = session.exec(select(MatchRun).where(MatchRun.id == run_id, MatchRun.edition_id == edition_id)
                           .with_for_update().execution_options(populate_existing=True)).first()
        if run is None:
            raise DomainError(_("This run does not exist."))
        if published_run(session, edition_id) is not None:
            raise DomainError(_("A run of this edition has already been published."))
        problems = publication_problems(session, run)
        if problems:
            raise DomainError(_("This run no longer matches the edition as it stands. Run the matching again."),
                              details=problems)
        labs = _labs_by_id(session, edition_id)
        actor = Actor.of_user(user)
        placed = [(nomination_id_of(s), lab_id_of(lab)) for s, lab in run.result["assignments"].items() if lab]
        nominations = _names(session, [n for n, _lab in placed])
        for nomination_id, lab_id in placed:
            nomination = nominations[nomination_id]
            offer = offers.propose(session, nomination, labs[lab_id], run.id, actor, now)
            enqueue(session, "offer_made", candidate_reader(session, nomination), {"offer": offer.id},
                    edition_id=edition_id, nomination_id=nomination_id, batch=run_batch(run.id), draft=True)
        run.published_at = edition.offers_published_at = now
        session.add_all([run, edition])
        if edition.preferences_locked_at is None or edition.preferences_locked_at > now:
            edition.preferences_locked_at = now  # published placements rest on the preferences as they are
            session.add(edition)
        record(session, actor, "match_run_published", "match_run", run.id,
               changes={"offers": len(placed), "mode": run.mode, "seed": run.seed}, edition_id=edition_id)
    return len(placed)


def run_batch(run_id: int) -> str:
    return f"run-{run_id}"


def draft_count(session: Session, run_id: int) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.batch == run_batch(run_id), OutboxMessage.status == OutboxStatus.DRAFT)).one()


def send_run_drafts(session: Session, user: User, edition_id: int, run_id: int) -> int:
    """Release every offer email of the published run still waiting as a draft: each offer is
    released as its email goes out (the same as sending the run's batch on the messages page)."""
    run = get_run(session, edition_id, run_id)
    if run is None or run.published_at is None:
        raise DomainError(_("Only a published run has emails to send."))
    return release_drafts(session, Actor.of_user(user), edition_id, run_batch(run_id))


