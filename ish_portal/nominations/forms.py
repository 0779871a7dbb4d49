"""The shapes of what coordinators type about a candidate, with a clear message for each mistake.
Rules that depend on the edition (age range, subjects) are checked in the service."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ish_portal.text import i18n
from ish_portal.text.names import ORDERS, usual_order
from ish_portal.text.timefmt import format_date
from ish_portal.text.vocabulary import EMAIL, PHONE
from ish_portal.text.i18n import current_language, gettext as _

CEFR_LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"]
GERMAN_LEVELS = ["none", *CEFR_LEVELS]


@lru_cache
def countries(language: str) -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 codes with their names in the given language, sorted by name."""
    names = i18n.locale(language).territories
    shown = (lambda name: i18n.PSEUDO_OPEN + name + i18n.PSEUDO_CLOSE) if language == i18n.PSEUDO else str
    return sorted(((code, shown(name)) for code, name in names.items() if len(code) == 2 and code.isalpha()
                   and code not in {"ZZ", "XA", "XB", "EU", "EZ", "UN", "QO"}), key=lambda item: item[1])


def country_name(code: str) -> str:
    return dict(countries(current_language())).get(code, code)


def _is_latin(text: str) -> bool:
    for char in text:
        if char in " -'.,":
            continue
        if not char.isalpha() or "LATIN" not in unicodedata.name(char, ""):
            return False
    return True


def _blank_to_none(value):
    return None if isinstance(value, str) and not value.strip() else value


class CandidateForm(BaseModel):
    """A draft may be incomplete; what must be there before submission is listed by the service."""

    model_config = ConfigDict(str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    # Empty: as the name's script suggests (family name first for Chinese and Japanese script).
    name_order: str = ""
    passport_name: str = Field(default="", max_length=200)
    date_of_birth: date | None = None
    email: str = Field(min_length=1, max_length=254)
    phone: str = Field(default="", max_length=40)
    nationality: str = Field(default="", max_length=2)
    school: str = Field(default="", max_length=200)
    school_leaving_year: int | None = None
    subjects: list[str] = Field(default_factory=list)
    english_level: str = ""
    german_level: str = ""
    statement: str = Field(default="", max_length=4000)
    guardian_name: str = Field(default="", max_length=200)
    guardian_email: str = Field(default="", max_length=254)
    # The languages the candidate's and the guardian's emails are written in.
    language: str = "en"
    guardian_language: str = "en"

    @field_validator("name_order")
    @classmethod
    def _known_order(cls, value: str) -> str:
        if value and value not in ORDERS:
            raise ValueError(_("Choose which part of the name comes first."))
        return value

    def model_post_init(self, _context) -> None:
        # Decided here, so the nomination stores the order it is shown in and the coordinator sees it.
        # (A form checked in part, to report every error at once, may lack the names.)
        if not getattr(self, "name_order", ""):
            self.name_order = usual_order(getattr(self, "given_name", ""), getattr(self, "family_name", ""))

    @field_validator("language", "guardian_language")
    @classmethod
    def _spoken(cls, value: str) -> str:
        if value not in i18n.LANGUAGES:
            raise ValueError(_("Choose one of the languages."))
        return value

    @field_validator("date_of_birth", "school_leaving_year", mode="before")
    @classmethod
    def _optional(cls, value):
        return _blank_to_none(value)

    @field_validator("subjects", mode="before")
    @classmethod
    def _listify(cls, value):
        if value is None or value == "":
            return []
        return [value] if isinstance(value, str) else list(value)

    @field_validator("passport_name")
    @classmethod
    def _latin(cls, value: str) -> str:
        if value and not _is_latin(value):
            raise ValueError(_("Write the name as in the passport, in Latin letters (for example NAKAMURA HARUTO)."))
        return value

    @field_validator("email", "guardian_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL.match(value):
            raise ValueError(_("Enter an email address like name@example.org."))
        return value.lower()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and (not PHONE.match(value) or sum(c.isdigit() for c in value) < 6):
            raise ValueError(_("Enter a phone number with the country code, like +81 96 123 4567."))
        return value

    @field_validator("nationality")
    @classmethod
    def _country(cls, value: str) -> str:
        if value and value.upper() not in dict(countries("en")):
            raise ValueError(_("Choose a country from the list."))
        return value.upper()

    @field_validator("english_level")
    @classmethod
    def _english(cls, value: str) -> str:
        if value and value not in CEFR_LEVELS:
            raise ValueError(_("Choose one of the options."))
        return value

    @field_validator("german_level")
    @classmethod
    def _german(cls, value: str) -> str:
        if value and value not in GERMAN_LEVELS:
            raise ValueError(_("Choose one of the options."))
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError(_("The date of birth cannot be in the future."))
        if value is not None and value < date(1950, 1, 1):
            raise ValueError(_("Check the year of birth: %(date)s is too long ago.", date=format_date(value)))
        return value


class WithdrawForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    reason: str = Field(min_length=1, max_length=1000)
