"""The roster of a lab as a file for its hosts (CSV or Excel), made with the exports' own
streaming writers: only the columns a host may see (never medical or passport fields; dietary
needs only where the student agreed), and the download recorded in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from ish_portal.accounts.models import User
from ish_portal.audit.service import Actor
from ish_portal.db import utcnow
from ish_portal.hosts.service import roster_query
from ish_portal.labs.models import Lab
from ish_portal.programme.models import Edition
from ish_portal.reports.service import FORMATS, ExportFile, Listing, export_listing
from ish_portal.text.i18n import gettext as _, language_name
from ish_portal.text.names import written_name

__all__ = ["FORMATS", "roster_file"]


def roster_listing(edition: Edition, lab: Lab) -> Listing:
    def shape(r: Sequence[Any]) -> list[Any]:
        return [written_name(r[1], r[2], r[3]), r[4], ", ".join(language_name(code) for code in r[5] or []), r[6], r[7] or ""]

    headers = [_("Name"), _("Email"), _("Working languages"), _("Arrival day"), _("Dietary needs")]
    return Listing(lab.group_name[:31], f"ish-{edition.year}-roster-lab-{lab.id}-{utcnow():%Y%m%d}",
                   headers, roster_query(lab.id), shape)


def roster_file(session: Session, host: User, lab: Lab, edition: Edition, fmt: str) -> ExportFile:
    return export_listing(session, Actor.of_user(host), edition, roster_listing(edition, lab), fmt,
                          {"list": f"host-roster:{lab.id}", "format": fmt})
