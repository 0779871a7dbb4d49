"""What a host may see: the labs they host, and nothing of any other lab."""

from __future__ import annotations

from sqlmodel import Session, select

from ish_portal.accounts.models import User
from ish_portal.labs.models import Lab, LabHost
from ish_portal.programme.models import Edition


def labs_of(session: Session, user: User) -> list[tuple[Lab, Edition]]:
    """The labs the host hosts, the newest edition first."""
    return list(session.exec(
        select(Lab, Edition).join(LabHost, LabHost.lab_id == Lab.id).join(Edition, Lab.edition_id == Edition.id)
        .where(LabHost.user_id == user.id).order_by(Edition.year.desc(), Lab.group_name)).all())
