"""What applicants type about themselves."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ish_portal.nominations.forms import countries
from ish_portal.text import i18n
from ish_portal.text.vocabulary import PHONE, WORKING_LANGUAGES
from ish_portal.text.i18n import gettext as _



class ProfileForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    phone: str = Field(min_length=1, max_length=40)
    working_languages: list[str] = Field(min_length=1)
    emergency_contact_name: str = Field(min_length=1, max_length=200)
    emergency_contact_phone: str = Field(min_length=1, max_length=40)
    dietary_needs: str = Field(default="", max_length=1000)
    # What the hosts of the applicant's lab may see, and the day they arrive.
    dietary_for_hosts: bool = False
    cv_for_hosts: bool = False
    arrival_on: date | None = None
    medical_notes: str = Field(default="", max_length=2000)
    nationality: str = Field(min_length=1, max_length=2)
    passport_number: str = Field(default="", max_length=40)
    passport_expiry: date | None = None
    language: str = "en"  # of the emails the portal writes to the applicant

    @field_validator("language")
    @classmethod
    def _spoken(cls, value: str) -> str:
        if value not in i18n.LANGUAGES:
            raise ValueError(_("Choose one of the languages."))
        return value

    @field_validator("passport_expiry", "arrival_on", mode="before")
    @classmethod
    def _optional(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("working_languages", mode="before")
    @classmethod
    def _listify(cls, value):
        value = [value] if isinstance(value, str) else list(value or [])
        if any(code not in WORKING_LANGUAGES for code in value):
            raise ValueError(_("Choose languages from the list."))
        return value

    @field_validator("phone", "emergency_contact_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
            raise ValueError(_("Enter a phone number with the country code, like +81 96 123 4567."))
        return value

    @field_validator("nationality")
    @classmethod
    def _country(cls, value: str) -> str:
        if value.upper() not in dict(countries("en")):
            raise ValueError(_("Choose a country from the list."))
        return value.upper()

    @field_validator("passport_number")
    @classmethod
    def _passport(cls, value: str) -> str:
        value = value.replace(" ", "").upper()
        if value and not (value.isalnum() and value.isascii() and 5 <= len(value) <= 20):
            raise ValueError(_("Enter the passport number as printed: 5 to 20 letters and digits."))
        return value

    @field_validator("passport_expiry")
    @classmethod
    def _future(cls, value: date | None) -> date | None:
        if value is not None and value <= date.today():
            raise ValueError(_("This passport has expired. Enter the details of a valid passport."))
        return value
