"""The translation machinery: Babel's compiled catalogues with plural forms and message contexts,
the browser's preferences with their q-values, and each language's catalogue complete."""

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ish_portal.text import i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize(("header", "expected"), [
    ("fr;q=0.4, he;q=0.9", "he"),
    ("de-CH", "de"),
    ("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"),
    ("es, pl;q=0.5, en;q=0.3", "pl"),
    ("zh-Hans-CN,zh;q=0.9", "zh"),
    ("en;q=0, de;q=0.1", "de"),
    ("iw", "he"),
    ("*", "en"),
    ("", "en"),
    ("de;q=nonsense, fr;q=0.2", "fr"),
])
def test_browser_preference_honours_q_values(header, expected):
    assert i18n.best_match(header) == expected


def test_plural_forms_follow_each_language():
    with i18n.language("pl"):
        forms = [i18n.ngettext("%(num)d day left", "%(num)d days left", n) for n in (1, 2, 5, 22)]
    assert len({form.replace(str(n), "") for form, n in zip(forms, (1, 2, 5, 22))}) == 3, forms
    with i18n.language("de"):
        assert [i18n.ngettext("%(num)d day left", "%(num)d days left", n) for n in (1, 2)] == \
            ["noch 1 Tag", "noch 2 Tage"]


def test_a_context_tells_two_meanings_of_one_word_apart():
    with i18n.language("de"):
        assert i18n.pgettext("email", "Subject") == "Betreff"
        assert i18n.pgettext("lab", "Subject") != "Betreff"


def test_the_pseudo_language_marks_every_translation():
    i18n.enable_pseudo_language()
    with i18n.language(i18n.PSEUDO):
        assert i18n.gettext("Sign out") == "⟦Sign out⟧"
        assert i18n.ngettext("%(num)d day left", "%(num)d days left", 3) == "⟦3 days left⟧"


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle) if path.suffix in (".po", ".pot") else read_mo(handle)


def _entries(catalogue) -> dict:
    return {(message.context, message.id if isinstance(message.id, str) else message.id[0]): tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string
            for message in catalogue if message.id and message.string and not message.fuzzy}


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE])
def test_each_catalogue_is_complete_and_compiled(language):
    folder = i18n.LOCALE_DIR / language / "LC_MESSAGES"
    template = _catalogue(i18n.LOCALE_DIR / "messages.pot")
    catalogue = _catalogue(folder / "messages.po")
    def translated(message) -> bool:
        found = catalogue.get(message.id, message.context)
        strings = found.string if found is not None and isinstance(found.string, (list, tuple)) else (
            (found.string,) if found is not None else ("",))
        return found is not None and not found.fuzzy and all(strings)

    missing = [message.id for message in template if message.id and not translated(message)]
    assert not missing, f"{language}: {len(missing)} texts not translated, e.g. {missing[:5]}"
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= wanted | {"num"}, (language, message.id, string)
            assert set(PLACEHOLDER.findall(string)) >= wanted - {"num"}, (language, message.id, string)
    assert _entries(_catalogue(folder / "messages.mo")) == _entries(catalogue), \
        f"{language}: messages.mo is older than messages.po; run `make messages`"


def test_every_language_has_every_email_and_letter():
    from ish_portal.notifications.catalog import KINDS
    from ish_portal.notifications.render import EMAIL_TEMPLATES
    from ish_portal.letters.render import TEMPLATES as LETTER_TEMPLATES
    for language in i18n.LANGUAGES:
        missing = [kind for kind in KINDS if not (EMAIL_TEMPLATES / language / f"{kind}.txt").is_file()]
        assert not missing, f"{language} has no email template for {missing}"
        letters = {path.name for path in (LETTER_TEMPLATES / "en").glob("*.html")}
        assert letters <= {path.name for path in (LETTER_TEMPLATES / language).glob("*.html")}, language


@pytest.mark.parametrize(("language", "expected", "number"), [
    ("de", "15. März 2027, 23:59 MEZ", "9.212"),
    ("en", "15 March 2027, 23:59 CET", "9,212"),
    ("fr", "15 mars 2027, 23:59 heure normale d’Europe centrale", "9\u202f212"),
    ("pl", "15 marca 2027, 23:59 CET", "9\xa0212"),
    ("ja", "2027年3月15日 23:59 中央ヨーロッパ標準時", "9,212"),
])
def test_dates_times_zones_and_numbers_are_written_as_each_locale_writes_them(language, expected, number):
    from datetime import UTC, datetime

    from ish_portal.text import timefmt
    with timefmt.reading(language):
        assert timefmt.format_datetime(datetime(2027, 3, 15, 22, 59, tzinfo=UTC)) == expected
        assert timefmt.format_number(9212) == number
