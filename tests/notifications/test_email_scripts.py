"""Emails in every language and script, read back from a real SMTP server as a client reads them:
multipart/alternative with a plain-text part and an HTML part made from the same text; the HTML
with the reader's lang and dir and every value from the facts inside <bdi>; Subject, From and To in
RFC 2047 encoded words that decode to exactly what was queued, however long; bodies in UTF-8; the
Content-Language of the reader. Right to left is tested with an organiser's own Hebrew wording
where no Hebrew template files exist, and with the files wherever they do."""

from __future__ import annotations

import base64
import binascii
import email
import quopri
import re
from email import policy
from email.mime.text import MIMEText
from email.policy import compat32
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from html import unescape
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from sqlmodel import select

from ish_portal.db import transaction
from ish_portal.notifications.catalog import Reader
from ish_portal.notifications.models import MessageTemplate, OutboxMessage
from ish_portal.notifications.render import EMAIL_TEMPLATES, OPEN, CLOSE, Wording, assemble, render_email
from ish_portal.notifications.sender import MIME_POLICY, Sender, _text_part
from ish_portal.notifications.service import enqueue
from ish_portal.text import i18n

# The languages that have their template files in this checkout (all seven once translated).
WITH_TEMPLATES = [code for code in i18n.LANGUAGES if (EMAIL_TEMPLATES / code).is_dir()]

# Per language: a candidate's given and family name, a coordinator's name, and a reason as someone
# writing that language types it. English carries a Cyrillic name (Mostar).
PEOPLE = {
    "en": ("Ёлка", "Петрова", "Пётр Соколов", "Болезнь в семье, увы."),
    "de": ("Jürgen", "Weiß", "Grete Öztürk-Maaß", "Krankheit in der Familie (leider)."),
    "fr": ("Zoë", "Lefèvre-Dubois", "Noël Chaîné", "Maladie dans la famille « hélas »."),
    "pl": ("Zoë", "Łukasiewicz", "Grzegorz Brzęczyszczykiewicz", "Choroba w rodzinie, niestety."),
    "he": ("נועה", "כהן", "אבי לוי", "מחלה במשפחה, לצערנו."),
    "ja": ("太郎", "熊本", "佐藤 恵子", "家族の事情により、参加できなくなりました。"),
    "zh": ("小明", "王", "李华", "家里有人生病了，很遗憾。"),
}

# An organiser's Hebrew wording of the withdrawal message to coordinators.
HEBREW = Wording(subject="המועמדות של {{ candidate }} בוטלה",
                 body="שלום {{ name }},\n\nהמועמדות של {{ candidate }} ל-{{ edition }} בוטלה."
                      "{% if reason %} הסיבה: {{ reason }}{% endif %}\n\nצוות ISH, העיר היידלברג\n")


# -- reading a message as it came over the wire ----------------------------------------------------

