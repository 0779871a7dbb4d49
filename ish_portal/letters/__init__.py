"""Letters as PDF: the acceptance letter, the visa invitation letter and the certificate of
participation, in the portal's languages (English where a language's letters are not written yet),
with names and text in Latin, Cyrillic, Hebrew (laid out right to left), Chinese and Japanese script.

Plain data in, PDF bytes out. Nothing here touches the web layer or the database, so a service can
make a letter inside its own transaction (and attach it to an outbox message) from values it has
already read.

    from ish_portal.letters import LetterData, acceptance_letter
    pdf = acceptance_letter(LetterData(language="de", full_name="Žofie Nováková", ...))

The wording lives in templates/letters/<language>/; `python -m ish_portal.letters OUT_DIR` writes
sample letters to look at.
"""

from ish_portal.letters.data import LANGUAGES, LetterData, LetterDataError, country_name
from ish_portal.letters.markup import MarkupError
from ish_portal.letters.render import (
    acceptance_letter,
    certificate,
    missing_characters,
    visa_letter,
    wording_language,
    written_languages,
)

__all__ = [
    "LANGUAGES",
    "LetterData",
    "LetterDataError",
    "MarkupError",
    "acceptance_letter",
    "certificate",
    "country_name",
    "missing_characters",
    "visa_letter",
    "wording_language",
    "written_languages",
]
