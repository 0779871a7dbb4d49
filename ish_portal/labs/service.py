"""Host labs of an edition, and who may work in which (the same rules the matching engine applies)."""

from __future__ import annotations

from babel import Locale
from sqlmodel import Session, select

from ish_portal.labs.models import Lab
from ish_portal.web.i18n import current_language, gettext as _


def active_labs(session: Session, edition_id: int) -> list[Lab]:
    return list(session.exec(select(Lab).where(Lab.edition_id == edition_id, Lab.retired == False)  # noqa: E712
                             .order_by(Lab.institute, Lab.group_name)).all())


def language_name(code: str) -> str:
    return Locale(current_language()).languages.get(code, code)


def why_not_eligible(lab: Lab, age: int | None, languages: list[str]) -> str | None:
    """Why a student cannot take this lab, in words; None when they can. The matching engine
    applies the same two rules: the lab's minimum age on the first day, and a shared language."""
    if lab.min_age is not None and (age is None or age < lab.min_age):
        if age is None:
            return _("This lab takes students from %(min)d; your date of birth is missing.", min=lab.min_age)
        return _("This lab takes students from %(min)d; you will be %(age)d on the first day.",
                 min=lab.min_age, age=age)
    if lab.languages and not set(lab.languages) & set(languages):
        return _("This lab works in %(languages)s, which is not among your working languages.",
                 languages=", ".join(language_name(code) for code in lab.languages))
    return None
