"""The messages of the hosts' side: an invitation to host a lab, a reminder to confirm it, and the
news that a student of the lab accepted their place or withdrew. Placeholders are computed from the
facts (the account, the lab, the offer) in the host's language; the follower of the offer's door
below writes the last two in the same transaction as the move."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from ish_portal.accounts.messages import EXAMPLE_TOKEN
from ish_portal.accounts.models import TokenPurpose, User
from ish_portal.accounts.service import issue_token, reader_of
from ish_portal.audit.service import Actor
from ish_portal.hosts.service import active_hosts_of
from ish_portal.labs.models import Lab
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.catalog import HOST, Occasion, define
from ish_portal.notifications.service import enqueue
from ish_portal.placement.models import Offer, OfferStatus as O
from ish_portal.placement.offers import when_an_offer_moves
from ish_portal.programme.models import Edition
from ish_portal.text.i18n import N_

PAGE = (N_("the address of the page in the portal (sign in with your password)"),
        "https://ish.example/host/labs/7")


def _lab_words(occasion: Occasion) -> dict[str, str]:
    lab = occasion.session.get(Lab, occasion.facts["lab"])
    edition = occasion.session.get(Edition, lab.edition_id)
    return {"lab": lab.label, "edition": edition.title}


def host_invitation(occasion: Occasion) -> dict[str, str]:
    user, days = occasion.session.get(User, occasion.facts["user"]), int(occasion.facts["days"])
    raw = EXAMPLE_TOKEN if occasion.preview else issue_token(
        occasion.session, TokenPurpose.INVITATION, user.email, timedelta(days=days), user_id=user.id)
    return _lab_words(occasion) | {"name": user.full_name, "inviter": str(occasion.facts.get("inviter", "")),
                                   "days": str(days), "link": occasion.link(f"/invitation/{raw}")}


def lab_confirmation_reminder(occasion: Occasion) -> dict[str, str]:
    user = occasion.session.get(User, occasion.facts["user"])
    return _lab_words(occasion) | {"name": user.full_name,
                                   "link": occasion.link(f"/host/labs/{occasion.facts['lab']}/confirm")}


def _student_news(occasion: Occasion) -> dict[str, str]:
    user = occasion.session.get(User, occasion.facts["user"])
    offer = occasion.session.get(Offer, occasion.facts["offer"])
    nomination = occasion.session.get(Nomination, offer.nomination_id)
    return {"name": user.full_name, "candidate": nomination.display_name,
            "lab": occasion.session.get(Lab, offer.lab_id).label,
            "edition": occasion.session.get(Edition, nomination.edition_id).title,
            "link": occasion.link(f"/host/labs/{offer.lab_id}/roster")}


define("host_invitation", N_("Host invitation"),
       N_("Invites a lab's tutor or deputy to host the lab in the portal, with a link to choose a password."),
       HOST, ["name", "inviter", "lab", "edition", "link", "days"], host_invitation,
       own={"inviter": (N_("the organiser who sent the invitation"), "Olga Organiser")})
define("lab_confirmation_reminder", N_("Lab confirmation reminder"),
       N_("Asks a lab's hosts to confirm the lab for the edition: seats, languages, weeks."),
       HOST, ["name", "lab", "edition", "link"], lab_confirmation_reminder, own={"link": PAGE})
define("host_student_accepted", N_("A student accepted a place in the lab"),
       N_("Tells the lab's hosts that a student accepted a place in their lab."),
       HOST, ["name", "candidate", "lab", "edition", "link"], _student_news, own={"link": PAGE})
define("host_student_withdrew", N_("A student of the lab withdrew"),
       N_("Tells the lab's hosts that a student who had accepted a place in their lab withdrew."),
       HOST, ["name", "candidate", "lab", "edition", "link"], _student_news, own={"link": PAGE})


@when_an_offer_moves
def tell_hosts(session: Session, offer: Offer, was: O, to: O, actor: Actor) -> None:
    """A student accepts a place in the lab, or withdraws after accepting: its hosts are told."""
    if to == O.ACCEPTED:
        kind = "host_student_accepted"
    elif was == O.ACCEPTED and to == O.WITHDRAWN:
        kind = "host_student_withdrew"
    else:
        return
    nomination = session.get(Nomination, offer.nomination_id)
    for user in active_hosts_of(session, offer.lab_id):
        enqueue(session, kind, reader_of(user), {"user": user.id, "offer": offer.id},
                edition_id=nomination.edition_id)
