"""Demo data: the coming summer's edition with the real sending organisations and host institutes
of the programme, an organiser, one coordinator per organisation and a dozen fictional candidates.
Running it again adds nothing twice."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlmodel import Session, select

from ish_portal import areas  # noqa: F401  (what follows a status change in the areas above)
from ish_portal.accounts.models import PanelConflict, PanelMember, Role, User
from ish_portal.accounts.service import password_hash
from ish_portal.audit.service import Actor, record
from ish_portal.db import transaction
from ish_portal.labs.models import Lab, LabHost, LabRanking
from ish_portal.nominations.models import (
    ConsentKind,
    Document,
    DocumentBlob,
    Interview,
    LabPreference,
    Nomination,
    NominationStatus as S,
)
from ish_portal.nominations import consent
from ish_portal.nominations.service import change_status
from ish_portal.panel import service as panel
from ish_portal.panel.models import Review, ReviewScore, ReviewSettings, RubricCriterion
from ish_portal.placement.models import Offer, OfferStatus
from ish_portal.programme.models import Edition, Organisation, OrganisationKind as K, Quota
from ish_portal.settings import Settings
from ish_portal.text.names import usual_order

BERLIN = ZoneInfo("Europe/Berlin")
DEMO = Actor("demo data")
ORGANISER = "organiser@ish.example"
# The review and interview panel: address, name, reviews, interviews, the organisations they
# declared a conflict of interest with.
PANEL = [
    ("reviewer1@ish.example", "Rafael Reviewer", True, False, []),
    ("reviewer2@ish.example", "Renate Reviewer", True, False, ["kumamoto"]),
    ("reviewer3@ish.example", "Ruth Reviewer", True, True, []),
    ("interviewer@ish.example", "Ingrid Interviewer", False, True, []),
]

# slug, name, country, kind, places (None: dormant partnership, no places), time zone
ORGANISATIONS = [
    ("bautzen", "Bautzen", "DE", K.PARTNER_CITY, 3, "Europe/Berlin"),
    ("cambridge", "Cambridge", "GB", K.PARTNER_CITY, 2, "Europe/London"),
    ("hangzhou", "Hangzhou", "CN", K.PARTNER_CITY, 2, "Asia/Shanghai"),
    ("kumamoto", "Kumamoto", "JP", K.PARTNER_CITY, 2, "Asia/Tokyo"),
    ("montpellier", "Montpellier", "FR", K.PARTNER_CITY, 2, "Europe/Paris"),
    ("palo-alto", "Palo Alto", "US", K.PARTNER_CITY, 2, "America/Los_Angeles"),
    ("rehovot", "Rehovot", "IL", K.PARTNER_CITY, 2, "Asia/Jerusalem"),
    ("simferopol", "Simferopol", "", K.PARTNER_CITY, None, "Europe/Simferopol"),
    ("jelenia-gora", "Jelenia Góra", "PL", K.FRIENDLY_CITY, 1, "Europe/Warsaw"),
    ("mostar", "Mostar", "BA", K.FRIENDLY_CITY, 1, "Europe/Sarajevo"),
    ("heidelberg-za", "Heidelberg (Gauteng)", "ZA", K.FRIENDLY_CITY, 1, "Africa/Johannesburg"),
    ("nysf", "National Youth Science Forum", "AU", K.OTHER, 3, "Australia/Sydney"),
    ("western-reserve-academy", "Western Reserve Academy", "US", K.OTHER, 1, "America/New_York"),
    ("john-ernest-foundation", "John Ernest Foundation", "", K.OTHER, 1, "Europe/Berlin"),
    ("heidelberg-schools", "Heidelberg schools", "DE", K.OTHER, 2, "Europe/Berlin"),
]
# The language a candidate's family reads, by organisation (the candidates all read English too).
FAMILY_LANGUAGE = {"bautzen": "de", "heidelberg-schools": "de"}

# institute, group (fictional), tutor (fictional), subject area, capacity, minimum age, languages
LABS = [
    ("German Cancer Research Center (DKFZ)", "Tumour Immunology", "Dr. Miriam Kessler", "Biology", 2, 18, ["en"]),
    ("German Cancer Research Center (DKFZ)", "Medical Physics in Radiation Oncology", "Dr. Jan Hollmann", "Physics", 1, 18, ["en"]),
    ("European Molecular Biology Laboratory (EMBL)", "Structural Biology", "Dr. Sofia Marquez", "Biology", 2, None, ["en"]),
    ("European Molecular Biology Laboratory (EMBL)", "Developmental Biology", "Dr. Thomas Brandt", "Biology", 1, None, ["en"]),
    ("Max Planck Institute for Nuclear Physics (MPIK)", "Neutrino Physics", "Dr. Lena Vogt", "Physics", 2, None, ["en", "de"]),
    ("Max Planck Institute for Nuclear Physics (MPIK)", "Stored and Cooled Ions", "Dr. Felix Rother", "Physics", 1, None, ["en"]),
    ("Max Planck Institute for Astronomy (MPIA)", "Planet and Star Formation", "Dr. Hannah Albers", "Astronomy", 2, None, ["en"]),
    ("Max Planck Institute for Astronomy (MPIA)", "Galaxies and Cosmology", "Dr. Ravi Menon", "Astronomy", 1, None, ["en"]),
    ("Max Planck Institute for Medical Research", "Optical Microscopy", "Dr. Clara Weiss", "Chemistry", 1, None, ["en"]),
    ("Heidelberg Institute for Theoretical Studies (HITS)", "Computational Molecular Evolution", "Dr. Paul Schreiber", "Computer science", 2, None, ["en"]),
    ("Heidelberg Institute for Theoretical Studies (HITS)", "Astroinformatics", "Dr. Nadia Petrova", "Computer science", 1, None, ["en"]),
    ("Haus der Astronomie", "Astronomy Education", "Dr. Markus Lenz", "Astronomy", 2, None, ["en", "de"]),
    ("Heidelberg University, Centre for Organismal Studies", "Plant Molecular Biology", "Dr. Julia Franke", "Biology", 2, None, ["en"]),
    ("Heidelberg University, ZMBH", "Protein Quality Control", "Dr. Daniel Kraus", "Biology", 1, None, ["en"]),
    ("Heidelberg University, Biochemistry Centre", "Membrane Trafficking", "Dr. Eva Lindner", "Chemistry", 1, None, ["en"]),
    ("Heidelberg University, Physics Institute", "Quantum Gases", "Dr. Simon Hartmann", "Physics", 2, None, ["en"]),
    ("Heidelberg University, Kirchhoff Institute for Physics", "Neuromorphic Computing", "Dr. Anna Berger", "Computer science", 1, None, ["en"]),
    ("Heidelberg University, Parasitology", "Malaria Biology", "Dr. Kofi Mensah", "Medicine", 1, 18, ["en"]),
    ("Heidelberg University, Pharmacology", "Cardiac Signalling", "Dr. Laura Schubert", "Medicine", 1, None, ["en", "de"]),
    ("University Hospital Heidelberg", "Clinical Genetics", "Dr. Stefan Wolf", "Medicine", 1, 18, ["en", "de"]),
]

# organisation, given, family, passport name, born, email, final status, extra
CANDIDATES = [
    ("kumamoto", "陽翔", "中村", "NAKAMURA HARUTO", date(2008, 5, 14), "haruto.nakamura", S.SUBMITTED),
    ("kumamoto", "結衣", "松本", "MATSUMOTO YUI", date(2009, 1, 30), "yui.matsumoto", S.DRAFT),
    ("montpellier", "Noémie", "Laurent", "LAURENT NOEMIE", date(2008, 3, 2), "noemie.laurent", S.APPROVED),
    ("jelenia-gora", "Łukasz", "Kowalski", "KOWALSKI LUKASZ", date(2009, 9, 21), "lukasz.kowalski", S.SUBMITTED),
    ("rehovot", "נועה", "כהן", "COHEN NOA", date(2008, 11, 5), "noa.cohen", S.APPROVED),
    ("bautzen", "Jonas", "Müller", "MUELLER JONAS", date(2008, 6, 9), "jonas.mueller", S.ACCEPTED),
    ("palo-alto", "Emily", "Chen", "CHEN EMILY", date(2008, 2, 17), "emily.chen", S.OFFERED),
    ("nysf", "Liam", "O'Brien", "O'BRIEN LIAM", date(2008, 8, 28), "liam.obrien", S.APPROVED),
    ("nysf", "Chloe", "Nguyen", "NGUYEN CHLOE", date(2009, 4, 11), "chloe.nguyen", S.SUBMITTED),
    ("mostar", "Amira", "Hadžić", "HADZIC AMIRA", date(2008, 7, 3), "amira.hadzic", S.DECLINED),
    ("heidelberg-za", "Thabo", "Nkosi", "NKOSI THABO", date(2008, 10, 19), "thabo.nkosi", S.REJECTED),
    ("cambridge", "Oliver", "Grant", "GRANT OLIVER", date(2008, 12, 1), "oliver.grant", S.WITHDRAWN),
]

# The path each final status is reached by, so the history reads as it would have happened.
PATHS = {
    S.DRAFT: [], S.SUBMITTED: [S.SUBMITTED], S.APPROVED: [S.SUBMITTED, S.APPROVED],
    S.REJECTED: [S.SUBMITTED, S.REJECTED], S.WITHDRAWN: [S.SUBMITTED, S.WITHDRAWN],
    S.OFFERED: [S.SUBMITTED, S.APPROVED, S.OFFERED],
    S.ACCEPTED: [S.SUBMITTED, S.APPROVED, S.OFFERED, S.ACCEPTED],
    S.DECLINED: [S.SUBMITTED, S.APPROVED, S.OFFERED, S.DECLINED],
}


def coming_summer(today: date) -> int:
    return today.year + 1 if today.month >= 4 else today.year


def last_summer(today: date) -> int:
    """The year of the last edition that is well over (its programme ended in August)."""
    return today.year if today >= date(today.year, 10, 1) else today.year - 1


def load_demo(session: Session, settings: Settings, today: date | None = None) -> str:
    today = today or date.today()
    year = coming_summer(today)
    with transaction(session):
        organisations = _organisations(session)
        hashed = _users(session, organisations, settings.demo_password)
        past = last_summer(today)
        if past != year and session.exec(select(Edition).where(Edition.year == past)).first() is None:
            _last_years_edition(session, _edition(session, past, organisations), organisations)
        edition = session.exec(select(Edition).where(Edition.year == year)).first()
        if edition is not None:
            return f"demo data for {year} is already there; nothing added"
        edition = _edition(session, year, organisations)
        _panel(session, edition, organisations, hashed)
        labs = _labs(session, edition)
        _candidates(session, edition, organisations, labs)
        _panel_review(session, edition)
        _hosts(session, edition, labs, hashed)
        _mailings(session, edition)
        _interview_slots(session, edition, today)
    return (f"demo edition {year}: {len(organisations)} sending organisations, {len(labs)} labs, "
            f"{len(CANDIDATES)} candidates; last year's edition {past} with {len(PAST_CANDIDATES)} candidates "
            f"whose data is partly past its retention (try: ish-portal retention run --dry-run)")


def accounts() -> list[tuple[str, str]]:
    """(address, who) of every demo account."""
    duties = {(True, False): "reviewer", (False, True): "interviewer", (True, True): "reviewer and interviewer"}
    return ([(ORGANISER, "organiser")]
            + [(coordinator_address(slug), f"coordinator, {name}") for slug, name, *_ in ORGANISATIONS]
            + [(address, duties[reviews, interviews]) for address, _name, reviews, interviews, _c in PANEL]
            + [(host_address(group), f"lab host, {group}") for _i, group, *_ in LABS])


def host_address(group: str) -> str:
    """The demo host of a lab: host.<the group's name as a slug>@ish.example."""
    return f"host.{re.sub(r'[^a-z0-9]+', '-', group.lower()).strip('-')}@ish.example"


