"""What the panel is and how it reviews: each member's place on an edition's panel, the rubric and
the review settings, who reviews what (assignment.py decides, this applies it), the reviews
themselves, and the panel's combined score, written to Nomination.review_score through
nominations.review.write_review_score so that the matching's priority is the panel's.

A reviewer's queries are scoped to their own assignments: anything else answers NotFound."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func
from sqlmodel import Session, select

from ish_portal.accounts.models import PanelConflict, PanelMember, Role, User
from ish_portal.accounts.service import normalise_email, reader_of
from ish_portal.audit.service import SYSTEM, Actor, record
from ish_portal.db import transaction, utcnow
from ish_portal.errors import DomainError, NotFound
from ish_portal.nominations.models import Document, DocumentBlob, Nomination, NominationStatus as S
from ish_portal.nominations.review import write_review_score
from ish_portal.nominations.service import SELECTION_ACTIONS, Download, document_label
from ish_portal.notifications.service import enqueue
from ish_portal.panel import assignment, scoring
from ish_portal.panel.models import PanelScore, Review, ReviewScore, ReviewSettings, RubricCriterion
from ish_portal.programme.forms import parse_local
from ish_portal.programme.models import Edition, Organisation
from ish_portal.programme.service import when_an_edition_is_copied
from ish_portal.text.i18n import gettext as _

# The nominations the panel reviews: sent in and not yet decided against or withdrawn.
UNDER_REVIEW = (S.SUBMITTED, S.APPROVED)
# What a reviewer still sees of a nomination they were given (not a withdrawn or erased one).
SHOWN_TO_REVIEWERS = (S.SUBMITTED, S.APPROVED, S.REJECTED, S.OFFERED, S.ACCEPTED, S.DECLINED, S.EXPIRED)
# Reviewers with open reviews are reminded this long before the review deadline, once.
REMIND_BEFORE = timedelta(days=3)
MAX_SCALE = 10
SELECTION_ACTIONS.update({"review_submitted", "review_changed", "reviewer_added", "reviewer_removed",
                          "panel_score_overridden", "panel_override_removed"})


def memberships(session: Session, user: User) -> list[tuple[PanelMember, Edition]]:
    """The editions whose panel the person sits on, the newest first."""
    return list(session.exec(
        select(PanelMember, Edition).join(Edition, PanelMember.edition_id == Edition.id)
        .where(PanelMember.user_id == user.id).order_by(Edition.year.desc())).all())


# -- the rubric and the settings ----------------------------------------------------------------

def settings_of(session: Session, edition_id: int) -> ReviewSettings:
    """The edition's review settings (the defaults, not yet stored, when none were saved)."""
    return session.get(ReviewSettings, edition_id) or ReviewSettings(edition_id=edition_id)


def criteria(session: Session, edition_id: int) -> list[RubricCriterion]:
    return list(session.exec(select(RubricCriterion).where(RubricCriterion.edition_id == edition_id)
                             .order_by(RubricCriterion.position, RubricCriterion.id)).all())


class SettingsForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    reviews_per_nomination: int = Field(ge=1, le=10)
    blind_review: bool = False
    review_deadline: datetime | None = None
    standardise: bool = False

    @field_validator("blind_review", "standardise", mode="before")
    @classmethod
    def _ticked(cls, value):
        return value in ("1", "on", True)

    @field_validator("review_deadline", mode="before")
    @classmethod
    def _local(cls, value):
        if isinstance(value, str):
            return parse_local(value) if value.strip() else None
        return value


class CriterionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    scale_max: int = Field(default=5, ge=2, le=MAX_SCALE)
    weight: float = Field(default=1.0, gt=0, le=10)
    position: int = Field(default=0, ge=0, le=1000)


def save_settings(session: Session, organiser: User, edition: Edition, form: SettingsForm) -> ReviewSettings:
    with transaction(session):
        settings = session.get(ReviewSettings, edition.id) or ReviewSettings(edition_id=edition.id)
        before = settings.model_dump(exclude={"edition_id", "reminded_at"}, mode="json")
        standardise_before = settings.standardise
        if settings.review_deadline != form.review_deadline:
            settings.reminded_at = None  # a new deadline earns a new reminder
        for name, value in form.model_dump().items():
            setattr(settings, name, value)
        session.add(settings)
        after = settings.model_dump(exclude={"edition_id", "reminded_at"}, mode="json")
        record(session, Actor.of_user(organiser), "review_settings_changed", "edition", edition.id,
               changes={k: [before[k], after[k]] for k in after if before[k] != after[k]}, edition_id=edition.id)
        if standardise_before != settings.standardise:
            recompute(session, edition.id, Actor.of_user(organiser))
    return settings


