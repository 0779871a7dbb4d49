"""What organisers type about a host lab, in the lab form and in each row of an imported CSV."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ish_portal.text.vocabulary import EMAIL, WORKING_LANGUAGES
from ish_portal.text.i18n import gettext as _

# A lab can only work in a language an applicant can declare; any other code would never match.
LAB_LANGUAGES = WORKING_LANGUAGES
MAX_CAPACITY = 50

# The lab's fields in the order the form and the CSV show them.
FIELDS = ["institute", "group_name", "tutor_name", "tutor_email", "subject_area", "description",
          "capacity", "min_age", "languages", "organisation_cap"]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class LabForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    institute: str = Field(min_length=1, max_length=200)
    group_name: str = Field(min_length=1, max_length=200)
    tutor_name: str = Field(default="", max_length=200)
    tutor_email: str = Field(default="", max_length=254)
    subject_area: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    capacity: int = Field(ge=0, le=MAX_CAPACITY)
    min_age: int | None = Field(default=None, ge=10, le=99)
    languages: list[str]
    # None means no cap: the lab may take several students of one organisation.
    organisation_cap: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)

    @field_validator("capacity", "min_age", "organisation_cap", mode="before")
    @classmethod
    def _whole_number(cls, value, info):
        if _blank(value):
            if info.field_name == "capacity":
                raise ValueError(_("This field is required."))
            return None  # an empty minimum age or cap: none
        # "2.0" or "two" must read "Enter a whole number", not a message about decimals.
        if isinstance(value, str):
            value = value.strip()
            digits = value[1:] if value.startswith("-") else value
            if not (digits.isascii() and digits.isdigit()):
                raise ValueError(_("Enter a whole number."))
        return value

    @field_validator("tutor_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL.match(value):
            raise ValueError(_("Enter an email address like name@example.org."))
        return value.lower()

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value):
        if isinstance(value, str):
            value = [value]
        codes: list[str] = []
        for code in value or []:
            code = str(code).strip().lower()
            if code and code not in codes:
                codes.append(code)
        if not codes:
            raise ValueError(_("Choose at least one language the lab works in."))
        unknown = [code for code in codes if code not in LAB_LANGUAGES]
        if unknown:
            raise ValueError(_("Choose languages from the list (not known: %(codes)s).",
                               codes=", ".join(unknown)))
        # A fixed order, so that the same set of languages never counts as a change.
        return sorted(codes, key=LAB_LANGUAGES.index)


MAX_RANK = 100000


def parse_rank(text: str) -> int | None:
    """A rank typed by a person: a whole number from 1; None when it is not one."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_RANK:
        return None
    return int(text)


def rank_form(values: dict, nomination_ids: list[int]) -> tuple[dict[int, int], dict[int, str]]:
    """The ranking form's inputs rank-<nomination id>: {nomination id: rank}, or the message per
    wrong input. Blank means not ranked; a rank may be given once."""
    ranks: dict[int, int] = {}
    errors: dict[int, str] = {}
    for nomination_id in nomination_ids:
        text = str(values.get(f"rank-{nomination_id}", "")).strip()
        if not text:
            continue
        rank = parse_rank(text)
        if rank is None:
            errors[nomination_id] = _("Enter a whole number of at least 1.")
        else:
            ranks[nomination_id] = rank
    taken: dict[int, int] = {}
    for nomination_id, rank in ranks.items():
        if rank in taken:
            errors[nomination_id] = _("Rank %(rank)d is given twice.", rank=rank)
            errors.setdefault(taken[rank], _("Rank %(rank)d is given twice.", rank=rank))
        taken.setdefault(rank, nomination_id)
    return ranks, errors
