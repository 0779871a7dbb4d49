"""What the panel is: each member's place on an edition's panel and what they do there."""

from __future__ import annotations

from sqlmodel import Session, select

from ish_portal.accounts.models import PanelMember, User
from ish_portal.programme.models import Edition


def memberships(session: Session, user: User) -> list[tuple[PanelMember, Edition]]:
    """The editions whose panel the person sits on, the newest first."""
    return list(session.exec(
        select(PanelMember, Edition).join(Edition, PanelMember.edition_id == Edition.id)
        .where(PanelMember.user_id == user.id).order_by(Edition.year.desc())).all())
