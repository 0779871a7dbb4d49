"""Organisers write to any filtered group: the composer counts and lists the recipients, the words
are written per language (English for the rest, counted), the drafts go out now or at a set time,
never once cancelled; PDF files ride along; failures are retried in one step. Delivery is checked
through the loopback SMTP server."""

from datetime import timedelta

from sqlmodel import select

from ish_portal.db import utcnow
from ish_portal.mailings import service
from ish_portal.mailings.models import Mailing
from ish_portal.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from ish_portal.text.timefmt import local
from tests.conftest import csrf_of, fresh, post_form
from tests.factories import PDF, PNG

COMPOSE = "/organiser/messages/compose"


def without_footer(text: str) -> str:
    return text.split("\n\n-- \n")[0] + "\n"


def write(organiser, query: str, texts: dict[str, tuple[str, str]], files=None, **kwargs):
    """Open the composer with these filters and send its writing form, as a browser does."""
    page = organiser.get(f"{COMPOSE}?{query}").text
    data = {"csrf_token": csrf_of(page)}
    for part in query.split("&"):
        key, _, value = part.partition("=")
        data[key] = value
    for language, (subject, body) in texts.items():
        data[f"subject_{language}"], data[f"body_{language}"] = subject, body
    return organiser.post(COMPOSE, data=data, files=files, follow_redirects=False, **kwargs)


def mailing_of(db, response) -> Mailing:
    assert response.status_code == 303, response.text[:2000]
    mailing_id = int(response.headers["location"].rsplit("/", 1)[1])
    return fresh(db).get(Mailing, mailing_id)


def send_now(organiser, mailing: Mailing):
    url = f"/organiser/messages/mailings/{mailing.id}/send"
    return post_form(organiser, url, url, {}, follow_redirects=False)


def test_mailings_composer_counts_and_lists_the_filtered_group_before_writing(organiser, group):
    page = organiser.get(f"{COMPOSE}?organisation={group.bautzen.id}&status=accepted").text
    assert "2 recipients: the candidates" in page
    assert "anna@example.org" in page and "tom@example.org" in page
    assert "lena@example.org" not in page and "yui@example.org" not in page
    # One German reader and one English: a German version is offered beside the English one.
    assert 'name="subject_de"' in page and 'name="subject_ja"' not in page
    placed = organiser.get(f"{COMPOSE}?placed=no").text
    assert "lena@example.org" in placed and "sora@example.org" in placed and "anna@example.org" not in placed


def test_mailings_filtered_group_in_two_languages_reaches_exactly_them_each_in_their_language(
        organiser, db, group, smtp, deliver):
    response = write(organiser, f"organisation={group.bautzen.id}&status=accepted&group=candidates", {
        "en": ("Arrival on {{ starts_on }}", "Dear {{ name }},\n\nwe meet you at the station. Your lab: {{ lab }}.\n"),
        "de": ("Anreise am {{ starts_on }}", "Hallo {{ name }},\n\nwir holen dich am Bahnhof ab. Dein Labor: {{ lab }}.\n")})
    mailing = mailing_of(db, response)
    assert deliver() == 0  # drafts wait for the organiser
    assert send_now(organiser, mailing).status_code == 303
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == ["anna@example.org", "tom@example.org"]
    [anna] = smtp.to("anna@example.org")
    [tom] = smtp.to("tom@example.org")
    assert anna["Subject"] == "Anreise am 12. Juli 2027"
    assert without_footer(smtp.text_of(anna)) == (
        "Hallo Anna,\n\nwir holen dich am Bahnhof ab. Dein Labor: Structural Biology, EMBL.\n")
    assert anna["Content-Language"] == "de"
    assert tom["Subject"] == "Arrival on 12 July 2027"
    assert without_footer(smtp.text_of(tom)) == (
        "Dear Tom,\n\nwe meet you at the station. Your lab: Structural Biology, EMBL.\n")
    listing = organiser.get("/organiser/messages/mailings").text
    # Listed as its first recipient reads it, as its own page is titled, placeholders filled in.
    first = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)
                           .order_by(OutboxMessage.id)).first()
    assert first.subject in ("Anreise am 12. Juli 2027", "Arrival on 12 July 2027")
    assert f">{first.subject}</bdi></a>" in listing and "{{ starts_on }}" not in listing
    assert "Olga Organiser" in listing and "status-sent" in listing