def coordinator_address(slug: str) -> str:
    return f"coordinator.{slug}@ish.example"


def how_to_sign_in(settings: Settings) -> str:
    """What `ish-portal demo` prints after loading: where to sign in, as whom, with what password."""
    width = max(len(address) for address, _who in accounts())
    lines = [f"Sign in at {settings.base_url}/login with the password {settings.demo_password} as:"]
    lines += [f"  {address:<{width}}  {who}" for address, who in accounts()]
    example = next(f"{local_part}@example.org" for *_, local_part, status in CANDIDATES
                   if status == S.APPROVED)
    lines.append(f"Applicants need no password: they ask for a personal link at {settings.base_url}/access\n"
                 f"  with a candidate's address, such as {example}.")
    if settings.development and not settings.smtp_host:
        lines.append(f"No mail is sent: every email is written to {settings.mail_dir}\n"
                     f"  and listed for organisers under Sent mail, {settings.base_url}/organiser/mail.")
    return "\n".join(lines)


def _organisations(session: Session) -> dict[str, Organisation]:
    found = {o.slug: o for o in session.exec(select(Organisation))}
    for slug, name, country, kind, _places, zone in ORGANISATIONS:
        if slug not in found:
            found[slug] = Organisation(slug=slug, name=name, country=country, kind=kind, time_zone=zone)
            session.add(found[slug])
    session.flush()
    return found


