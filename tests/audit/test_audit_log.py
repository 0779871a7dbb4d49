"""The audit log page: newest first, filters by who, what, entity and local dates, paging, links."""

import re
from datetime import UTC, datetime, timedelta

from ish_portal.audit.models import AuditEvent
from tests.conftest import post_form


def event(db, when, actor="Olga Organiser <olga@ish.example>", action="status_changed", entity="nomination",
          **fields):
    row = AuditEvent(occurred_at=when, actor_label=actor, action=action, entity=entity, **fields)
    db.add(row)
    db.commit()
    return row


def rows(html: str) -> list[str]:
    return re.findall(r'<td data-label="What">([^<]+)</td>', html)


def test_audit_log_lists_newest_first_with_summary_and_link(as_organiser, db, make, edition):
    nomination = make.nomination(db, edition, make.organisation(db))
    event(db, datetime(2027, 3, 1, 9, 0, tzinfo=UTC), action="review_score_changed",
          changes={"review_score": [None, 85]}, nomination_id=nomination.id, entity_id=nomination.id)
    event(db, datetime(2027, 3, 2, 9, 0, tzinfo=UTC), from_state="submitted", to_state="rejected",
          reason="Too old", nomination_id=nomination.id, entity_id=nomination.id)
    page = as_organiser.get("/organiser/audit")
    assert rows(page.text)[:2] == ["status changed", "review score changed"]
    assert "<bdi>submitted <span class=\"flip\">→</span> not accepted</bdi>" in page.text
    assert "review score: “–” <span class=\"flip\">→</span> “85”" in page.text
    assert "Reason: <bdi>Too old</bdi>" in page.text
    assert f'href="/organiser/nominations/{nomination.id}"' in page.text
    assert "2 March 2027, 10:00 CET" in page.text


def test_audit_log_filters_by_who_what_entity_and_local_dates(as_organiser, db):
    # 23:30 UTC on 31 March is 1 April in Heidelberg (CEST).
    event(db, datetime(2027, 3, 31, 23, 30, tzinfo=UTC), actor="Łucja Nowak <lucja@ish.example>", action="exported",
          entity="export")
    event(db, datetime(2027, 3, 31, 12, 0, tzinfo=UTC), actor="system", action="status_changed")
    event(db, datetime(2027, 4, 2, 12, 0, tzinfo=UTC), actor="applicant", action="document_uploaded", entity="document")
    assert rows(as_organiser.get("/organiser/audit?who=łUCJA").text) == ["list exported"]
    assert rows(as_organiser.get("/organiser/audit?action=status_changed").text) == ["status changed"]
    assert rows(as_organiser.get("/organiser/audit?entity=document").text) == ["document uploaded"]
    assert rows(as_organiser.get("/organiser/audit?from=2027-04-01&to=2027-04-01").text) == ["list exported"]
    assert rows(as_organiser.get("/organiser/audit?to=2027-03-31").text) == ["status changed"]
    bad = as_organiser.get("/organiser/audit?from=yesterday&page=x&who=appli%00cant&action=%00")
    assert (bad.status_code, rows(bad.text)) == (200, ["document uploaded"])


def test_audit_log_pages_by_fifty_keeping_the_filters(as_organiser, db):
    for minute in range(51):
        event(db, datetime(2027, 3, 1, 9, minute, tzinfo=UTC), actor=f"robot {minute}", action="exported")
    first = as_organiser.get("/organiser/audit?action=exported")
    assert len(rows(first.text)) == 50
    assert 'href="/organiser/audit?action=exported&amp;page=2"' in first.text
    second = as_organiser.get("/organiser/audit?action=exported&page=2")
    assert re.findall(r'<td data-label="Who"><bdi>([^<]+)</bdi></td>', second.text) == ["robot 0"]


def test_audit_log_refuses_a_coordinator(as_coordinator):
    assert as_coordinator.get("/organiser/audit").status_code == 403


# -- names, not ids (issue 10, point 6) -----------------------------------------------------------

