"""No page runs the same SQL statement twice in one request: the statements sent to the app's
engine are counted while a page is requested, and any that repeats (same text, same parameters)
is listed. A repeated query is always work thrown away, so this holds for every size of data."""

from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event

from ish_portal.nominations.models import Document
from tests.applicants.test_applicant import applicant, offer, world  # noqa: F401
from tests.staff import as_organiser, edition, organiser  # noqa: F401


@contextmanager
def statements(app):
    sent: list[tuple[str, str]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, repr(parameters)))

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)


def repeated(sent) -> list[str]:
    return [f"{times}x {statement} {parameters}" for (statement, parameters), times in Counter(sent).items()
            if times > 1]


def get_counting(app, client, url):
    client.get(url)  # a first request may load what is cached for the process (sessions, catalogues)
    with statements(app) as sent:
        page = client.get(url)
    assert page.status_code == 200
    return sent


def test_status_page_runs_no_statement_twice(app, applicant, db, world):
    edition_, nomination, labs = world
    sent = get_counting(app, applicant, "/applicant")
    assert sent, "the counter saw no statement at all"
    assert repeated(sent) == []


def test_status_page_with_an_offer_runs_no_statement_twice(app, applicant, db, world):
    edition_, nomination, labs = world
    offer(db, nomination, labs["embl"])
    sent = get_counting(app, applicant, "/applicant")
    assert "You are offered a place" in applicant.get("/applicant").text
    assert repeated(sent) == []


def test_review_list_runs_no_statement_twice(app, as_organiser, db, make, edition):
    for n in range(3):
        organisation = make.organisation(db, name=f"City {n}", slug=f"city-{n}")
        nomination = make.nomination(db, edition, organisation, given_name=f"Candidate{n}", family_name="X")
        db.add(Document(nomination_id=nomination.id, kind="cv", original_filename="cv.pdf",
                        content_type="application/pdf", size_bytes=5, sha256="0" * 64))
    db.commit()
    sent = get_counting(app, as_organiser, "/organiser/nominations")
    assert sent, "the counter saw no statement at all"
    assert repeated(sent) == []