def _users(session: Session, organisations: dict[str, Organisation], password: str) -> str:
    """The organiser and the coordinators; returns the password's hash, which the other demo
    accounts share."""
    hashed = password_hash.hash(password)
    wanted = [(ORGANISER, "Ada Organiser", Role.ORGANISER, None)]
    wanted += [(coordinator_address(slug), f"Coordinator {organisations[slug].name}",
                Role.COORDINATOR, organisations[slug].id) for slug, *_ in ORGANISATIONS]
    existing = set(session.exec(select(User.email)).all())
    for email, name, role, organisation_id in wanted:
        if email not in existing:
            session.add(User(email=email, full_name=name, role=role, organisation_id=organisation_id,
                             password_hash=hashed))
    return hashed


def _panel(session: Session, edition: Edition, organisations: dict[str, Organisation], hashed: str) -> None:
    """The coming edition's panel: three reviewers (one also interviews) and an interviewer."""
    users = {u.email: u for u in session.exec(select(User).where(User.email.in_([p[0] for p in PANEL])))}
    for email, name, reviews, interviews, conflicts in PANEL:
        user = users.get(email)
        if user is None:
            user = User(email=email, full_name=name, role=Role.PANEL, password_hash=hashed)
            session.add(user)
            session.flush()
        member = PanelMember(edition_id=edition.id, user_id=user.id, reviews=reviews, interviews=interviews)
        session.add(member)
        session.flush()
        for slug in conflicts:
            session.add(PanelConflict(panel_member_id=member.id, organisation_id=organisations[slug].id))