def entity_cells(html: str) -> list[str]:
    cells = re.findall(r'<td data-label="Entity">(.*?)</td>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def change_cells(html: str) -> list[str]:
    cells = re.findall(r'<td data-label="Changes">(.*?)</td>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_audit_log_names_the_organisations_of_a_place_move(as_organiser, db, make, edition, organiser):
    from ish_portal.programme.forms import TransferForm
    from ish_portal.nominations.places import transfer_places
    bautzen, jablonec = make.organisation(db, name="Bautzen"), make.organisation(db, name="Jablonec")
    make.quota(db, edition, bautzen, places=3)
    transfer_places(db, organiser, edition.id, TransferForm(
        from_organisation_id=bautzen.id, to_organisation_id=jablonec.id, places=2, reason="Partner city"))
    page = as_organiser.get("/organiser/audit").text
    assert rows(page) == ["places moved", "places moved"]
    assert change_cells(page) == ["2 places from Bautzen to Jablonec Reason: Partner city"] * 2
    assert entity_cells(page) == ["Place move"] * 2


def test_audit_log_names_the_lab_of_a_capacity_change_and_a_pin(as_organiser, db, make, edition, organiser):
    from ish_portal.placement.runs import pin, set_lab_capacity
    lab = make.lab(db, edition, group_name="Cell Biology", institute="EMBL", capacity=2)
    other = make.lab(db, edition, group_name="Structural Biology", institute="DKFZ")
    kumamoto = make.organisation(db, name="Kumamoto")
    nomination = make.nomination(db, edition, kumamoto, given_name="Haruto", family_name="Nakamura",
                                 status="approved")
    set_lab_capacity(db, organiser, edition.id, lab.id, 3)
    pin(db, organiser, edition.id, nomination.id, lab.id)
    pin(db, organiser, edition.id, nomination.id, other.id)
    page = as_organiser.get("/organiser/audit").text
    assert rows(page) == ["student pinned to a lab", "student pinned to a lab", "lab seats changed"]
    assert entity_cells(page) == ["Haruto Nakamura Kumamoto", "Haruto Nakamura Kumamoto",
                                  "Lab: Cell Biology, EMBL"]
    assert change_cells(page) == ["lab: “Cell Biology, EMBL” → “Structural Biology, DKFZ”",
                                  "lab: “–” → “Cell Biology, EMBL”", "capacity: “2” → “3”"]
    assert f'href="/organiser/nominations/{nomination.id}"' in page
    assert "lab_id" not in page


def test_audit_log_names_the_account_of_a_coordinator_invited_and_deactivated(as_organiser, db, make, organiser):
    from ish_portal.accounts.service import invite_coordinator, set_active
    mostar = make.organisation(db, name="Mostar")
    user = invite_coordinator(db, organiser, email="amra@mostar.example", full_name="Amra Hadžić",
                              organisation_id=mostar.id, base_url="http://testserver",
                              valid_for=timedelta(days=7))
    set_active(db, organiser, user.id, False)
    page = as_organiser.get("/organiser/audit").text
    assert rows(page) == ["coordinator deactivated", "coordinator invited"]
    assert entity_cells(page) == ["Account: Amra Hadžić &lt;amra@mostar.example&gt; Mostar"] * 2
    assert f"#{user.id}" not in page


def test_audit_log_shows_an_erased_student_as_deleted(as_organiser, db, make, edition, organiser):
    from ish_portal.applicants.service import erase
    nomination = make.nomination(db, edition, make.organisation(db, name="Mostar"), given_name="Lejla",
                                 family_name="Begić", deletion_requested_at=datetime(2027, 3, 1, tzinfo=UTC))
    erase(db, organiser, nomination.id)
    page = as_organiser.get("/organiser/audit").text
    assert "personal data deleted" in rows(page)
    assert set(entity_cells(page)) == {"(deleted) Mostar"}
    assert "Lejla" not in page and "Begić" not in page


def test_audit_log_names_things_in_german_too(as_organiser, db, make, edition, organiser):
    from ish_portal.placement.runs import set_lab_capacity
    lab = make.lab(db, edition, group_name="Zellbiologie", institute="EMBL", capacity=2)
    set_lab_capacity(db, organiser, edition.id, lab.id, 3)
    post_form(as_organiser, "/organiser", "/language", {"language": "de"})
    page = as_organiser.get("/organiser/audit").text
    assert "Laborplätze geändert" in page
    assert "Labor: Zellbiologie, EMBL" in page


def test_audit_log_reads_names_with_a_fixed_number_of_queries(as_organiser, db, make, edition, organiser, app):
    from sqlalchemy import event as sqla_event
    from ish_portal.placement.runs import pin
    kumamoto = make.organisation(db, name="Kumamoto")
    labs = [make.lab(db, edition) for _ in range(3)]

    def statements(count):
        nominations = [make.nomination(db, edition, kumamoto, status="approved") for _ in range(count)]
        for nomination, lab in zip(nominations, labs * count):
            pin(db, organiser, edition.id, nomination.id, lab.id)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sqla_event.listen(app.state.engine, "before_cursor_execute", listener)
        try:
            assert as_organiser.get("/organiser/audit").status_code == 200
        finally:
            sqla_event.remove(app.state.engine, "before_cursor_execute", listener)
        return len(seen)
    assert statements(2) == statements(20)


def test_audit_log_names_students_labs_runs_and_editions_inside_changes(as_organiser, db, make, edition):
    from ish_portal.placement.models import MatchRun
    lab = make.lab(db, edition, group_name="Cell Biology", institute="EMBL")
    other = make.lab(db, edition, group_name="Optics", institute="MPI")
    nomination = make.nomination(db, edition, make.organisation(db, name="Kumamoto"), given_name="Haruto",
                                 family_name="Nakamura")
    run = MatchRun(edition_id=edition.id, mode="stable", created_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC))
    db.add(run)
    db.commit()
    when = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    event(db, when, action="lab_ranking_changed", entity="lab", entity_id=lab.id, edition_id=edition.id,
          changes={str(nomination.id): [None, 1]})
    event(db, when, actor="applicant", action="preferences_changed", entity_id=nomination.id,
          nomination_id=nomination.id, changes={"ranking": [other.id, lab.id]})
    event(db, when, actor="system", action="offer_made", entity="offer", nomination_id=nomination.id,
          changes={"lab_id": lab.id, "match_run_id": run.id})
    event(db, when, action="preferences_locked", entity="edition", entity_id=edition.id, edition_id=edition.id)
    page = as_organiser.get("/organiser/audit").text
    changes = change_cells(page)
    assert "Haruto Nakamura: “–” → “1”" in changes
    assert "ranking: Optics, MPI; Cell Biology, EMBL" in changes
    assert "lab: Cell Biology, EMBL; matching run: 3 May 2027, 10:00 CEST (Stable)" in changes
    assert "Edition: ISH 2027" in entity_cells(page)


def test_audit_log_names_the_portals_own_actors_in_the_readers_language(as_organiser, db):
    # The portal records its own actors in fixed English words; a reader of another language
    # reads them in theirs, while people stay named as they are.
    for minute, actor in enumerate(["system", "applicant", "guardian Yui Nakamura <yui@example.org>", "guardian",
                                    "demo data", "Łucja Nowak <lucja@ish.example>"]):
        event(db, datetime(2027, 3, 1, 9, minute, tzinfo=UTC), actor=actor)
    who = re.compile(r'<td data-label="(?:Who|Wer)">(.*?)</td>')
    english = who.findall(as_organiser.get("/organiser/audit").text)
    assert english == ["<bdi>Łucja Nowak</bdi> &lt;<bdi>lucja@ish.example</bdi>&gt;", "<bdi>demo data</bdi>",
                       "<bdi>a guardian</bdi>", "<bdi>guardian Yui Nakamura</bdi> &lt;<bdi>yui@example.org</bdi>&gt;",
                       "<bdi>the applicant</bdi>", "<bdi>the portal</bdi>"]
    post_form(as_organiser, "/organiser/audit", "/language", {"language": "de"})
    german = who.findall(as_organiser.get("/organiser/audit").text)
    assert german[0] == english[0]
    assert german[1:] == ["<bdi>Demodaten</bdi>", "<bdi>ein/e Erziehungsberechtigte/r</bdi>",
                          "<bdi>Erziehungsberechtigte/r Yui Nakamura</bdi> &lt;<bdi>yui@example.org</bdi>&gt;",
                          "<bdi>Bewerber/in</bdi>", "<bdi>das Portal</bdi>"]
