"""What organisers type when they set up an edition's nominations and places."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ish_portal.nominations.models import DocumentKind
from ish_portal.web import timefmt
from ish_portal.web.i18n import gettext as _

REQUIRABLE_DOCUMENTS = [k.value for k in DocumentKind if k != DocumentKind.OTHER]


def parse_local(value: str) -> datetime:
    """A 'YYYY-MM-DDTHH:MM' typed in Heidelberg time, as a UTC instant."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(_("Enter a date and time like 2027-03-15 23:59.")) from None
    return timefmt.from_local_input(naive.date(), naive.time())


class NominationRules(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    nomination_opens_at: datetime
    nomination_closes_at: datetime
    min_age: int = Field(ge=10, le=99)
    max_age: int = Field(ge=10, le=99)
    guardian_consent_below_age: int = Field(ge=0, le=99)
    upload_limit_mb: int = Field(ge=1, le=100)
    required_documents: list[str] = Field(default_factory=list)

    @field_validator("nomination_opens_at", "nomination_closes_at", mode="before")
    @classmethod
    def _local(cls, value):
        return parse_local(value) if isinstance(value, str) else value

    @field_validator("required_documents", mode="before")
    @classmethod
    def _listify(cls, value):
        value = [value] if isinstance(value, str) else list(value or [])
        if any(kind not in REQUIRABLE_DOCUMENTS for kind in value):
            raise ValueError(_("Choose documents from the list."))
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "NominationRules":
        if self.nomination_closes_at <= self.nomination_opens_at:
            raise ValueError(_("The nominations must close after they open."))
        if self.max_age < self.min_age:
            raise ValueError(_("The highest age must not be below the lowest."))
        return self


class QuotaForm(BaseModel):
    places: int = Field(ge=0, le=1000)
    dormant: bool = False
    deadline_extended_to: datetime | None = None

    @field_validator("deadline_extended_to", mode="before")
    @classmethod
    def _local(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_local(value) if isinstance(value, str) else value


class TransferForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    from_organisation_id: int
    to_organisation_id: int
    places: int = Field(ge=1, le=100)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _different(self) -> "TransferForm":
        if self.from_organisation_id == self.to_organisation_id:
            raise ValueError(_("Choose two different organisations."))
        return self
