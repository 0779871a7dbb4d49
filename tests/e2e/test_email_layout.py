"""Emails as a phone shows them: nothing wider than the screen, whatever the reader's language."""

import pytest

from ish_portal.notifications.catalog import KINDS
from ish_portal.notifications.render import render_email

# A personal link as the portal sends them: 43 characters of token after the address.
LINK = "https://ish-portal.heidelberg.de/access/TvdogumIe3ZqnuNb5EFPCfQ3Q1awft0FEhqBjzUz22g"


@pytest.mark.parametrize("language", ["en", "de", "he", "ja"])
def test_an_email_with_a_personal_link_fits_a_phone_screen(browser, language):
    context = KINDS["offer_accepted"].example_context() | {"link": LINK}
    html = render_email("offer_accepted", language, context).html
    page = browser.new_page(viewport={"width": 360, "height": 740})
    try:
        page.set_content(html)
        assert page.locator(f'a[href="{LINK}"]').count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the email is {width}px wide on a 360px screen"
    finally:
        page.close()