RUBRIC = [
    ("Motivation", "Why this programme, and what they hope to learn in a lab.", 5, 2.0),
    ("Scientific curiosity", "Questions of their own, projects, olympiads, reading beyond school.", 5, 2.0),
    ("English", "Can they follow and present lab work in English?", 5, 1.0),
    ("Teamwork", "Signs that they work well with others of other cultures.", 5, 1.0),
]


def _panel_review(session: Session, edition: Edition) -> None:
    """The rubric, blind review by two reviewers per nomination, the assignments, and the reviews
    of every reviewer but reviewer1, whose nominations wait for them (so the reviewer's side can be
    tried at once); the panel's scores follow from the reviews done."""
    criteria = []
    for position, (name, description, scale, weight) in enumerate(RUBRIC, start=1):
        criteria.append(RubricCriterion(edition_id=edition.id, position=position, name=name,
                                        description=description, scale_max=scale, weight=weight))
        session.add(criteria[-1])
    session.add(ReviewSettings(edition_id=edition.id, reviews_per_nomination=2, blind_review=True,
                               review_deadline=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=21)))
    session.flush()
    panel.apply_assignment(session, edition.id)
    first = session.exec(select(User).where(User.email == PANEL[0][0])).one()
    reviews = session.exec(select(Review, PanelMember).join(PanelMember, PanelMember.id == Review.panel_member_id)
                           .where(PanelMember.edition_id == edition.id).order_by(Review.id)).all()
    for index, (review, member) in enumerate(reviews):
        if member.user_id == first.id:
            continue
        for offset, criterion in enumerate(criteria):
            session.add(ReviewScore(review_id=review.id, criterion_id=criterion.id,
                                    score=1 + (index * 3 + offset * 2 + member.id) % criterion.scale_max))
        review.comment = "Clear motivation; the statement names a lab topic." if index % 2 else "Solid, a little general."
        review.submitted_at = datetime.now(UTC) - timedelta(days=2)
        session.add(review)
    session.flush()
    panel.recompute(session, edition.id, DEMO)


def _edition(session: Session, year: int, organisations: dict[str, Organisation]) -> Edition:
    # Four weeks from the second Monday of July, as in recent years.
    first_july = date(year, 7, 1)
    starts = first_july + timedelta(days=(7 - first_july.weekday()) % 7 + 7)
    edition = Edition(
        year=year, title=f"ISH {year}", starts_on=starts, ends_on=starts + timedelta(days=26),
        nomination_opens_at=datetime.combine(date(year - 1, 10, 1), time(0, 0), BERLIN).astimezone(UTC),
        nomination_closes_at=datetime.combine(date(year, 3, 15), time(23, 59), BERLIN).astimezone(UTC))
    session.add(edition)
    session.flush()
    for slug, _name, _country, _kind, places, _zone in ORGANISATIONS:
        session.add(Quota(edition_id=edition.id, organisation_id=organisations[slug].id,
                          places=places or 0, dormant=places is None))
    return edition