def test_mailings_a_language_without_its_version_gets_english_and_is_counted(organiser, db, group, smtp, deliver):
    page = organiser.get(f"{COMPOSE}?status=accepted").text
    # Anna (de), Tom (en), Yui (ja): only English given, two would fall back.
    assert "3 recipients" in page
    response = write(organiser, "status=accepted", {"en": ("News", "Hello {{ name }}.\n")})
    mailing = mailing_of(db, response)
    rows = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).all()
    assert sorted((r.recipient, r.language) for r in rows) == [
        ("anna@example.org", "en"), ("tom@example.org", "en"), ("yui@example.org", "en")]
    back = write(organiser, "status=accepted", {"en": ("News", "Hello {{ nme }}.\n")})
    assert back.status_code == 422
    assert "2 recipients read a language you have not written in; they get the English version." in back.text


def test_mailings_guardians_and_coordinators_each_once_in_their_language(organiser, db, group, smtp, deliver):
    mailing = mailing_of(db, write(organiser, "group=guardians", {
        "en": ("About {{ candidate }}", "Dear {{ name }}, about {{ candidate }}.\n"),
        "de": ("Über {{ candidate }}", "Guten Tag {{ name }}, es geht um {{ candidate }}.\n")}))
    send_now(organiser, mailing)
    coordinators = mailing_of(db, write(organiser, "group=coordinators&status=accepted", {
        "en": ("Your candidates", "Dear {{ name }} of {{ organisation }}.\n")}))
    send_now(organiser, coordinators)
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == [
        "jana@bautzen.example", "kenji@kumamoto.example", "petra@example.org"]
    [petra] = smtp.to("petra@example.org")
    assert petra["Subject"] == "Über Anna Weber"
    [kenji] = smtp.to("kenji@kumamoto.example")
    assert without_footer(smtp.text_of(kenji)) == "Dear Kenji Sato of Kumamoto.\n"


def test_mailings_scheduled_batch_goes_out_at_its_time_and_not_before(organiser, db, group, smtp, deliver, settings):
    mailing = mailing_of(db, write(organiser, f"organisation={group.kumamoto.id}", {"en": ("Soon", "Hello {{ name }}.\n")}))
    when = local(utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    url = f"/organiser/messages/mailings/{mailing.id}"
    response = post_form(organiser, url, f"{url}/schedule", {"scheduled_at": when.strftime("%Y-%m-%dT%H:%M")},
                         follow_redirects=False)
    assert response.status_code == 303
    page = organiser.get(url).text
    assert "status-scheduled" in page and "Europe/Berlin" in page
    assert fresh(db).get(Mailing, mailing.id).scheduled_at == when
    # A minute before its time the worker leaves it; at its time it goes.
    assert service.release_due(fresh(db), settings.base_url, now=when - timedelta(minutes=1)) == 0
    assert deliver() == 0 and smtp.messages == []
    assert service.release_due(fresh(db), settings.base_url, now=when) == 2
    assert service.release_due(fresh(db), settings.base_url, now=when + timedelta(minutes=1)) == 0  # once
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == ["sora@example.org", "yui@example.org"]
    assert "status-sent" in organiser.get("/organiser/messages/mailings").text


def test_mailings_cancelled_batch_never_goes_out(organiser, db, group, smtp, deliver, settings):
    mailing = mailing_of(db, write(organiser, "status=approved", {"en": ("Soon", "Hello {{ name }}.\n")}))
    when = utcnow() + timedelta(hours=3)
    service.schedule(fresh(db), group.organiser, group.edition.id, mailing.id, when)
    url = f"/organiser/messages/mailings/{mailing.id}/cancel"
    assert "never sent" in organiser.get(url).text  # the confirmation says what follows
    assert post_form(organiser, url, url, {}, follow_redirects=False).status_code == 303
    assert service.release_due(fresh(db), settings.base_url, now=when + timedelta(days=1)) == 0
    assert deliver() == 0 and smtp.messages == []
    assert fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).all() == []
    assert fresh(db).get(Mailing, mailing.id).cancelled_at is not None
    assert "cancelled" in organiser.get(f"/organiser/messages/mailings/{mailing.id}").text


