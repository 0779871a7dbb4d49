"""Organisers' own wording per edition: used by new messages, checked before it is saved, run in a
sandbox, previewed with a real candidate's data, reset to the standard, and audited."""

from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.db import transaction
from ish_portal.notifications.models import MessageTemplate, OutboxMessage
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.service import enqueue
from tests.conftest import fresh, post_form

PAGE = "/organiser/messages/templates/welcome_information/en"
BODY = "Hello {{ name }},\n\nsee you in {{ lab }} on {{ starts_on }}.\n"


def save(client, subject="Welcome to {{ edition }}", body=BODY, **extra):
    return post_form(client, PAGE, PAGE, {"subject": subject, "body": body, "action": "save", **extra},
                     follow_redirects=False)


def test_templates_own_wording_is_used_by_new_messages_of_the_edition(organiser, db, world):
    assert save(organiser).status_code == 303
    with transaction(fresh(db)):
        message = enqueue(db, "welcome_information", Reader("tom@example.org", "Tom"),
                          {"nomination": world.accepted_en.id}, edition_id=world.edition.id)
        other_language = enqueue(db, "welcome_information", Reader("z@example.org", "Z", "de"),
                                 {"nomination": world.accepted.id}, edition_id=world.edition.id)
    assert message.subject == "Welcome to ISH 2027"
    assert message.body_text.split("\n\n-- \n")[0] == "Hello Tom,\n\nsee you in Structural Biology, EMBL on 12 July 2027."
    assert other_language.subject == "ISH 2027: was du vor deiner Ankunft in Heidelberg wissen solltest"
    [event] = db.exec(select(AuditEvent).where(AuditEvent.action == "message_template_saved")).all()
    assert event.changes["subject"][1] == "Welcome to {{ edition }}"
    assert event.actor_id == world.organiser.id


def test_templates_unknown_placeholder_is_refused_with_the_ones_to_use(organiser, db, world):
    response = save(organiser, body="Hello {{ foo }}!")
    assert response.status_code == 422
    assert ("{{ foo }} is not a placeholder of this message; use one of name, edition, starts_on, "
            "ends_on, lab.") in response.text.replace("&#34;", '"')
    assert "Hello {{ foo }}!" in response.text  # what was typed stays in the form
    assert fresh(db).exec(select(MessageTemplate)).all() == []


def test_templates_syntax_error_is_refused_with_its_line(organiser, db, world):
    response = save(organiser, body="Hello {{ name }},\n{% if lab %}no end")
    assert response.status_code == 422
    assert "The text cannot be read as a template (line 2)" in response.text
    assert fresh(db).exec(select(MessageTemplate)).all() == []


def test_templates_typed_text_cannot_reach_python_internals(organiser, db, world):
    response = save(organiser, body="{{ name.__class__.__mro__[1].__subclasses__() }}")
    assert response.status_code == 422
    assert "The text cannot be used" in response.text
    assert "&lt;class" not in response.text
    assert fresh(db).exec(select(MessageTemplate)).all() == []


def test_templates_typed_markup_is_escaped_in_the_html_part(organiser, db, world):
    save(organiser, body="<script>alert(1)</script> {{ name }}")
    with transaction(fresh(db)):
        message = enqueue(db, "welcome_information", Reader("tom@example.org", "<b>Tom</b>"),
                          {"nomination": world.accepted_en.id}, edition_id=world.edition.id)
    assert "<script>" not in message.body_html and "<b>" not in message.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <bdi>&lt;b&gt;Tom&lt;/b&gt;</bdi>" in message.body_html
    assert message.body_text.split("\n\n-- \n")[0] == "<script>alert(1)</script> <b>Tom</b>"


def test_templates_preview_uses_the_chosen_candidates_data(organiser, world):
    page = organiser.get(f"{PAGE}?candidate={world.accepted_en.id}").text
    assert "Dear Tom," in page
    assert "You will work in Structural Biology, EMBL until 7 August 2027." in page
    typed = post_form(organiser, PAGE, PAGE, {"subject": "Hi", "body": "Hi {{ name }} in {{ lab }}",
                                              "candidate": str(world.accepted_en.id), "action": "preview"})
    assert typed.status_code == 200
    assert "Hi Tom in Structural Biology, EMBL" in typed.text


def test_templates_editor_lists_the_placeholders_of_the_kind(organiser, world):
    page = organiser.get(PAGE).text
    for name in ("name", "edition", "starts_on", "ends_on", "lab"):
        assert f"<code>{{{{ {name} }}}}</code>" in page
    assert "{{ link }}" not in page


def test_templates_reset_returns_to_the_standard_wording(organiser, db, world):
    save(organiser)
    response = post_form(organiser, f"{PAGE}/reset", f"{PAGE}/reset", {}, follow_redirects=False)
    assert response.status_code == 303
    assert fresh(db).exec(select(MessageTemplate)).all() == []
    assert "standard wording" in organiser.get(PAGE).text
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["message_template_saved", "message_template_reset"]
    assert db.exec(select(OutboxMessage)).all() == []


def test_templates_preview_without_a_candidate_writes_the_example_dates_in_the_templates_language(organiser, world):
    # The organiser reads the pages in English and previews the German wording: its example dates
    # and deadline read as a German reader gets them.
    page = "/organiser/messages/templates/offer_made/de"
    previewed = post_form(organiser, page, page, {"subject": "Angebot bis {{ deadline }}",
                                                  "body": "Vom {{ starts_on }} bis {{ ends_on }}.", "action": "preview"})
    assert previewed.status_code == 200
    assert "Vom 12. Juli 2027 bis 7. August 2027." in previewed.text
    assert "Angebot bis 15. März 2027, 23:59 MEZ" in previewed.text
    assert "March" not in previewed.text.split('class="card"')[-1]