def _labs(session: Session, edition: Edition) -> list[Lab]:
    labs = []
    for institute, group, tutor, subject, capacity, min_age, languages in LABS:
        tutor_email = tutor.removeprefix("Dr. ").lower().replace(" ", ".") + "@lab.ish.example"
        lab = Lab(edition_id=edition.id, institute=institute, group_name=group, tutor_name=tutor,
                  tutor_email=tutor_email, subject_area=subject, capacity=capacity, min_age=min_age,
                  languages=languages, description=f"Three weeks in the {group} group: {subject.lower()} "
                  f"research alongside the team, ending with a short presentation.")
        session.add(lab)
        labs.append(lab)
    session.flush()
    return labs


def _hosts(session: Session, edition: Edition, labs: list[Lab], hashed: str) -> None:
    """A host for every lab (its tutor, signing in as host.<lab-slug>@ish.example). The first half
    of the labs are confirmed for the edition; the first labs chosen by approved candidates are
    ranked by their hosts already; the accepted student let their host see the dietary needs."""
    existing = {u.email: u for u in session.exec(select(User).where(User.role == Role.HOST))}
    weeks = list(range(1, (edition.ends_on - edition.starts_on).days // 7 + 2))
    for index, lab in enumerate(labs):
        address = host_address(lab.group_name)
        user = existing.get(address)
        if user is None:
            user = User(email=address, full_name=lab.tutor_name, role=Role.HOST, password_hash=hashed)
            session.add(user)
            session.flush()
        session.add(LabHost(lab_id=lab.id, user_id=user.id))
        if index < len(labs) // 2:
            lab.confirmed_at, lab.confirmed_by_id, lab.host_weeks = datetime.now(UTC) - timedelta(days=3), user.id, weeks
            session.add(lab)
    approved = session.exec(select(Nomination, LabPreference.lab_id)
                            .join(LabPreference, LabPreference.nomination_id == Nomination.id)
                            .where(Nomination.edition_id == edition.id, Nomination.status == S.APPROVED)
                            .order_by(LabPreference.lab_id, Nomination.given_name)).all()
    chosen: dict[int, list[Nomination]] = {}
    for nomination, lab_id in approved:
        chosen.setdefault(lab_id, []).append(nomination)
    for lab_id, nominations in list(chosen.items())[:3]:
        for rank, nomination in enumerate(reversed(nominations), start=1):
            session.add(LabRanking(lab_id=lab_id, nomination_id=nomination.id, rank=rank))
    for nomination in session.exec(select(Nomination).where(Nomination.edition_id == edition.id)):
        nomination.cv_for_hosts = nomination.status != S.DRAFT
        if nomination.status == S.ACCEPTED:
            nomination.dietary_needs, nomination.dietary_for_hosts = "Vegetarian", True
            nomination.arrival_on = edition.starts_on - timedelta(days=1)
        session.add(nomination)


def _demo_pdf(title: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=f"{title} (demo document)")
    return bytes(pdf.output())


def _documents(session: Session, nomination: Nomination, kinds: list[str]) -> None:
    for kind in kinds:
        data = _demo_pdf(kind.replace("_", " ").capitalize())
        document = Document(nomination_id=nomination.id, kind=kind, original_filename=f"{kind}.pdf",
                            content_type="application/pdf", size_bytes=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by="demo data")
        session.add(document)
        session.flush()
        session.add(DocumentBlob(document_id=document.id, data=data))


def _candidates(session: Session, edition: Edition, organisations: dict[str, Organisation],
                labs: list[Lab]) -> None:
    deadline = datetime.now(UTC) + timedelta(days=edition.offer_response_days)
    for index, (slug, given, family, passport, born, local_part, final) in enumerate(CANDIDATES):
        minor = Nomination(given_name=given, family_name=family, passport_name=passport,
                           date_of_birth=born).age_on(edition.starts_on) < edition.guardian_consent_below_age
        nomination = Nomination(
            edition_id=edition.id, organisation_id=organisations[slug].id, given_name=given, name_order=usual_order(given, family),
            family_name=family, passport_name=passport, date_of_birth=born,
            email=f"{local_part}@example.org", phone="+49 6221 000000",
            nationality=organisations[slug].country or "DE", school=f"{organisations[slug].name} Science School",
            school_leaving_year=edition.year, subjects=[labs[index % len(labs)].subject_area],
            english_level="C1", german_level="A2", statement="I would love to work in a real research lab.",
            guardian_name="Parent of " + given if minor else "",
            guardian_email=f"guardian.{local_part}@example.org" if minor else "",
            language=FAMILY_LANGUAGE.get(slug, "en"), guardian_language=FAMILY_LANGUAGE.get(slug, "en"))
        session.add(nomination)
        session.flush()
        if final in (S.OFFERED, S.ACCEPTED, S.DECLINED):
            # Only consenting applicants can have accepted a place; the others consented too.
            consent.given_earlier(session, nomination, ConsentKind.APPLICANT, nomination.display_name,
                                  datetime.now(UTC) - timedelta(days=30), nomination.language)
            if minor:
                consent.given_earlier(session, nomination, ConsentKind.GUARDIAN, nomination.guardian_name,
                                      datetime.now(UTC) - timedelta(days=29), nomination.guardian_language)
        record(session, DEMO, "nomination_created", "nomination", nomination.id, to_state=S.DRAFT,
               edition_id=edition.id, organisation_id=nomination.organisation_id, nomination_id=nomination.id)
        required = [k for k in edition.required_documents if k != "guardian_consent" or minor]
        _documents(session, nomination, required if final != S.DRAFT else required[:1])
        if final in (S.APPROVED, S.OFFERED, S.ACCEPTED, S.DECLINED, S.REJECTED):
            session.add(Interview(nomination_id=nomination.id, interviewer="Ada Organiser",
                                  scheduled_at=datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                                  - timedelta(days=20) + timedelta(hours=index),
                                  outcome="failed" if final == S.REJECTED else "passed"))
            nomination.review_score = 90 - 5 * index
        if final != S.DRAFT:
            for rank, offset in enumerate((0, 3, 7), start=1):
                session.add(LabPreference(nomination_id=nomination.id, lab_id=labs[(index + offset) % len(labs)].id,
                                          rank=rank))
        for status in PATHS[final]:
            if status == S.OFFERED:
                offer_status = {S.ACCEPTED: OfferStatus.ACCEPTED, S.DECLINED: OfferStatus.DECLINED}.get(
                    final, OfferStatus.PENDING)
                session.add(Offer(nomination_id=nomination.id, lab_id=labs[index % len(labs)].id,
                                  status=offer_status, response_deadline=deadline,
                                  released_at=datetime.now(UTC) - timedelta(days=1)))
            change_status(session, nomination, status, DEMO,
                          reason="passed the place on" if status == S.WITHDRAWN else "")
        if final != S.DRAFT:
            # Nominated some weeks ago, before the interviews, as the history would have happened.
            nomination.submitted_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40 - index)


# Last year's edition, finished in August: its participants' medical notes and passport details and
# the not-accepted candidates' data are past their retention periods by the autumn, the rest follows.
# organisation, given, family, passport name, born, email, final status, month of the final decision
PAST_CANDIDATES = [
    ("kumamoto", "さくら", "高橋", "TAKAHASHI SAKURA", date(2007, 4, 2), "sakura.takahashi", S.ACCEPTED, 5),
    ("montpellier", "Lucas", "Moreau", "MOREAU LUCAS", date(2007, 6, 18), "lucas.moreau", S.ACCEPTED, 5),
    ("bautzen", "Lena", "Schulz", "SCHULZ LENA", date(2008, 1, 9), "lena.schulz", S.ACCEPTED, 5),
    ("rehovot", "Yael", "Levi", "LEVI YAEL", date(2007, 9, 30), "yael.levi", S.ACCEPTED, 5),
    ("jelenia-gora", "Zofia", "Nowak", "NOWAK ZOFIA", date(2007, 3, 12), "zofia.nowak", S.DECLINED, 5),
    ("cambridge", "Harry", "Wilson", "WILSON HARRY", date(2007, 11, 23), "harry.wilson", S.WITHDRAWN, 3),
    ("nysf", "Mia", "Taylor", "TAYLOR MIA", date(2007, 8, 4), "mia.taylor", S.REJECTED, 4),
]

# The projects the accepted four worked on, in the labs they were placed in (the first four labs).
PAST_PROJECTS = ["How T cells recognise tumour cells", "Measuring the dose of a proton beam",
                 "A protein's shape from its crystals", "How zebrafish fins grow back"]


def _last_years_edition(session: Session, edition: Edition, organisations: dict[str, Organisation]) -> None:
    """Candidates with everything a finished edition holds, and a history dated in that year: the
    labs, the offers answered, and the attendance the hosts confirmed (so certificates can go)."""
    year = edition.year
    labs = _labs(session, edition)
    for index, (slug, given, family, passport, born, local_part, final, month) in enumerate(PAST_CANDIDATES):
        decided = datetime.combine(date(year, month, 10 + index), time(10, 0), BERLIN).astimezone(UTC)
        minor = Nomination(date_of_birth=born, given_name=given, family_name=family).age_on(edition.starts_on) < 18
        nomination = Nomination(
            edition_id=edition.id, organisation_id=organisations[slug].id, given_name=given, family_name=family,
            name_order=usual_order(given, family), passport_name=passport, date_of_birth=born,
            email=f"{local_part}@example.org", phone="+49 6221 000000",
            nationality=organisations[slug].country or "DE", school=f"{organisations[slug].name} Science School",
            school_leaving_year=year, english_level="C1", german_level="A2",
            statement="I would love to work in a real research lab.",
            guardian_name="Parent of " + given if minor else "",
            guardian_email=f"guardian.{local_part}@example.org" if minor else "",
            emergency_contact_name="Parent of " + given, emergency_contact_phone="+49 6221 000001",
            dietary_needs="vegetarian" if index % 2 == 0 else "", medical_notes="mild hay fever" if index < 3 else "",
            passport_number=f"X{index}7654321", passport_expiry=date(year + 5, 1, 31),
            eligibility_reason="strong interview" if final != S.REJECTED else "English below the level needed",
            status=final, language=FAMILY_LANGUAGE.get(slug, "en"), guardian_language=FAMILY_LANGUAGE.get(slug, "en"),
            submitted_at=datetime.combine(date(year, 3, 1), time(12, 0), BERLIN).astimezone(UTC),
            applicant_consent_at=decided, created_at=decided, updated_at=decided)
        session.add(nomination)
        session.flush()
        _documents(session, nomination, ["cv", "motivation_letter"])
        if final in (S.ACCEPTED, S.DECLINED):
            lab = labs[index % len(labs)]
            session.add(LabPreference(nomination_id=nomination.id, lab_id=lab.id, rank=1))
            accepted = final == S.ACCEPTED
            session.add(Offer(
                nomination_id=nomination.id, lab_id=lab.id,
                status=OfferStatus.ACCEPTED if accepted else OfferStatus.DECLINED,
                released_at=decided - timedelta(days=5), response_deadline=decided + timedelta(days=9),
                responded_at=decided, created_at=decided - timedelta(days=5),
                decline_reason="" if accepted else "a family holiday in July",
                attended=True if accepted else None,
                project_title=PAST_PROJECTS[index] if accepted else "",
                attendance_confirmed_at=datetime.combine(edition.ends_on, time(15, 0), BERLIN).astimezone(UTC)
                if accepted else None))
        session.add(Interview(nomination_id=nomination.id, interviewer="Ada Organiser",
                              scheduled_at=datetime.combine(date(year, 4, 2 + index), time(10, 0), BERLIN).astimezone(UTC),
                              notes="Clear answers; keen on lab work." if final != S.REJECTED else "Found the questions hard.",
                              outcome="failed" if final == S.REJECTED else "passed"))
        previous = S.DRAFT
        for status in PATHS[final]:
            event = record(session, DEMO, "status_changed", "nomination", nomination.id, from_state=previous,
                           to_state=status, edition_id=edition.id, organisation_id=nomination.organisation_id,
                           nomination_id=nomination.id)
            event.occurred_at = decided if status == final else decided - timedelta(days=30)
            previous = status


# -- messages to groups (mailings): one sent, one waiting for its time ---------------------------------

def _interview_slots(session: Session, edition: Edition, today: date) -> None:
    """Interview slots in the coming weeks: Ingrid Interviewer's by phone on three mornings,
    Ruth Reviewer's by video on one afternoon (Heidelberg time). Every submitted candidate is
    invited to book; Łukasz (with Ingrid) and Chloe (with Ruth) have booked, Haruto has not yet, so the
    booking page, the agenda and the calendar feed can be tried at once."""
    from ish_portal.interviews.models import InterviewBooking, InterviewSlot
    from ish_portal.interviews.service import preset_zone
    people = {u.email: u for u in session.exec(select(User).where(
        User.email.in_(["interviewer@ish.example", "reviewer3@ish.example"])))}
    slots = []
    for days, hour, count, email, kind, how in (
            (3, 9, 4, "interviewer@ish.example", "phone", "+49 6221 58 10580"),
            (5, 9, 4, "interviewer@ish.example", "phone", "+49 6221 58 10580"),
            (10, 14, 3, "reviewer3@ish.example", "video", "https://meet.ish.example/ruth-reviewer"),
            (12, 8, 4, "interviewer@ish.example", "phone", "+49 6221 58 10580")):
        start = datetime.combine(today + timedelta(days=days), time(hour, 0), BERLIN).astimezone(UTC)
        for n in range(count):
            slot = InterviewSlot(edition_id=edition.id, interviewer_id=people[email].id,
                                 starts_at=start + timedelta(minutes=30 * n), minutes=30, join_kind=kind, join_how=how)
            session.add(slot)
            slots.append(slot)
    session.flush()
    booked = {"lukasz.kowalski": slots[1], "chloe.nguyen": slots[8]}
    for nomination, organisation in session.exec(
            select(Nomination, Organisation).join(Organisation, Organisation.id == Nomination.organisation_id)
            .where(Nomination.edition_id == edition.id, Nomination.status == S.SUBMITTED)).all():
        slot = booked.get(nomination.email.split("@")[0])
        session.add(InterviewBooking(edition_id=edition.id, nomination_id=nomination.id,
                                     slot_id=slot.id if slot else None, sequence=1 if slot else 0,
                                     booked_at=datetime.combine(today, time(10, 0), BERLIN).astimezone(UTC) if slot else None,
                                     time_zone=preset_zone(organisation.country, organisation.time_zone)))


def _mailings(session: Session, edition: Edition) -> None:
    """An arrival notice already sent to everyone who accepted (English and German), and the
    coordinators' welcome pack with a PDF, scheduled for 1 June at 09:00 Heidelberg time (or a week
    from now, when that has passed), so the list of batches shows both and the schedule can be
    changed or cancelled."""
    from ish_portal.mailings import groups as mailing_groups, service as mailings
    from ish_portal.notifications.service import release_batch

    organiser = session.exec(select(User).where(User.email == ORGANISER)).one()
    arrival = mailings.write_drafts(session, organiser, edition, mailing_groups.Filters(group="candidates", status="accepted"), {
        "en": {"subject": "{{ edition }}: your arrival in Heidelberg",
               "body": "Dear {{ name }},\n\nwe will meet you at Heidelberg main station on the Sunday before "
                       "{{ starts_on }}. Your lab: {{ lab }}.\n\nThe ISH team, City of Heidelberg\n"},
        "de": {"subject": "{{ edition }}: deine Anreise nach Heidelberg",
               "body": "Hallo {{ name }},\n\nwir holen dich am Sonntag vor dem {{ starts_on }} am Heidelberger "
                       "Hauptbahnhof ab. Dein Labor: {{ lab }}.\n\nDein ISH-Team der Stadt Heidelberg\n"}}, [])
    release_batch(session, DEMO, edition.id, arrival.batch)
    arrival.released_at = datetime.now(UTC)
    session.add(arrival)
    welcome = mailings.write_drafts(session, organiser, edition, mailing_groups.Filters(group="coordinators"), {
        "en": {"subject": "{{ edition }}: the welcome pack for your candidates",
               "body": "Dear {{ name }},\n\nattached is the welcome pack for the candidates of {{ organisation }}. "
                       "{{ edition }} runs from {{ starts_on }} to {{ ends_on }}.\n\n"
                       "The ISH team, City of Heidelberg\n"}},
        [("welcome-pack.pdf", _demo_pdf("ISH welcome pack"))])
    first_june = datetime.combine(date(edition.year, 6, 1), time(9, 0), BERLIN).astimezone(UTC)
    welcome.scheduled_at = max(first_june, (datetime.now(UTC) + timedelta(days=7)).replace(second=0, microsecond=0))
    session.add(welcome)
