"""Every message kind exists in English and German, and its templates use exactly the placeholders
the catalogue declares."""

import pytest

from ish_portal.notifications.catalog import KINDS
from ish_portal.text.i18n import LANGUAGES
from ish_portal.notifications.render import EMAIL_TEMPLATES, _text_env, placeholders_used, render_email

REQUIRED = {"applicant_access", "consent_withdrawn", "nomination_received", "guardian_consent_request", "missing_documents_reminder",
            "submission_confirmation", "interview_invitation", "offer_made", "offer_reminder", "offer_accepted",
            "offer_declined", "offer_accepted_coordinator", "offer_declined_coordinator", "waitlist_offer",
            "withdrawal", "withdrawal_coordinator", "withdrawal_guardian", "welcome_information", "certificate", "password_reset",
            "coordinator_invitation", "retention_summary", "organiser_message", "not_selected", "ranking_reminder",
            "panel_invitation", "review_reminder",
            "host_invitation", "lab_confirmation_reminder", "host_student_accepted", "host_student_withdrew",
            "interview_booking", "interview_booked", "interview_cancelled", "interview_reminder",
            "interview_booked_panel", "interview_cancelled_panel", "interview_reminder_panel"}


def test_catalog_declares_every_kind_of_the_portal():
    assert set(KINDS) == REQUIRED
    for kind in KINDS.values():
        assert kind.purpose and kind.recipient
        assert all(description for description, _ in kind.placeholders.values()), kind.name


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_catalog_template_uses_exactly_the_declared_placeholders(name, language):
    path = EMAIL_TEMPLATES / language / f"{name}.txt"
    assert path.is_file(), f"{language}/{name}.txt is missing"
    used = placeholders_used(path.read_text(encoding="utf-8"), _text_env)
    declared = set(KINDS[name].names)
    assert used - declared == set(), f"{language}/{name}.txt uses undeclared placeholders"
    assert declared - used == set(), f"{language}/{name}.txt does not use declared placeholders"
    rendered = render_email(name, language, KINDS[name].example_context())
    assert rendered.subject and "{{" not in rendered.text and "{{" not in rendered.subject


def test_catalog_offer_subjects_say_action_is_required():
    for name in ("offer_made", "offer_reminder", "waitlist_offer"):
        subject = render_email(name, "en", KINDS[name].example_context()).subject
        assert subject.startswith("[Action required]"), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_paragraphs_of_every_email_start_at_the_margin(language):
    """A stray space before a paragraph shows in the plain text as an indented line."""
    indented = {}
    for name in sorted(REQUIRED):
        rendered = render_email(name, language, KINDS[name].example_context())
        lines = [line for line in rendered.text.splitlines() if line[:1].isspace() and line.strip()]
        if lines:
            indented[name] = lines
    assert indented == {}


def test_catalog_english_emails_go_on_with_a_capital_after_dear():
    """'Dear Haruto,' then 'Your interview ...', as English letters are written (German and Polish
    go on in lower case after the comma, and do)."""
    lower = {}
    for name in sorted(REQUIRED):
        text = render_email(name, "en", KINDS[name].example_context()).text
        opening, _, rest = text.partition("\n\n")
        if opening.startswith("Dear ") and rest[:1].islower():
            lower[name] = rest.splitlines()[0]
    assert lower == {}
