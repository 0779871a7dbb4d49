"""The message of the retention area: the organisers' summary of what a purge deleted."""

from __future__ import annotations

from datetime import date

from ish_portal.notifications.catalog import STAFF, Occasion, define
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import N_, ngettext
from ish_portal.text.timefmt import format_date


def purged_lines(session, purged: list[list]) -> str:
    """One line per edition and class, in the reader's language."""
    from ish_portal.retention.service import class_label

    lines = []
    for edition_id, key, count in purged:
        edition = session.get(Edition, edition_id)
        lines.append("- " + ngettext("%(edition)s: %(what)s, %(num)d candidate",
                                     "%(edition)s: %(what)s, %(num)d candidates", count,
                                     edition=edition.title if edition else str(edition_id),
                                     what=class_label(key)))
    return "\n".join(lines)


def _summary(occasion: Occasion) -> dict[str, str]:
    from datetime import date

    facts = occasion.facts
    day = date.fromisoformat(facts["day"]) if facts.get("day") else None
    return {"name": occasion.reader.name, "day": format_date(day),
            "summary": purged_lines(occasion.session, facts.get("purged", [])),
            "link": occasion.link("/organiser/edition#retention")}


define("retention_summary", N_("Retention: what was deleted"),
       N_("Tells the organisers what the retention schedule deleted in a purge, per edition and class of data."),
       STAFF, ["name", "day", "summary", "link"], _summary,
       own={"day": (N_("the day of the purge"), date(2027, 9, 7)),
            "summary": (N_("what was deleted, one line per edition and class starting with '- '"),
                        "- ISH 2026: Medical notes and dietary needs, 12 candidates"),
            "link": (N_("the retention schedule in the portal"), "https://ish.example/organiser/edition#retention")})
