"""The organisers' pages on a phone: a wide table becomes cards and a long address wraps, so
nothing sticks out of a 360 px screen, in English or in German (whose words run long)."""

from email.message import EmailMessage

from tests.factories import PASSWORD

PHONE = {"width": 360, "height": 740}
LINK = "http://127.0.0.1:8000/access/TvdogumIe3ZqnuNb5EFPCfQ3Q1awft0FEhqBjzUz22g"


def test_the_edition_settings_and_a_sent_email_fit_a_phone(browser, live_server, db, make, settings):
    make.edition(db)
    organiser = make.organiser(db)
    sent = EmailMessage()
    sent["From"], sent["To"] = "ISH Heidelberg <ish@ish.example>", "Konstantinopoulou <k.konstantinopoulou.2027@example.org>"
    sent["Subject"] = "Your personal link to the ISH portal"
    sent.set_content(f"Dear Eleni,\n\nhere is your personal link:\n\n{LINK}\n")
    (settings.mail_dir / "0000001-applicant_access.eml").write_bytes(bytes(sent))

    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/login")
    page.get_by_label("Email address").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organiser")
    too_wide = {}
    for language in ("en", "de"):
        page.locator(f"[data-language-switch] button[value={language}]").first.click()
        for path in ("/organiser/edition", "/organiser/mail/0000001-applicant_access.eml"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[(language, path)] = width
    assert too_wide == {}
    page.goto("/organiser/edition")
    assert page.locator("table.stack td[data-label]").count() >= 2  # the retention table stacks
    context.close()