def _criterion(session: Session, edition: Edition, criterion_id: int) -> RubricCriterion:
    criterion = session.get(RubricCriterion, criterion_id)
    if criterion is None or criterion.edition_id != edition.id:
        raise NotFound()
    return criterion


def save_criterion(session: Session, organiser: User, edition: Edition, form: CriterionForm,
                   criterion_id: int | None = None) -> RubricCriterion:
    """Adds a criterion (criterion_id None) or changes one; scores already given stay, and the
    panel's scores are worked out again with the new scale and weight."""
    with transaction(session):
        if criterion_id is None:
            criterion = RubricCriterion(edition_id=edition.id)
            if not form.position:
                form.position = 1 + max([c.position for c in criteria(session, edition.id)], default=0)
        else:
            criterion = _criterion(session, edition, criterion_id)
            highest = session.exec(select(func.max(ReviewScore.score))
                                   .where(ReviewScore.criterion_id == criterion.id)).one()
            if highest is not None and highest > form.scale_max:
                raise DomainError(fields={"scale_max": _(
                    "A reviewer already gave %(score)d for this criterion: the scale must go at least that high.",
                    score=highest)})
        for name, value in form.model_dump().items():
            setattr(criterion, name, value)
        session.add(criterion)
        session.flush()
        record(session, Actor.of_user(organiser), "rubric_changed", "criterion", criterion.id,
               changes={"criterion": criterion.name}, edition_id=edition.id)
        if criterion_id is not None:
            recompute(session, edition.id, Actor.of_user(organiser))
    return criterion


def delete_criterion(session: Session, organiser: User, edition: Edition, criterion_id: int) -> None:
    with transaction(session):
        criterion = _criterion(session, edition, criterion_id)
        used = session.exec(select(func.count()).select_from(ReviewScore)
                            .where(ReviewScore.criterion_id == criterion.id)).one()
        if used:
            raise DomainError(_("Reviewers have already scored this criterion; change it instead of deleting it."))
        session.delete(criterion)
        record(session, Actor.of_user(organiser), "rubric_changed", "criterion", criterion_id,
               changes={"deleted": criterion.name}, edition_id=edition.id)


@when_an_edition_is_copied
def copy_rubric(session: Session, last: Edition, edition: Edition) -> dict[str, int]:
    """A new edition starts with the last one's rubric and review settings (without its deadline)."""
    copied = 0
    for criterion in criteria(session, last.id):
        session.add(RubricCriterion(edition_id=edition.id, position=criterion.position, name=criterion.name,
                                    description=criterion.description, scale_max=criterion.scale_max,
                                    weight=criterion.weight))
        copied += 1
    old = session.get(ReviewSettings, last.id)
    if old is not None:
        session.add(ReviewSettings(edition_id=edition.id, reviews_per_nomination=old.reviews_per_nomination,
                                   blind_review=old.blind_review, standardise=old.standardise))
    return {"rubric criteria": copied}


# -- the members --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberRow:
    member: PanelMember
    user: User
    conflicts: list[Organisation]
    assigned: int
    done: int


def members(session: Session, edition_id: int) -> list[MemberRow]:
    """The edition's panel with each member's conflicts and progress (assigned, done)."""
    found = session.exec(select(PanelMember, User).join(User, User.id == PanelMember.user_id)
                         .where(PanelMember.edition_id == edition_id).order_by(User.full_name, User.id)).all()
    conflicts: dict[int, list[Organisation]] = defaultdict(list)
    for member_id, organisation in session.exec(
            select(PanelConflict.panel_member_id, Organisation)
            .join(Organisation, Organisation.id == PanelConflict.organisation_id)
            .join(PanelMember, PanelMember.id == PanelConflict.panel_member_id)
            .where(PanelMember.edition_id == edition_id).order_by(Organisation.name)).all():
        conflicts[member_id].append(organisation)
    counts = {member_id: (assigned, done or 0) for member_id, assigned, done in session.exec(
        select(Review.panel_member_id, func.count(), func.count(Review.submitted_at))
        .join(PanelMember, PanelMember.id == Review.panel_member_id)
        .where(PanelMember.edition_id == edition_id).group_by(Review.panel_member_id)).all()}
    return [MemberRow(member, user, conflicts[member.id], *counts.get(member.id, (0, 0))) for member, user in found]


