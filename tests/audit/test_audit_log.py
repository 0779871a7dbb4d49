"""The audit log page: newest first, filters by who, what, entity and local dates, paging, links."""

import re
from datetime import UTC, datetime

from ish_portal.audit.models import AuditEvent


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
    assert "submitted → not accepted" in page.text
    assert "review_score: “–” → “85”" in page.text
    assert "Reason: Too old" in page.text
    assert f'href="/organiser/nominations/{nomination.id}"' in page.text
    assert "2 Mar 2027, 10:00 CET" in page.text


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
    assert re.findall(r'<td data-label="Who">([^<]+)</td>', second.text) == ["robot 0"]


def test_audit_log_refuses_a_coordinator(as_coordinator):
    assert as_coordinator.get("/organiser/audit").status_code == 403