def test_mailings_schedule_in_the_past_or_garbled_is_refused_beside_the_field(organiser, db, group):
    mailing = mailing_of(db, write(organiser, "status=approved", {"en": ("Soon", "Hello.\n")}))
    url = f"/organiser/messages/mailings/{mailing.id}"
    for typed, problem in (("2020-01-01T09:00", "Choose a time in the future."),
                           ("2099-01-01T09:00", "Choose a time within the next 366 days."),
                           ("tomorrow", "Enter a date and time like 2027-03-15 23:59."),
                           ("", "Enter the date and time it should go out.")):
        response = post_form(organiser, url, f"{url}/schedule", {"scheduled_at": typed})
        assert response.status_code == 422 and problem in response.text
        assert 'aria-invalid="true"' in response.text
    assert fresh(db).get(Mailing, mailing.id).scheduled_at is None


def test_mailings_one_draft_edited_and_one_dropped_before_sending(organiser, db, group, smtp, deliver):
    mailing = mailing_of(db, write(organiser, f"organisation={group.bautzen.id}&status=accepted",
                                   {"en": ("Hi", "Hello {{ name }}.\n")}))
    rows = {r.recipient: r for r in fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch))}
    tom, anna = rows["tom@example.org"], rows["anna@example.org"]
    preview = organiser.get(f"/organiser/messages/{tom.id}").text
    assert "Hello Tom." in preview  # rendered with his own data
    # Back to the message's own page (with its time and cancelling), not the bare outbox batch.
    assert f'<a href="/organiser/messages/mailings/{mailing.id}">' in preview and "All recipients" in preview
    bare = organiser.get(f"/organiser/messages/batches/{mailing.batch}", follow_redirects=False)
    assert bare.status_code == 303 and bare.headers["location"] == f"/organiser/messages/mailings/{mailing.id}"
    post_form(organiser, f"/organiser/messages/{tom.id}", f"/organiser/messages/{tom.id}",
              {"subject": "Hi Tom", "body": "Just for you, {{ name }}.\n"})
    post_form(organiser, f"/organiser/messages/{anna.id}/discard", f"/organiser/messages/{anna.id}/discard", {})
    send_now(organiser, mailing)
    deliver()
    assert [smtp.address_of(m) for m in smtp.messages] == ["tom@example.org"]
    assert without_footer(smtp.text_of(smtp.messages[0])) == "Just for you, Tom.\n"


def test_mailings_pdf_attachment_reaches_every_recipient(organiser, db, group, smtp, deliver):
    response = write(organiser, f"organisation={group.kumamoto.id}", {"en": ("Welcome pack", "See the PDF.\n")},
                     files=[("files", ("welcome pack.pdf", PDF, "application/pdf"))])
    mailing = mailing_of(db, response)
    assert mailing.files == [{"name": "welcome pack.pdf", "bytes": len(PDF)}]
    send_now(organiser, mailing)
    deliver()
    assert len(smtp.messages) == 2
    for message in smtp.messages:
        [part] = list(message.iter_attachments())
        assert part.get_filename() == "welcome pack.pdf" and part.get_content() == PDF


def test_mailings_attachment_recognised_by_content_and_capped(organiser, db, group):
    disguised = write(organiser, "status=approved", {"en": ("Pack", "See it.\n")},
                      files=[("files", ("pack.pdf", PNG, "application/pdf"))])
    assert disguised.status_code == 422
    assert "pack.pdf is not a PDF file. Only PDF files can be attached." in disguised.text
    limit = group.edition.upload_limit_mb
    big = PDF + b"0" * (limit * 1024 * 1024)
    too_big = write(organiser, "status=approved", {"en": ("Pack", "See it.\n")},
                    files=[("files", ("big.pdf", big, "application/pdf"))])
    assert too_big.status_code == 422 and f"larger than {limit} MB" in too_big.text
    assert fresh(db).exec(select(Mailing)).all() == []
    assert fresh(db).exec(select(OutboxAttachment)).all() == []


def test_mailings_unknown_placeholder_and_missing_english_are_named(organiser, db, group):
    response = write(organiser, "status=accepted", {"en": ("", "Hi {{ nam }}.\n"), "de": ("Hallo", "")})
    assert response.status_code == 422
    text = response.text
    assert "English: Enter a subject." in text
    assert "German: Enter the text of the message." in text
    assert fresh(db).exec(select(Mailing)).all() == []