def raw_headers(raw: bytes) -> dict[str, str]:
    """The header section as sent (unfolded, still encoded), which must be ASCII only."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # raises on any byte that is not ASCII: no SMTPUTF8 needed
    parsed = email.message_from_bytes(raw, policy=policy.compat32)
    return {name: re.sub(r"\r?\n[ \t]", " ", value) for name, value in parsed.items()}


def decoded(value: str) -> str:
    """An RFC 2047 header value decoded as the RFC says (whitespace between encoded words drops)."""
    return str(make_header(decode_header(value)))


def encoded_words(raw: bytes, header: str) -> list[bytes]:
    """The bytes of each encoded word of one header, as sent."""
    parsed = email.message_from_bytes(raw, policy=policy.compat32)
    words = []
    for charset, encoding, text in re.findall(r"=\?([^?]+)\?([bBqQ])\?([^?]*)\?=", parsed[header]):
        assert charset.lower() == "utf-8"
        if encoding in "bB":
            words.append(base64.b64decode(text))
        else:
            words.append(quopri.decodestring(text.replace("_", " ").encode(), header=True))
    return words


def folded_lines(raw: bytes, header: str) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines, inside = [], False
    for line in head.split("\r\n"):
        if line.lower().startswith(header.lower() + ":"):
            inside = True
        elif not line[:1].isspace():
            inside = False
        if inside:
            lines.append(line)
    return lines


class _Visible(HTMLParser):
    """The text a reader sees in the HTML part, without the title."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("title", "head")
        if tag in ("p", "br", "li", "div"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self._skip -= tag in ("title", "head")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "".join(parser.parts)


def bdi_contents(html: str) -> list[str]:
    return [unescape(inner) for inner in re.findall(r"<bdi>(.*?)</bdi>", html, re.S)]


def received(smtp, address: str):
    """The one message sent to `address`, parsed as a client does, and its raw bytes."""
    with smtp.lock:
        found = [(message, raw) for (recipients, message), raw in zip(smtp.received, smtp.raw)
                 if address in recipients]
    [(message, raw)] = found
    return message, raw


def assert_well_formed(message, raw: bytes, stored: OutboxMessage, reader: Reader) -> tuple[str, str]:
    """What every message must be, in any language; returns its plain text and its HTML."""
    language = stored.language
    assert message.get_content_type() == "multipart/alternative"
    plain_part, html_part = message.get_payload()
    assert (plain_part.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
    for part in (plain_part, html_part):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    # Subject, To and From: ASCII on the wire, exactly what was queued once decoded, both by the
    # RFC's rules and by a client's parser.
    headers = raw_headers(raw)
    assert decoded(headers["Subject"]) == stored.subject == message["Subject"]
    assert decoded(headers["To"]) == f"{reader.name} <{reader.email}>"
    assert message["To"].addresses[0].display_name == reader.name
    assert message["To"].addresses[0].addr_spec == reader.email
    assert message["From"].addresses[0].display_name == "ISH Heidelberg"
    for word in encoded_words(raw, "Subject") + encoded_words(raw, "To"):
        word.decode("utf-8")  # each word whole by itself: no character split between two
    assert message["Content-Language"] == i18n.html_lang(language)
    # The plain text: no markup, no marks; the HTML: the same text, with lang, dir and charset.
    plain, html = plain_part.get_content(), html_part.get_content()
    assert plain == stored.body_text and html == stored.body_html
    assert "<" not in plain and "&lt;" not in plain and OPEN not in plain + html and CLOSE not in plain + html
    assert f'<html lang="{i18n.html_lang(language)}" dir="{i18n.direction(language)}">' in html
    assert '<meta charset="utf-8">' in html
    seen = " ".join(visible_text(html).split())
    for line in plain.splitlines():
        if line.strip() and line != "-- ":
            assert " ".join(line.split()) in seen, f"{line!r} is missing from the HTML part"
    assert f"<bdi>{escape(reader.name)}</bdi>" in html
    styles = " ".join(re.findall(r'style="([^"]*)"', html))
    if i18n.direction(language) == "rtl":
        assert "text-align:right" in styles and "left" not in styles
    else:
        assert "text-align:left" in styles and "right" not in styles
    return plain, html


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def withdrawal(db, make):
    """Queues the withdrawal message to a coordinator: (language, candidate's names, coordinator's
    name, reason, own wording) -> (the stored message, its reader)."""
    edition = make.edition(db, title="ISH 2027")
    organisation = make.organisation(db, name="Rehovot")

    def queue(language: str, given: str, family: str, coordinator: str, reason: str,
              wording: Wording | None = None, to: str | None = None) -> tuple[OutboxMessage, Reader]:
        nomination = make.nomination(db, edition, organisation, given_name=given, family_name=family)
        if wording is not None:
            db.add(MessageTemplate(edition_id=edition.id, kind="withdrawal_coordinator", language=language,
                                   subject=wording.subject, body=wording.body))
            db.commit()
        reader = Reader(to or f"coordinator-{language}@example.org", coordinator, language)
        with i18n.language("en"), transaction(db):  # whoever withdraws works in English
            message = enqueue(db, "withdrawal_coordinator", reader, {"nomination": nomination.id, "reason": reason},
                              edition_id=edition.id, nomination_id=nomination.id)
        return db.exec(select(OutboxMessage).where(OutboxMessage.id == message.id)).one(), reader
    return queue


# -- every language, in its own script ------------------------------------------------------------

@pytest.mark.parametrize("language", WITH_TEMPLATES)
def test_email_scripts_every_language_arrives_readable_in_its_script(withdrawal, engine, settings, smtp, language):
    given, family, coordinator, reason = PEOPLE[language]
    stored, reader = withdrawal(language, given, family, coordinator, reason)
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    plain, html = assert_well_formed(message, raw, stored, reader)
    assert coordinator in plain and given in plain and family in plain and reason in plain
    assert any(given in inner and family in inner for inner in bdi_contents(html)), "the candidate is not in <bdi>"
    assert reason in bdi_contents(html)
    first_line = (EMAIL_TEMPLATES / language / "withdrawal_coordinator.txt").read_text(encoding="utf-8").split("\n")[0]
    if "{{ candidate }}" in first_line:
        assert family in message["Subject"]


def test_email_scripts_hebrew_email_with_a_latin_name_is_right_to_left(withdrawal, engine, settings, smtp):
    stored, reader = withdrawal("he", "Tom", "Baker", "Jana Krause", "Illness in the family.",
                                wording=None if "he" in WITH_TEMPLATES else HEBREW)
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    plain, html = assert_well_formed(message, raw, stored, reader)
    assert "Tom Baker" in message["Subject"]
    assert '<div lang="he" dir="rtl"' in html
    # The Latin name is isolated and the punctuation after it stays outside, on the Hebrew side.
    assert "<bdi>Jana Krause</bdi>," in html
    assert "<bdi>Tom Baker</bdi>" in html and "<bdi>Illness in the family.</bdi>" in html
    assert "Jana Krause," in plain


def test_email_scripts_hebrew_wording_in_this_checkout_is_right_to_left(withdrawal, engine, settings, smtp):
    # The organiser's own wording, whatever template files exist: right to left is tested here too.
    stored, reader = withdrawal("he", "Zoë", "Łukasiewicz", "Jana Krause", "", wording=HEBREW)
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    plain, html = assert_well_formed(message, raw, stored, reader)
    assert message["Subject"] == "המועמדות של Zoë Łukasiewicz בוטלה"
    assert "<p>שלום <bdi>Jana Krause</bdi>,</p>" in html
    assert "המועמדות של <bdi>Zoë Łukasiewicz</bdi> ל-<bdi>ISH 2027</bdi> בוטלה.</p>" in html
    assert "הסיבה" not in plain  # an empty reason still reads as empty


def test_email_scripts_english_email_with_a_hebrew_name(withdrawal, engine, settings, smtp):
    stored, reader = withdrawal("en", "נועה", "כהן", "אבי לוי", "מחלה במשפחה.")
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    plain, html = assert_well_formed(message, raw, stored, reader)
    assert "נועה כהן" in message["Subject"]
    assert message["Subject"] == stored.subject
    assert '<html lang="en" dir="ltr">' in html
    assert f"<bdi>{'נועה כהן'}</bdi>" in html and "<bdi>אבי לוי</bdi>," in html
    # The full stop after the Hebrew reason stays inside its value; the text's own stays outside.
    assert "<bdi>מחלה במשפחה.</bdi>" in html


def test_email_scripts_chinese_content_language_is_zh_hans(withdrawal, engine, settings, smtp):
    stored, reader = withdrawal("zh", "小明", "王", "李华", "家里有人生病了。",
                                wording=None if "zh" in WITH_TEMPLATES else Wording(
                                    "{{ candidate }}的提名已撤回", "{{ name }}您好：\n\n{{ candidate }}的提名已撤回。\n"))
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    assert_well_formed(message, raw, stored, reader)
    assert message["Content-Language"] == "zh-Hans"
    assert stored.language == "zh"


# -- long headers fold between characters ---------------------------------------------------------

@pytest.mark.parametrize("language, subject, name", [
    ("ja", "【重要】{{ candidate }}さんの推薦の取り下げについて：ハイデルベルク国際サマーサイエンススクール"
           "事務局からのお知らせです。必ず最後までお読みください。", "熊本県国際交流課 佐藤 恵子 様（担当者）"),
    ("zh", "重要通知：{{ candidate }}同学的提名已被撤回。海德堡国际暑期科学学校招生办公室特此通知，请您务必仔细阅读本邮件的全部内容。",
     "杭州市教育局国际交流与合作处 李华老师"),
    ("he", "הודעה חשובה: המועמדות של {{ candidate }} לבית הספר הבינלאומי למדעים בקיץ בהיידלברג בוטלה, נא לקרוא",
     "נועה כהן-לוי, רכזת התוכנית הבינלאומית של עיריית רחובות"),
    ("pl", "Ważna wiadomość: zgłoszenie {{ candidate }} do Międzynarodowej Letniej Szkoły Nauk w Heidelbergu "
           "zostało wycofane; prosimy o zapoznanie się z treścią", "Grzegorz Brzęczyszczykiewicz-Łukasiewicz, Jelenia Góra"),
    ("en", "Important: the nomination of {{ candidate }} for the International Summer Science School has been "
           "withdrawn", "Ёлка Петрова-Водкина, Отдел международного сотрудничества, Мостар"),
])
def test_email_scripts_long_subjects_and_names_fold_between_characters(withdrawal, engine, settings, smtp,
                                                                        language, subject, name):
    given, family, _coordinator, reason = PEOPLE[language]
    stored, reader = withdrawal(language, given, family, name, reason,
                                wording=Wording(subject, "{{ name }},\n\n{{ candidate }}: {{ reason }}\n"))
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    assert len(stored.subject.encode("utf-8")) > 100
    assert decoded(raw_headers(raw)["Subject"]) == stored.subject == message["Subject"]
    assert decoded(raw_headers(raw)["To"]) == f"{name} <{reader.email}>"
    for header in ("Subject", "To"):
        lines = folded_lines(raw, header)
        assert len(lines) > 1, f"a long {header} is folded"
        assert all(len(line) <= 78 for line in lines), lines
        words = encoded_words(raw, header)
        assert len(words) > 1
        for word in words:
            word.decode("utf-8")  # strict: a character split between two words would raise here
        assert b"".join(words).decode("utf-8") in (stored.subject, name)
        assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", " ".join(lines)))


def test_email_scripts_ascii_names_are_quoted_and_names_cannot_break_a_header(withdrawal, engine, settings, smtp):
    _stored, reader = withdrawal("en", "Tom", "Baker", "Baker, Tom (ISH)\r\nBcc: eve@example.org", "")
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    assert message["To"].addresses[0].display_name == "Baker, Tom (ISH) Bcc: eve@example.org"
    assert message["Bcc"] is None


def test_email_scripts_text_that_looks_encoded_is_encoded(withdrawal, engine, settings, smtp):
    looks_encoded = "=?utf-8?b?QmNjOg==?="
    stored, reader = withdrawal("en", "Tom", "Baker", looks_encoded, "",
                                wording=Wording(f"{looks_encoded} {{{{ candidate }}}}", "{{ name }}\n"))
    Sender(engine, settings).run_until_idle()
    message, raw = received(smtp, reader.email)
    assert message["Subject"] == stored.subject == f"{looks_encoded} Tom Baker"
    assert message["To"].addresses[0].display_name == looks_encoded


# -- the HTML is made from the same text ----------------------------------------------------------

def test_email_scripts_values_over_several_lines_nest_and_links_stay_clickable():
    wording = Wording("{{ name }}", "Dear {{ name }},\n\n{{ reason }}\n\n- {{ name }}\n- Link: {{ link }}\n\n"
                                    "Open {{ link }}/more or {{ link }}.\n")
    reason = "First line\nsecond https://example.org/x line\n\n- a list inside a value"
    rendered = render_email("withdrawal", "he", {"name": "Tom\ufdd1 <b>", "reason": reason,
                                                 "link": "https://ish.example/access/abc"}, wording)
    assert rendered.subject == "Tom <b>"
    assert OPEN not in rendered.text + rendered.html and CLOSE not in rendered.text + rendered.html
    assert rendered.text.startswith(f"Dear Tom <b>,\n\n{reason}\n\n- Tom <b>\n- Link: https://ish.example/access/abc\n")
    html = rendered.html
    assert "<p>Dear <bdi>Tom &lt;b&gt;</bdi>,</p>" in html
    # A value over several lines and paragraphs: one <bdi> per line, each closed where it opens.
    assert ("<p><bdi>First line</bdi><br>\n<bdi>second <a href=\"https://example.org/x\">https://example.org/x</a>"
            " line</bdi></p>") in html
    assert "<ul><li><bdi>a list inside a value</bdi></li></ul>" in html
    assert ('<ul><li><bdi>Tom &lt;b&gt;</bdi></li><li>Link: <bdi><a href="https://ish.example/access/abc">'
            'https://ish.example/access/abc</a></bdi></li></ul>') in html
    assert ('Open <bdi><a href="https://ish.example/access/abc/more">https://ish.example/access/abc/more</a></bdi>'
            ' or <bdi><a href="https://ish.example/access/abc">https://ish.example/access/abc</a></bdi>.') in html
    assert html.count("<bdi") == html.count("</bdi>")
    for element in re.findall(r"<(p|li)>(.*?)</\1>", html, re.S):
        inner = element[1]
        assert inner.count("<bdi>") == inner.count("</bdi>"), inner


def test_email_scripts_assembled_text_has_the_footer_and_direction_of_its_language():
    rendered = assemble("שלום", "שלום Tom,\n\nhttps://ish.example/x\n", "he")
    assert '<html lang="he" dir="rtl">' in rendered.html
    assert '<a href="https://ish.example/x">https://ish.example/x</a>' in rendered.html
    with i18n.language("he"):
        from ish_portal.notifications.render import footer
        closing = footer()
    assert rendered.text.endswith(f"\n-- \n{closing}\n")
    assert escape(closing.splitlines()[0]) in rendered.html


def test_email_scripts_a_sender_name_in_any_script_decodes_exactly(withdrawal, engine, settings, smtp):
    sender_name = "Internationale Sommerschule Heidelberg – Zulassungsbüro · ハイデルベルク国際サマースクール"
    _stored, reader = withdrawal("ja", *PEOPLE["ja"][:3], "", wording=Wording("{{ candidate }}", "{{ name }}\n"))
    Sender(engine, settings.model_copy(update={"mail_from": f"{sender_name} <ish@ish.example>"})).run_until_idle()
    message, raw = received(smtp, reader.email)
    assert decoded(raw_headers(raw)["From"]) == f"{sender_name} <ish@ish.example>"
    assert message["From"].addresses[0].addr_spec == "ish@ish.example"
    assert all(len(line) <= 78 for line in folded_lines(raw, "From"))
    for word in encoded_words(raw, "From"):
        word.decode("utf-8")


# -- the sender's shortcuts through the standard library write what the standard library writes ---

HEADER_NAMES = st.sampled_from(["Subject", "To", "From", "Date", "Message-ID", "Content-Type",
                                "Content-Transfer-Encoding", "Auto-Submitted", "Content-Language"])


@given(name=HEADER_NAMES, value=st.text(st.characters(min_codepoint=0, max_codepoint=0x7f), max_size=90)
       | st.text(max_size=40))
def test_email_scripts_a_header_is_written_as_compat32_writes_it(name, value):
    # MimePolicy writes a short line of ASCII itself instead of passing it through email.header;
    # every other value (long, several lines, any other script) still goes that way, and what
    # compat32 refuses (a value that would start another header) it refuses too.
    for fold in ("fold", "fold_binary"):
        assert _folded(MIME_POLICY, fold, name, value) == _folded(compat32.clone(linesep="\r\n"), fold, name, value)


def _folded(policy, fold: str, name: str, value: str):
    try:
        return getattr(policy, fold)(name, value)
    except HeaderParseError as refused:
        return f"refused: {refused}"


@given(text=st.text(max_size=400), subtype=st.sampled_from(["plain", "html"]))
def test_email_scripts_a_text_part_is_encoded_as_mimetext_encodes_it(text, subtype):
    ours, theirs = _text_part(text, subtype), MIMEText(text, subtype, "utf-8", policy=MIME_POLICY)
    assert ours.get_payload() == theirs.get_payload()
    assert ours.get_payload(decode=True).decode("utf-8") == text
    for header in ("Content-Type", "Content-Transfer-Encoding"):
        assert ours[header] == theirs[header]
