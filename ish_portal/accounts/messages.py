"""The messages of the accounts area: the placeholders of each, computed from the facts a caller
gives (the account, how long the link lasts), with a fresh personal link in each."""

from __future__ import annotations

from datetime import timedelta

from ish_portal.accounts.models import TokenPurpose, User
from ish_portal.accounts.service import issue_token
from ish_portal.notifications.catalog import COORDINATOR, STAFF, Occasion, define
from ish_portal.text.i18n import N_
from ish_portal.programme.models import Organisation

EXAMPLE_TOKEN = "EXAMPLE"


def _user(occasion: Occasion) -> User:
    return occasion.session.get(User, occasion.facts["user"])


def staff_link(occasion: Occasion, purpose: TokenPurpose, path: str, valid_for: timedelta, user: User) -> str:
    raw = EXAMPLE_TOKEN if occasion.preview else issue_token(
        occasion.session, purpose, user.email, valid_for, user_id=user.id)
    return occasion.link(f"{path}/{raw}")


def password_reset(occasion: Occasion) -> dict[str, str]:
    user, hours = _user(occasion), int(occasion.facts["hours"])
    return {"name": user.full_name, "hours": str(hours),
            "link": staff_link(occasion, TokenPurpose.PASSWORD_RESET, "/password/reset", timedelta(hours=hours), user)}


def coordinator_invitation(occasion: Occasion) -> dict[str, str]:
    user, days = _user(occasion), int(occasion.facts["days"])
    organisation = occasion.session.get(Organisation, user.organisation_id)
    return {"name": user.full_name, "organisation": organisation.name if organisation else "",
            "inviter": str(occasion.facts.get("inviter", "")), "days": str(days),
            "link": staff_link(occasion, TokenPurpose.INVITATION, "/invitation", timedelta(days=days), user)}


define("password_reset", N_("Password reset"), N_("A link to choose a new password."), STAFF, ["name", "link", "hours"], password_reset)
define("coordinator_invitation", N_("Coordinator invitation"), N_("Invites a coordinator to the portal, with a link to choose a password."),
       COORDINATOR, ["name", "inviter", "organisation", "link", "days"], coordinator_invitation,
       own={"inviter": (N_("the organiser who sent the invitation"), "Olga Organiser")})
