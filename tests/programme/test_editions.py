"""Editions: a new one copies the last one's places, labs and rules; the phase follows the dates."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from ish_portal.labs.models import Lab, LabHost
from ish_portal.programme.models import Edition, Quota
from ish_portal.programme.service import phase
from tests.conftest import fresh, post_form
from tests.factories import PASSWORD

NEW = {"year": "2028", "title": "ISH 2028", "starts_on": "2028-07-10", "ends_on": "2028-08-05",
       "nomination_opens_at": "2027-10-01T00:00", "nomination_closes_at": "2028-03-15T23:59",
       "copy_from_last": "yes"}


def sign_in(client, db, make):
    organiser = make.organiser(db)
    post_form(client, "/login", "/login", {"email": organiser.email, "password": PASSWORD})


def test_new_edition_copies_places_labs_and_rules_of_the_last(client, db, make):
    last = make.edition(db, year=2027, max_preferences=4, offer_response_days=10)
    kumamoto, simferopol = make.organisation(db, name="Kumamoto"), make.organisation(db, name="Simferopol")
    make.quota(db, last, kumamoto, places=2)
    make.quota(db, last, simferopol, places=0, dormant=True)
    make.lab(db, last, group_name="Neutrino Physics", capacity=2, languages=["en", "de"])
    make.lab(db, last, group_name="Old group", retired=True)
    sign_in(client, db, make)
    response = post_form(client, "/organiser/editions", "/organiser/editions", NEW, follow_redirects=False)
    assert response.headers["location"] == "/organiser/edition"
    new = fresh(db).exec(select(Edition).where(Edition.year == 2028)).one()
    assert (new.max_preferences, new.offer_response_days) == (4, 10)
    assert new.nomination_closes_at == datetime(2028, 3, 15, 22, 59, tzinfo=UTC)
    quotas = {(q.organisation_id, q.places, q.dormant) for q in db.exec(select(Quota).where(Quota.edition_id == new.id))}
    assert quotas == {(kumamoto.id, 2, False), (simferopol.id, 0, True)}
    labs = db.exec(select(Lab).where(Lab.edition_id == new.id)).all()
    assert [(lab.group_name, lab.capacity, lab.languages) for lab in labs] == [("Neutrino Physics", 2, ["en", "de"])]
    assert "ISH 2028" in client.get("/organiser").text  # the newest edition is the current one


def test_new_edition_copies_a_labs_hosts_but_not_last_years_confirmation(client, db, make):
    # The host's confirmation is for one edition (its seats, its weeks): the new year's copy waits
    # for a new one, and the hosts keep their access so that they can give it.
    last = make.edition(db, year=2027)
    lab = make.lab(db, last, group_name="Neutrino Physics", confirmed_at=datetime(2027, 2, 1, tzinfo=UTC),
                   host_weeks=[1, 2], confirmation_reminded_at=datetime(2027, 1, 20, tzinfo=UTC))
    tutor, deputy = make.host(db, lab, full_name="Lena Vogt"), make.host(db, lab, full_name="Jan Deputy")
    lab.confirmed_by_id = tutor.id
    db.add(lab)
    db.commit()
    sign_in(client, db, make)
    post_form(client, "/organiser/editions", "/organiser/editions", NEW)
    new = fresh(db).exec(select(Edition).where(Edition.year == 2028)).one()
    [copy] = db.exec(select(Lab).where(Lab.edition_id == new.id)).all()
    assert (copy.confirmed_at, copy.confirmed_by_id, copy.host_weeks, copy.confirmation_reminded_at) == (None, None, [], None)
    hosts = {row.user_id for row in db.exec(select(LabHost).where(LabHost.lab_id == copy.id))}
    assert hosts == {tutor.id, deputy.id}
    last_lab = db.get(Lab, lab.id)
    assert (last_lab.host_weeks, last_lab.confirmed_by_id) == ([1, 2], tutor.id)  # last year's record stays


def test_new_edition_for_a_year_that_exists_is_refused(client, db, make):
    make.edition(db, year=2028)
    sign_in(client, db, make)
    response = post_form(client, "/organiser/editions", "/organiser/editions", NEW)
    assert response.status_code == 400
    assert "There is already an edition for 2028." in response.text


def test_new_edition_dates_out_of_order_are_explained(client, db, make):
    sign_in(client, db, make)
    response = post_form(client, "/organiser/editions", "/organiser/editions",
                         {**NEW, "ends_on": "2028-07-01"})
    assert response.status_code == 400
    assert "The programme must end after it starts." in response.text
    assert 'value="ISH 2028"' in response.text


def test_phase_follows_the_dates_and_what_happened(db, make):
    now = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    edition = make.edition(db, starts_on=date(2027, 7, 12), ends_on=date(2027, 8, 7),
                           nomination_opens_at=now - timedelta(days=10), nomination_closes_at=now + timedelta(days=10))
    assert phase(db, edition, now - timedelta(days=11)) == "set-up"
    assert phase(db, edition, now) == "nominations"
    assert phase(db, edition, now + timedelta(days=11)) == "review"
    edition.preferences_locked_at = now + timedelta(days=20)
    assert phase(db, edition, now + timedelta(days=21)) == "matching"
    edition.offers_published_at = now + timedelta(days=22)  # as publishing a run sets it
    db.add(edition)
    db.commit()
    assert phase(db, edition, now + timedelta(days=23)) == "offers"
    assert phase(db, edition, datetime(2027, 7, 20, tzinfo=UTC)) == "programme"
    assert phase(db, edition, datetime(2027, 8, 8, 12, tzinfo=UTC)) == "finished"


def test_dashboard_counts_nominations_by_organisation_and_status(client, db, make):
    edition = make.edition(db)
    kumamoto = make.organisation(db, name="Kumamoto")
    make.quota(db, edition, kumamoto, places=3)
    for status in ("submitted", "submitted", "approved"):
        make.nomination(db, edition, kumamoto, status=status)
    sign_in(client, db, make)
    page = client.get("/organiser").text
    assert f'href="/organiser/nominations?organisation={kumamoto.id}&amp;status=submitted">2</a>' in page
    assert "No offers are waiting for an answer." in page