def member_of(session: Session, edition_id: int, member_id: int) -> PanelMember:
    member = session.get(PanelMember, member_id)
    if member is None or member.edition_id != edition_id:
        raise NotFound()
    return member


def invite_member(session: Session, organiser: User, edition: Edition, *, email: str, full_name: str,
                  reviews: bool, interviews: bool, base_url: str, valid_for: timedelta) -> User:
    """Puts a person on the edition's panel. A new address gets a panel account and an invitation
    to choose a password; an existing panel account or an organiser is added (and told, with a
    link to choose a password if they never chose one)."""
    email = normalise_email(email)
    if not reviews and not interviews:
        raise DomainError(fields={"duties": _("Choose what they do on the panel: review, interview or both.")})
    with transaction(session):
        user = session.exec(select(User).where(User.email == email)).first()
        if user is not None and user.role not in (Role.PANEL, Role.ORGANISER):
            raise DomainError(fields={"email": _("This email address already belongs to another account.")})
        if user is None:
            user = User(email=email, full_name=full_name.strip() or email, role=Role.PANEL)
            session.add(user)
            session.flush()
        if session.exec(select(PanelMember).where(PanelMember.edition_id == edition.id,
                                                  PanelMember.user_id == user.id)).first():
            raise DomainError(fields={"email": _("%(name)s is already on this edition's panel.", name=user.full_name)})
        user.is_active = True
        session.add(user)
        member = PanelMember(edition_id=edition.id, user_id=user.id, reviews=reviews, interviews=interviews)
        session.add(member)
        session.flush()
        enqueue(session, "panel_invitation", reader_of(user),
                {"user": user.id, "member": member.id, "inviter": organiser.full_name, "days": valid_for.days},
                edition_id=edition.id, base_url=base_url)
        record(session, Actor.of_user(organiser), "panel_member_added", "panel_member", member.id,
               changes={"email": email, "reviews": reviews, "interviews": interviews}, edition_id=edition.id)
    return user


def set_duties(session: Session, organiser: User, edition: Edition, member_id: int, *, reviews: bool,
               interviews: bool) -> PanelMember:
    if not reviews and not interviews:
        raise DomainError(fields={"duties": _("Choose what they do on the panel: review, interview or both.")})
    with transaction(session):
        member = member_of(session, edition.id, member_id)
        if not reviews and session.exec(select(Review.id).where(Review.panel_member_id == member.id)).first():
            raise DomainError(fields={"duties": _(
                "They still have nominations to review; remove those first, or keep them as a reviewer.")})
        changes = {k: [getattr(member, k), v] for k, v in (("reviews", reviews), ("interviews", interviews))
                   if getattr(member, k) != v}
        member.reviews, member.interviews = reviews, interviews
        session.add(member)
        record(session, Actor.of_user(organiser), "panel_duties_changed", "panel_member", member.id,
               changes=changes, edition_id=edition.id)
    return member


def set_conflicts(session: Session, organiser: User, edition: Edition, member_id: int,
                  organisation_ids: list[int]) -> int:
    """Declares the member's conflicts (the whole set). Reviews not yet done of nominations from a
    conflicting organisation are taken away; returns how many."""
    with transaction(session):
        member = member_of(session, edition.id, member_id)
        known = set(session.exec(select(Organisation.id).where(Organisation.id.in_(organisation_ids))).all())
        session.exec(delete(PanelConflict).where(PanelConflict.panel_member_id == member.id))
        for organisation_id in sorted(known):
            session.add(PanelConflict(panel_member_id=member.id, organisation_id=organisation_id))
        open_reviews = session.exec(select(Review).join(Nomination, Nomination.id == Review.nomination_id).where(
            Review.panel_member_id == member.id, Review.submitted_at.is_(None),
            Nomination.organisation_id.in_(known))).all() if known else []
        for review in open_reviews:
            session.delete(review)
        record(session, Actor.of_user(organiser), "panel_conflicts_changed", "panel_member", member.id,
               changes={"organisations": sorted(known), "open_reviews_removed": len(open_reviews)},
               edition_id=edition.id)
    return len(open_reviews)