def test_mailings_failures_of_a_batch_retried_in_one_step(organiser, db, group, smtp, deliver):
    mailing = mailing_of(db, write(organiser, f"organisation={group.kumamoto.id}", {"en": ("Hi", "Hello.\n")}))
    send_now(organiser, mailing)
    session = fresh(db)
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).all():
        row.status, row.last_error = OutboxStatus.FAILED, "550 mailbox unavailable"
        session.add(row)
    session.commit()
    page = organiser.get(f"/organiser/messages/mailings/{mailing.id}").text
    assert "Retry the 2 failed messages" in page
    listing = organiser.get("/organiser/messages/mailings").text
    assert f'/organiser/messages/mailings/{mailing.id}#failures">2<' in listing
    url = f"/organiser/messages/mailings/{mailing.id}"
    post_form(organiser, url, f"{url}/retry", {})
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == ["sora@example.org", "yui@example.org"]


def test_mailings_sent_batch_cannot_be_scheduled_or_cancelled(organiser, db, group):
    mailing = mailing_of(db, write(organiser, "status=approved", {"en": ("Hi", "Hello.\n")}))
    send_now(organiser, mailing)
    url = f"/organiser/messages/mailings/{mailing.id}"
    post_form(organiser, url, f"{url}/cancel", {})
    assert fresh(db).get(Mailing, mailing.id).cancelled_at is None
    assert fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).one().status == "queued"


def test_mailings_to_last_years_edition_are_reviewed_and_sent_like_this_years(organiser, db, make, group, smtp, deliver):
    past = make.edition(db, year=2025, title="ISH 2025", starts_on=group.edition.starts_on.replace(year=2025),
                        ends_on=group.edition.ends_on.replace(year=2025))
    make.quota(db, past, group.bautzen, places=2)
    make.nomination(db, past, group.bautzen, given_name="Karl", family_name="Alt", email="karl@example.org",
                    status="accepted", language="de")
    page = organiser.get(f"{COMPOSE}?edition={past.id}").text
    assert "1 recipient: the candidates" in page and "karl@example.org" in page
    mailing = mailing_of(db, write(organiser, f"edition={past.id}", {"de": ("Alumnitreffen", "Hallo {{ name }}.\n"),
                                                                     "en": ("Alumni", "Hello {{ name }}.\n")}))
    assert mailing.edition_id == past.id
    [draft] = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).all()
    assert "Hallo Karl." in organiser.get(f"/organiser/messages/{draft.id}").text
    assert organiser.get(f"/organiser/messages/batches/{mailing.batch}").status_code == 200
    assert "Alumnitreffen" not in organiser.get("/organiser/messages/mailings").text  # this year's list
    assert "Alumni" in organiser.get(f"/organiser/messages/mailings?edition={past.id}").text
    send_now(organiser, mailing)
    deliver()
    [karl] = smtp.to("karl@example.org")
    assert karl["Subject"] == "Alumnitreffen"


def test_mailings_scheduled_batch_sent_early_from_its_batch_page_goes_once(organiser, db, group, smtp, deliver, settings):
    mailing = mailing_of(db, write(organiser, f"organisation={group.kumamoto.id}", {"en": ("Hi", "Hello.\n")}))
    when = utcnow() + timedelta(days=1)
    service.schedule(fresh(db), group.organiser, group.edition.id, mailing.id, when)
    batch = f"/organiser/messages/batches/{mailing.batch}"
    post_form(organiser, f"{batch}/send", f"{batch}/send", {})
    assert service.release_due(fresh(db), settings.base_url, now=when) == 0
    deliver()
    assert sorted(smtp.address_of(m) for m in smtp.messages) == ["sora@example.org", "yui@example.org"]
    assert "status-sent" in organiser.get(f"/organiser/messages/mailings/{mailing.id}").text


def test_mailings_batch_whose_drafts_were_all_dropped_can_be_closed(organiser, db, group):
    mailing = mailing_of(db, write(organiser, "status=approved", {"en": ("Hi", "Hello.\n")}))
    [draft] = fresh(db).exec(select(OutboxMessage).where(OutboxMessage.batch == mailing.batch)).all()
    response = post_form(organiser, f"/organiser/messages/{draft.id}/discard",
                         f"/organiser/messages/{draft.id}/discard", {}, follow_redirects=False)
    assert response.headers["location"] == "/organiser/messages"  # its batch has no message left
    url = f"/organiser/messages/mailings/{mailing.id}/cancel"
    post_form(organiser, url, url, {})
    assert fresh(db).get(Mailing, mailing.id).cancelled_at is not None
