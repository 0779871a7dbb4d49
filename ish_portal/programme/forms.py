"""What organisers type when they set up an edition's nominations and places."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from ish_portal.db import RowId, utcnow
from ish_portal.programme.models import DocumentKind
from ish_portal.text import i18n, timefmt
from ish_portal.text.i18n import gettext as _

REQUIRABLE_DOCUMENTS = [k.value for k in DocumentKind if k != DocumentKind.OTHER]


def parse_local(value: str) -> datetime:
    """A 'YYYY-MM-DDTHH:MM' typed in Heidelberg time, as a UTC instant."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(_("Enter a date and time like 2027-03-15 23:59.")) from None
    return timefmt.from_local_input(naive.date(), naive.time())


def _typed_local(value):
    return parse_local(value) if isinstance(value, str) else value


def _in_future(value: datetime) -> datetime:
    if value < utcnow():
        raise ValueError(_("Choose a time in the future."))
    return value


# A date and time a form's field holds in Heidelberg time ('YYYY-MM-DDTHH:MM'), as a UTC instant.
LocalTime = Annotated[datetime, BeforeValidator(_typed_local)]
# The same, refused once it has passed (an interview, the first of a run of slots).
FutureLocalTime = Annotated[datetime, BeforeValidator(_typed_local), AfterValidator(_in_future)]

class NominationRules(BaseModel):
    """Everything organisers set for an edition (the model is named for its largest part)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    max_preferences: int = Field(ge=1, le=20)
    offer_response_days: int = Field(ge=1, le=60)
    reminder_days_before: int = Field(ge=0, le=30)
    auto_promote_waitlist: bool = False
    nomination_opens_at: LocalTime
    nomination_closes_at: LocalTime
    min_age: int = Field(ge=10, le=99)
    max_age: int = Field(ge=10, le=99)
    guardian_consent_below_age: int = Field(ge=0, le=99)
    upload_limit_mb: int = Field(ge=1, le=100)
    required_documents: list[str] = Field(default_factory=list)

    @field_validator("required_documents", mode="before")
    @classmethod
    def _listify(cls, value):
        value = [value] if isinstance(value, str) else list(value or [])
        if any(kind not in REQUIRABLE_DOCUMENTS for kind in value):
            raise ValueError(_("Choose documents from the list."))
        return value

    # The checks between fields sit on the later field, so that each is reported beside the field
    # it concerns and all of them at once, together with the errors of single fields.
    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        return _after_start(value, info)

    @field_validator("nomination_closes_at")
    @classmethod
    def _closes_in_order(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _closes_after_opening(value, info)

    @field_validator("reminder_days_before")
    @classmethod
    def _reminder_within_the_answer_time(cls, value: int, info: ValidationInfo) -> int:
        # A reminder so many days before the deadline would go out before the offer itself.
        days = info.data.get("offer_response_days")
        if days is not None and value >= days:
            raise ValueError(_("The reminder must come fewer days before the deadline than the %(days)d days "
                               "to answer.", days=days))
        return value

    @field_validator("max_age")
    @classmethod
    def _ages_in_order(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_age")
        if low is not None and value < low:
            raise ValueError(_("The highest age must not be below the lowest."))
        return value


def _after_start(value: date, info: ValidationInfo) -> date:
    starts_on = info.data.get("starts_on")
    if starts_on is not None and value <= starts_on:
        raise ValueError(_("The programme must end after it starts."))
    return value


def _closes_after_opening(value: datetime, info: ValidationInfo) -> datetime:
    opens_at, starts_on = info.data.get("nomination_opens_at"), info.data.get("starts_on")
    if opens_at is not None and value <= opens_at:
        raise ValueError(_("The nominations must close after they open."))
    if starts_on is not None and value.date() >= starts_on:
        raise ValueError(_("Nominations must close before the programme starts."))
    return value


class NewEdition(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    nomination_opens_at: LocalTime
    nomination_closes_at: LocalTime
    copy_from_last: bool = True

    @field_validator("starts_on")
    @classmethod
    def _in_its_year(cls, value: date, info: ValidationInfo) -> date:
        year = info.data.get("year")
        if year is not None and value.year != year:
            raise ValueError(_("The programme must start in the edition's year."))
        return value

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        return _after_start(value, info)

    @field_validator("nomination_closes_at")
    @classmethod
    def _closes_in_order(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _closes_after_opening(value, info)


class QuotaForm(BaseModel):
    """One organisation's row on the places page. The reason is required only when something
    changes, which only the service can tell."""

    model_config = ConfigDict(str_strip_whitespace=True)

    places: int = Field(ge=0, le=1000)
    dormant: bool = False
    deadline_extended_to: datetime | None = None
    reason: str = Field(default="", max_length=500)

    @field_validator("deadline_extended_to", mode="before")
    @classmethod
    def _local(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_local(value) if isinstance(value, str) else value


class OrganisationForm(BaseModel):
    """A sending organisation the organisers add, with its places in the current edition. The
    time zone may be left to the route, which takes the country's."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(default="", max_length=2)
    time_zone: str = Field(default="", max_length=60)
    places: int = Field(default=0, ge=0, le=1000)

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        if value and (len(value) != 2 or value.upper() not in i18n.locale("en").territories):
            raise ValueError(_("Choose a country from the list."))
        return value.upper()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import available_timezones
        if value and value not in available_timezones():
            raise ValueError(_("Choose a time zone from the list."))
        return value


class TransferForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    from_organisation_id: RowId
    to_organisation_id: RowId
    places: int = Field(ge=1, le=100)
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("to_organisation_id")
    @classmethod
    def _different(cls, value: int, info: ValidationInfo) -> int:
        if value == info.data.get("from_organisation_id"):
            raise ValueError(_("Choose two different organisations."))
        return value
