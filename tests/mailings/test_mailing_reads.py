"""A message to many reads what they share once: the session holds its objects by weak reference
only, and writing a draft for each candidate read their organisation again three times, and the
candidate once more, for every draft."""

from collections import Counter

from sqlalchemy import event
from sqlmodel import Session

from ish_portal.accounts.models import User
from ish_portal.mailings import service
from ish_portal.mailings.groups import Filters
from ish_portal.programme.models import Edition


def test_drafts_to_many_candidates_read_each_organisation_once(db, engine, make, group):
    for n in range(20):
        make.nomination(db, group.edition, group.bautzen if n % 2 else group.kumamoto, given_name=f"Kim{n}",
                        email=f"kim{n}@example.org", status="approved")
    reads: Counter[str] = Counter()

    def count(_conn, _cursor, statement, _parameters, _context, _many):
        words = statement.split()
        if words[0].upper() == "SELECT":
            reads[words[words.index("FROM") + 1]] += 1

    with Session(engine) as session:  # as a request has it: nothing of the edition read yet
        organiser, edition = session.get(User, group.organiser.id), session.get(Edition, group.edition.id)
        event.listen(engine, "before_cursor_execute", count)
        try:
            mailing = service.create_mailing(session, organiser, edition, Filters(group="candidates"),
                                             {"en": ("Your arrival", "Dear {name}, the train leaves at nine.")}, [])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        written_to = mailing.written_to

    assert written_to == 25
    assert reads["organisation"] <= 2, reads
    assert reads["nomination"] <= 2, reads
