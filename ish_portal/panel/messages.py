"""The panel's messages: the invitation to an edition's panel and the reminder of open reviews
before the review deadline. Placeholders are computed in the reader's language and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ish_portal.accounts.messages import staff_link
from ish_portal.accounts.models import PanelMember, TokenPurpose, User
from ish_portal.notifications.catalog import STAFF, Occasion, define
from ish_portal.panel.models import ReviewSettings
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import N_, gettext as _
from ish_portal.text.timefmt import format_deadline


def duties_text(reviews: bool, interviews: bool) -> str:
    if reviews and interviews:
        return _("review nominations and interview nominees")
    return _("review nominations") if reviews else _("interview nominees")


def _panel_invitation(occasion: Occasion) -> dict[str, str]:
    user = occasion.session.get(User, occasion.facts["user"])
    member = occasion.session.get(PanelMember, occasion.facts["member"])
    edition = occasion.session.get(Edition, member.edition_id) if member else None
    days = int(occasion.facts["days"])
    # Someone who already chose a password signs in as usual; the link only sets a first one.
    if user.password_hash and not occasion.preview:
        link = occasion.link("/login")
    else:
        link = staff_link(occasion, TokenPurpose.INVITATION, "/invitation", timedelta(days=days), user)
    return {"name": user.full_name, "inviter": str(occasion.facts.get("inviter", "")),
            "edition": edition.title if edition else "",
            "duties": duties_text(member.reviews, member.interviews) if member else "",
            "link": link, "days": str(days)}


def _review_reminder(occasion: Occasion) -> dict[str, str]:
    user = occasion.session.get(User, occasion.facts["user"])
    edition = occasion.session.get(Edition, occasion.facts["edition"])
    settings = occasion.session.get(ReviewSettings, edition.id)
    return {"name": user.full_name, "edition": edition.title, "count": str(int(occasion.facts["open"])),
            "deadline": format_deadline(settings.review_deadline if settings else None),
            "link": occasion.link("/panel/reviews")}


define("panel_invitation", N_("Panel invitation"),
       N_("Invites a person to an edition's review and interview panel, with a link to choose a password "
          "(or to sign in, if they have one)."),
       STAFF, ["name", "inviter", "edition", "duties", "link", "days"], _panel_invitation,
       own={"inviter": (N_("the organiser who sent the invitation"), "Olga Organiser"),
            "duties": (N_("what they do on the panel, in words"), "review nominations"),
            "link": (N_("the link that sets their password, or the sign-in page"),
                     "https://ish.example/invitation/EXAMPLE")})
define("review_reminder", N_("Reminder of open reviews"),
       N_("Reminds a reviewer, a few days before the review deadline, of the nominations they have not reviewed yet."),
       STAFF, ["name", "edition", "count", "deadline", "link"], _review_reminder,
       own={"count": (N_("how many reviews are still open"), "3"),
            "deadline": (N_("the review deadline, in the reader's time zone"), datetime(2027, 4, 10, 21, 59, tzinfo=UTC)),
            "link": (N_("the address of the reviewer's list (they sign in with their password)"),
                     "https://ish.example/panel/reviews")})
