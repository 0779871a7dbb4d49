"""What a letter is made from: plain values, filled in by the caller from whatever it holds."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from babel import Locale, UnknownLocaleError

from ish_portal.text import i18n

# The portal's languages. A language whose templates/letters/<code>/ is not written yet gets the
# English letter (render.wording_language()).
LANGUAGES = tuple(i18n.LANGUAGES)


class LetterDataError(ValueError):
    """The data cannot make the letter asked for; the message names what is wrong or missing."""


@dataclass(frozen=True, kw_only=True)
class LetterData:
    language: str                       # one of LANGUAGES: the letter's wording and date format
    full_name: str                      # as the participant writes it, in any script and order:
                                        # "Łukasz Kowalski", "熊本 太郎", "נועה כהן"
    passport_name: str = ""             # exactly as in the passport, Latin script (visa letter)
    date_of_birth: date | None = None   # visa letter
    nationality: str = ""               # a country name in the letter's language (country_name())
    passport_number: str = ""           # visa letter
    passport_expiry: date | None = None  # printed in the visa letter when given
    edition_title: str                  # "ISH 2027"
    starts_on: date
    ends_on: date
    lab_group: str = ""                 # "Structural Biology Unit"; empty before placement
    institute: str = ""                 # "European Molecular Biology Laboratory (EMBL)"
    tutor_name: str = ""
    project_title: str = ""             # certificate: the project, as the lab's host gave it
    arrival_information: str = ""       # replaces the acceptance letter's standard sentence
    signatory_name: str = ""            # empty: a blank line to write the name on
    signatory_title: str = ""
    issued_on: date
    reference: str                      # printed in every page's footer: "ISH-2027-0042"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise LetterDataError(f"language must be one of {', '.join(LANGUAGES)}, "
                                  f"not {self.language!r}")
        for name in ("full_name", "edition_title", "reference"):
            if not getattr(self, name).strip():
                raise LetterDataError(f"{name} is empty")
        if self.ends_on < self.starts_on:
            raise LetterDataError("ends_on is before starts_on")

    def require(self, letter: str, *names: str) -> None:
        """Refuse to make a letter that would go out with a blank where a fact belongs."""
        missing = [name for name in names if _blank(getattr(self, name))]
        if missing:
            raise LetterDataError(f"the {letter} needs {', '.join(missing)}")

    def as_context(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def country_name(code: str, language: str) -> str:
    """The name of a country from its ISO 3166-1 alpha-2 code, in the letter's language
    ("PL" -> "Poland" / "Polen"), as the portal stores nationalities as codes."""
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        raise LetterDataError(f"unknown language {language!r}") from None
    try:
        return names[code.upper()]
    except KeyError:
        raise LetterDataError(f"unknown country code {code!r}") from None