def _delete_reviews(session: Session, reviews: list[Review]) -> None:
    ids = [review.id for review in reviews]
    if ids:
        session.exec(delete(ReviewScore).where(ReviewScore.review_id.in_(ids)))
        session.exec(delete(Review).where(Review.id.in_(ids)))


def remove_member(session: Session, organiser: User, edition: Edition, member_id: int) -> User:
    """Takes a person off the edition's panel with their conflicts and reviews (done ones too: the
    panel's scores are worked out again without them). Their account stays."""
    with transaction(session):
        member = member_of(session, edition.id, member_id)
        user = session.get(User, member.user_id)
        reviews = list(session.exec(select(Review).where(Review.panel_member_id == member.id)).all())
        _delete_reviews(session, reviews)
        session.exec(delete(PanelConflict).where(PanelConflict.panel_member_id == member.id))
        session.delete(member)
        session.flush()
        record(session, Actor.of_user(organiser), "panel_member_removed", "panel_member", member_id,
               changes={"email": user.email, "reviews_removed": len(reviews)}, edition_id=edition.id)
        if any(review.submitted_at for review in reviews):
            recompute(session, edition.id, Actor.of_user(organiser))
    return user


# -- assignment ---------------------------------------------------------------------------------

def _reviewers(session: Session, edition_id: int) -> dict[int, assignment.Reviewer]:
    rows = session.exec(select(PanelMember.id, User.organisation_id).join(User, User.id == PanelMember.user_id)
                        .where(PanelMember.edition_id == edition_id, PanelMember.reviews, User.is_active)).all()
    conflicts: dict[int, set[int]] = defaultdict(set)
    for member_id, organisation_id in session.exec(
            select(PanelConflict.panel_member_id, PanelConflict.organisation_id)
            .join(PanelMember, PanelMember.id == PanelConflict.panel_member_id)
            .where(PanelMember.edition_id == edition_id)).all():
        conflicts[member_id].add(organisation_id)
    return {member_id: assignment.Reviewer(member_id, frozenset(conflicts[member_id] | (
        {own} if own is not None else set()))) for member_id, own in rows}


def apply_assignment(session: Session, edition_id: int) -> list[assignment.Pair]:
    """Adds the assignments assignment.assign proposes; caller holds the transaction."""
    needed = settings_of(session, edition_id).reviews_per_nomination
    candidates = [assignment.Candidate(nid, oid) for nid, oid in session.exec(
        select(Nomination.id, Nomination.organisation_id)
        .where(Nomination.edition_id == edition_id, Nomination.status.in_(UNDER_REVIEW))).all()]
    existing = session.exec(select(Review.nomination_id, Review.panel_member_id)
                            .join(PanelMember, PanelMember.id == Review.panel_member_id)
                            .where(PanelMember.edition_id == edition_id)).all()
    new = assignment.assign(candidates, _reviewers(session, edition_id).values(), existing, needed)
    for nomination_id, member_id in new:
        session.add(Review(panel_member_id=member_id, nomination_id=nomination_id))
    session.flush()
    return new


def assign_all(session: Session, organiser: User, edition: Edition) -> int:
    """Gives every nomination under review as many reviewers as the edition asks for (see
    assignment.assign); returns how many assignments were added."""
    with transaction(session):
        needed = settings_of(session, edition.id).reviews_per_nomination
        new = apply_assignment(session, edition.id)
        record(session, Actor.of_user(organiser), "reviews_assigned", "edition", edition.id,
               changes={"added": len(new), "per_nomination": needed}, edition_id=edition.id)
    return len(new)


