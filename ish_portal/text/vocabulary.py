"""The shapes of what people type that several areas check alike: addresses, phone numbers, and
the languages a student or a lab can work in."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
WORKING_LANGUAGES = ["en", "de", "fr", "es", "it", "pl", "cs", "ja", "zh", "he", "ru", "uk", "bs"]

# The subject areas labs are usually filed under. A lab's subject area is what the organiser typed;
# when it is one of these, readers see it in their language, otherwise as typed.
def _subject_words() -> dict[str, str]:
    from ish_portal.text.i18n import pgettext
    return {  # keyed by the casefolded English name
        "astronomy": pgettext("subject", "Astronomy"),
        "biology": pgettext("subject", "Biology"),
        "chemistry": pgettext("subject", "Chemistry"),
        "computer science": pgettext("subject", "Computer science"),
        "earth sciences": pgettext("subject", "Earth sciences"),
        "engineering": pgettext("subject", "Engineering"),
        "mathematics": pgettext("subject", "Mathematics"),
        "medicine": pgettext("subject", "Medicine"),
        "physics": pgettext("subject", "Physics"),
    }


def subject_label(subject: str) -> str:
    """A subject area in the reader's language ("Biology" is "Biologie" in German), however its
    letters were cased when typed."""
    return _subject_words().get(subject.strip().casefold(), subject)