def add_reviewer(session: Session, organiser: User, nomination: Nomination, member_id: int) -> Review:
    with transaction(session):
        reviewer = _reviewers(session, nomination.edition_id).get(member_id)
        if reviewer is None:
            raise DomainError(fields={"member_id": _("Choose a reviewer of this edition's panel.")})
        if not reviewer.may_review(assignment.Candidate(nomination.id, nomination.organisation_id)):
            raise DomainError(fields={"member_id": _(
                "This reviewer has a conflict of interest with the nomination's organisation.")})
        if session.exec(select(Review).where(Review.panel_member_id == member_id,
                                             Review.nomination_id == nomination.id)).first():
            raise DomainError(fields={"member_id": _("This reviewer already reviews this nomination.")})
        review = Review(panel_member_id=member_id, nomination_id=nomination.id)
        session.add(review)
        session.flush()
        record(session, Actor.of_user(organiser), "reviewer_added", "review", review.id,
               edition_id=nomination.edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
    return review


def remove_reviewer(session: Session, organiser: User, nomination: Nomination, review_id: int,
                    confirmed: bool = False) -> None:
    """Takes a reviewer off a nomination; a review already submitted goes only when the organiser
    confirmed that its scores and comment go with it."""
    with transaction(session):
        review = session.get(Review, review_id)
        if review is None or review.nomination_id != nomination.id:
            raise NotFound()
        done = review.submitted_at is not None
        if done and not confirmed:
            raise DomainError(_("This reviewer has submitted their review: tick the box to confirm that its "
                                "scores and comment are deleted."))
        _delete_reviews(session, [review])
        record(session, Actor.of_user(organiser), "reviewer_removed", "review", review_id,
               edition_id=nomination.edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
        if done:
            recompute(session, nomination.edition_id, Actor.of_user(organiser))


# -- the reviewer's side ------------------------------------------------------------------------

@dataclass(frozen=True)
class Assigned:
    """A nomination as its reviewer sees it in their list."""

    review: Review
    nomination_id: int
    edition: Edition
    blind: bool
    name: str          # empty when the edition reviews blind
    organisation: str  # empty when the edition reviews blind
    deadline: datetime | None

    @property
    def done(self) -> bool:
        return self.review.submitted_at is not None


def my_reviews(session: Session, user: User) -> list[Assigned]:
    """The nominations assigned to this person, and nothing else."""
    rows = session.exec(
        select(Review, Nomination, Edition, Organisation.name)
        .join(PanelMember, PanelMember.id == Review.panel_member_id)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .join(Edition, Edition.id == Nomination.edition_id)
        .join(Organisation, Organisation.id == Nomination.organisation_id)
        .where(PanelMember.user_id == user.id, PanelMember.reviews, Nomination.status.in_(SHOWN_TO_REVIEWERS))
        .order_by(Edition.year.desc(), Review.submitted_at.is_not(None), Review.id)).all()
    found = []
    settings_by_edition: dict[int, ReviewSettings] = {}
    for review, nomination, edition, organisation in rows:
        if edition.id not in settings_by_edition:
            settings_by_edition[edition.id] = settings_of(session, edition.id)
        settings = settings_by_edition[edition.id]
        blind = settings.blind_review
        found.append(Assigned(review, nomination.id, edition, blind, "" if blind else nomination.display_name,
                              "" if blind else organisation, settings.review_deadline))
    return found


@dataclass(frozen=True)
class ReviewSheet:
    """What a reviewer sees of one assigned nomination and their review of it. The nomination's
    name, organisation and country are absent when the edition reviews blind; medical and
    passport fields are never here."""

    review: Review
    edition: Edition
    settings: ReviewSettings
    nomination_id: int
    statement: str
    subjects: list[str]
    school_leaving_year: int | None
    english_level: str
    documents: list[tuple[int, str]]  # (id, what is shown of it)
    criteria: list[RubricCriterion]
    scores: dict[int, int]
    name: str = ""
    organisation: str = ""
    country: str = ""

    @property
    def open(self) -> bool:
        deadline = self.settings.review_deadline
        return deadline is None or utcnow() < deadline


def _assigned(session: Session, user: User, nomination_id: int) -> tuple[Review, Nomination]:
    row = session.exec(select(Review, Nomination).join(PanelMember, PanelMember.id == Review.panel_member_id)
                       .join(Nomination, Nomination.id == Review.nomination_id)
                       .where(PanelMember.user_id == user.id, PanelMember.reviews,
                              Review.nomination_id == nomination_id,
                              Nomination.status.in_(SHOWN_TO_REVIEWERS))).first()
    if row is None:
        raise NotFound()
    return row


def review_sheet(session: Session, user: User, nomination_id: int) -> ReviewSheet:
    review, nomination = _assigned(session, user, nomination_id)
    edition = session.get(Edition, nomination.edition_id)
    settings = settings_of(session, edition.id)
    blind = settings.blind_review
    documents = session.exec(select(Document).where(Document.nomination_id == nomination.id)
                             .order_by(Document.kind, Document.uploaded_at)).all()
    shown = [(d.id, document_label(d.kind) if blind else f"{document_label(d.kind)}: {d.original_filename}")
             for d in documents]
    scores = dict(session.exec(select(ReviewScore.criterion_id, ReviewScore.score)
                               .where(ReviewScore.review_id == review.id)).all())
    extra = {}
    if not blind:
        organisation = session.get(Organisation, nomination.organisation_id)
        extra = {"name": nomination.display_name, "organisation": organisation.name,
                 "country": organisation.country}
    return ReviewSheet(review, edition, settings, nomination.id, nomination.statement, list(nomination.subjects),
                       nomination.school_leaving_year, nomination.english_level, shown,
                       criteria(session, edition.id), scores, **extra)


def parse_scores(values: dict[str, str], rubric: list[RubricCriterion]) -> tuple[dict[int, int], dict[str, str]]:
    """The score typed for each criterion ("c<id>"), or an error naming the field."""
    scores, errors = {}, {}
    for criterion in rubric:
        key = f"c{criterion.id}"
        raw = str(values.get(key, "")).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= criterion.scale_max:
            errors[key] = _("Give %(name)s a score from 1 to %(max)d.", name=criterion.name, max=criterion.scale_max)
        else:
            scores[criterion.id] = int(raw)
    return scores, errors


def save_review(session: Session, user: User, nomination_id: int, values: dict[str, str]) -> Review:
    """Writes (or changes) the reviewer's review until the review deadline, and works the panel's
    scores out again."""
    with transaction(session):
        review, nomination = _assigned(session, user, nomination_id)
        # Two reviewers of one nomination saving at once write its panel score one after the other.
        session.exec(select(Nomination.id).where(Nomination.id == nomination.id).with_for_update())
        settings = settings_of(session, nomination.edition_id)
        if settings.review_deadline is not None and utcnow() >= settings.review_deadline:
            raise DomainError(_("The review deadline has passed: reviews can no longer be changed."))
        rubric = criteria(session, nomination.edition_id)
        if not rubric:
            raise DomainError(_("The organisers have not set up the rubric yet."))
        scores, errors = parse_scores(values, rubric)
        comment = str(values.get("comment", "")).strip()
        if len(comment) > 4000:
            errors["comment"] = _("Use at most %(count)d characters.", count=4000)
        if errors:
            raise DomainError(_("The review was not saved."), fields=errors)
        stored = {s.criterion_id: s for s in session.exec(select(ReviewScore).where(ReviewScore.review_id == review.id))}
        for criterion_id, score in scores.items():
            row = stored.get(criterion_id) or ReviewScore(review_id=review.id, criterion_id=criterion_id, score=score)
            row.score = score
            session.add(row)
        first = review.submitted_at is None
        review.comment, review.submitted_at = comment, utcnow()
        session.add(review)
        session.flush()
        # The scores are the review's own rows; the event says who reviewed and when.
        record(session, Actor.of_user(user), "review_submitted" if first else "review_changed", "review", review.id,
               edition_id=nomination.edition_id, organisation_id=nomination.organisation_id,
               nomination_id=nomination.id)
        recompute(session, nomination.edition_id, Actor.of_user(user), only=nomination.id)
    return review


def review_document(session: Session, user: User, nomination_id: int, document_id: int) -> Download:
    """A document of a nomination assigned to this reviewer; named by its kind when blind."""
    _review, nomination = _assigned(session, user, nomination_id)
    document = session.get(Document, document_id)
    if document is None or document.nomination_id != nomination.id:
        raise NotFound()
    blob = session.get(DocumentBlob, document.id)
    name = document.original_filename
    if settings_of(session, nomination.edition_id).blind_review:
        suffix = name.rsplit(".", 1)[-1] if "." in name else "pdf"
        name = f"{document.kind}-{nomination.id}.{suffix}"
    return Download(name, document.content_type, blob.data)


# -- the panel's score --------------------------------------------------------------------------

def recompute(session: Session, edition_id: int, actor: Actor = SYSTEM, *, only: int | None = None) -> None:
    """Works out the combined scores from the edition's done reviews and writes each result (or
    the organisers' override) to Nomination.review_score. Without standardisation a new review
    changes only its own nomination's score (`only`); with it, every score of the edition may move,
    and the edition's row is locked so that such recomputations run one after the other. Caller
    holds the transaction."""
    standardise = settings_of(session, edition_id).standardise
    if standardise:
        only = None
        session.exec(select(Edition.id).where(Edition.id == edition_id).with_for_update())
    rubric = [scoring.Criterion(c.id, c.scale_max, c.weight) for c in criteria(session, edition_id)]
    done: dict[int, scoring.DoneReview] = {}
    scope = [Nomination.edition_id == edition_id] + ([Nomination.id == only] if only is not None else [])
    rows = session.exec(select(Review.id, Review.nomination_id, Review.panel_member_id, ReviewScore.criterion_id,
                               ReviewScore.score)
                        .join(ReviewScore, ReviewScore.review_id == Review.id)
                        .join(Nomination, Nomination.id == Review.nomination_id)
                        .where(*scope, Review.submitted_at.is_not(None))).all()
    for review_id, nomination_id, member_id, criterion_id, score in rows:
        done.setdefault(review_id, scoring.DoneReview(nomination_id, member_id, {})).scores[criterion_id] = score
    combined = scoring.combine(list(done.values()), rubric, standardise)
    stored = {p.nomination_id: p for p in session.exec(
        select(PanelScore).join(Nomination, Nomination.id == PanelScore.nomination_id).where(*scope)).all()}
    for nomination_id in set(combined) | set(stored):
        result = combined.get(nomination_id)
        panel = stored.get(nomination_id) or PanelScore(nomination_id=nomination_id)
        panel.combined = result.score if result else None
        panel.reviews = result.reviews if result else 0
        panel.spread = result.spread if result else 0.0
        panel.updated_at = utcnow()
        session.add(panel)
        _write(session, panel, actor)


def _write(session: Session, panel: PanelScore, actor: Actor, reason: str = "") -> None:
    # The panel's score replaces what was typed before; with its last review gone, there is none.
    nomination = session.get(Nomination, panel.nomination_id)
    score = panel.override if panel.override is not None else (
        round(panel.combined) if panel.combined is not None else None)
    write_review_score(session, nomination, score, actor, reason)


def override_score(session: Session, organiser: User, nomination: Nomination, score: int | None, reason: str) -> None:
    """Sets the organisers' score in place of the panel's (with a reason, recorded), or returns to
    the panel's score (score None)."""
    reason = reason.strip()
    if score is not None and not 0 <= score <= 100:
        raise DomainError(fields={"override": _("Enter a whole number from 0 to 100.")})
    if score is not None and not reason:
        raise DomainError(fields={"reason": _("Give the reason why the panel's score is overridden.")})
    with transaction(session):
        panel = session.get(PanelScore, nomination.id) or PanelScore(nomination_id=nomination.id)
        record(session, Actor.of_user(organiser), "panel_score_overridden" if score is not None
               else "panel_override_removed", "nomination", nomination.id,
               reason=reason, edition_id=nomination.edition_id,
               organisation_id=nomination.organisation_id, nomination_id=nomination.id)
        panel.override, panel.override_reason = score, reason if score is not None else ""
        panel.updated_at = utcnow()
        session.add(panel)
        _write(session, panel, Actor.of_user(organiser), reason)


@dataclass(frozen=True)
class Summary:
    """What the review list shows of the panel's work on a nomination."""

    combined: float | None
    reviews: int
    assigned: int
    spread: float
    override: int | None

    @property
    def disagreement(self) -> bool:
        return self.reviews > 1 and self.spread >= scoring.DISAGREEMENT


def summary_columns(nomination_id) -> list:
    """The panel's progress on a nomination as columns of a query about nominations (the review
    list's MoreColumns): how many reviews are assigned, and its panel score's figures."""
    def score(column, label: str):
        return select(column).where(PanelScore.nomination_id == nomination_id).scalar_subquery().label(label)
    return [select(func.count()).select_from(Review).where(Review.nomination_id == nomination_id)
            .scalar_subquery().label("panel_assigned"),
            score(PanelScore.combined, "panel_combined"), score(PanelScore.reviews, "panel_reviews"),
            score(PanelScore.spread, "panel_spread"), score(PanelScore.override, "panel_override")]


def summary_of(columns: dict) -> Summary | None:
    """The Summary read from summary_columns(); None where no review is assigned and no score kept."""
    if not columns["panel_assigned"] and columns["panel_reviews"] is None:
        return None
    return Summary(columns["panel_combined"], columns["panel_reviews"] or 0, columns["panel_assigned"],
                   columns["panel_spread"] or 0.0, columns["panel_override"])


def summaries(session: Session, nomination_ids: list[int]) -> dict[int, Summary]:
    """The panel's progress on these nominations, by id, for those with reviews assigned or a score
    kept: the review list's columns, read for a list of ids."""
    if not nomination_ids:
        return {}
    rows = session.exec(select(Nomination.id, *summary_columns(Nomination.id))
                        .where(Nomination.id.in_(nomination_ids))).all()
    return {row.id: summary for row in rows if (summary := summary_of(row._mapping)) is not None}


@dataclass(frozen=True)
class ReviewOfNomination:
    review: Review
    reviewer: User
    value: float | None  # 0-100
    scores: dict[int, int]


def nomination_reviews(session: Session, nomination: Nomination,
                       rubric: list[RubricCriterion] | None = None) -> list[ReviewOfNomination]:
    """Every review of one nomination with its reviewer, for the organisers (scored by `rubric`,
    the edition's criteria, when the caller has read them already)."""
    rubric = criteria(session, nomination.edition_id) if rubric is None else rubric
    marks = [scoring.Criterion(c.id, c.scale_max, c.weight) for c in rubric]
    found = []
    for review, reviewer in session.exec(
            select(Review, User).join(PanelMember, PanelMember.id == Review.panel_member_id)
            .join(User, User.id == PanelMember.user_id).where(Review.nomination_id == nomination.id)
            .order_by(User.full_name)).all():
        scores = dict(session.exec(select(ReviewScore.criterion_id, ReviewScore.score)
                                   .where(ReviewScore.review_id == review.id)).all())
        value = scoring.review_value(scoring.DoneReview(nomination.id, review.panel_member_id, scores), marks) \
            if review.submitted_at else None
        found.append(ReviewOfNomination(review, reviewer, None if value is None else value * 100, scores))
    return found


def panel_score(session: Session, nomination_id: int) -> PanelScore | None:
    return session.get(PanelScore, nomination_id)


# -- the reminder before the deadline -----------------------------------------------------------

def send_review_reminders(session: Session, base_url: str, now: datetime | None = None) -> int:
    """Within REMIND_BEFORE of an edition's review deadline, each reviewer with reviews still open
    hears once. The settings row is locked, so two workers never remind twice."""
    now = now or utcnow()
    sent = 0
    with transaction(session):
        due = session.exec(select(ReviewSettings).where(
            ReviewSettings.review_deadline.is_not(None), ReviewSettings.review_deadline > now,
            ReviewSettings.review_deadline <= now + REMIND_BEFORE, ReviewSettings.reminded_at.is_(None))
            .with_for_update(skip_locked=True)).all()
        for settings in due:
            open_counts = session.exec(
                select(User, func.count()).join(PanelMember, PanelMember.user_id == User.id)
                .join(Review, Review.panel_member_id == PanelMember.id)
                .join(Nomination, Nomination.id == Review.nomination_id)
                .where(PanelMember.edition_id == settings.edition_id, PanelMember.reviews, User.is_active,
                       Review.submitted_at.is_(None), Nomination.status.in_(SHOWN_TO_REVIEWERS))
                .group_by(User.id)).all()
            for user, count in open_counts:
                enqueue(session, "review_reminder", reader_of(user),
                        {"user": user.id, "edition": settings.edition_id, "open": count},
                        edition_id=settings.edition_id, base_url=base_url)
                sent += 1
            settings.reminded_at = now
            session.add(settings)
            record(session, SYSTEM, "review_reminders_sent", "edition", settings.edition_id,
                   changes={"reviewers": len(open_counts)}, edition_id=settings.edition_id)
    return sent


# -- retention ----------------------------------------------------------------------------------

def forget_review_comments(session: Session, nomination_id: int) -> list[str]:
    """Empties the reviews' comments on one nomination and the reason of an override (retention of
    review comments); returns what was there, so the messages and audit details can be scrubbed.
    The scores stay. Caller holds the transaction."""
    gone = []
    for review in session.exec(select(Review).where(Review.nomination_id == nomination_id, Review.comment != "")):
        gone.append(review.comment)
        review.comment = ""
        session.add(review)
    panel = session.get(PanelScore, nomination_id)
    if panel is not None and panel.override_reason:
        gone.append(panel.override_reason)
        panel.override_reason = ""
        session.add(panel)
    return gone


def erase_reviews(session: Session, nomination_id: int) -> None:
    """Deletes every review of an erased nomination with its scores, and the override's reason.
    Caller holds the transaction."""
    forget_review_comments(session, nomination_id)
    _delete_reviews(session, list(session.exec(select(Review).where(Review.nomination_id == nomination_id)).all()))
