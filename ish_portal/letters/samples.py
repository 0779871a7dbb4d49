"""Sample letter data for previews: partner-country names with the diacritics the letters must
print, and a participant not yet placed in a lab."""

from __future__ import annotations

from datetime import date

from ish_portal.letters.data import LetterData, country_name

STARTS_ON = date(2027, 7, 12)
ENDS_ON = date(2027, 8, 7)


def sample(language: str, *, placed: bool = True) -> LetterData:
    return LetterData(
        language=language,
        full_name="Łukasz Kowalski",
        passport_name="ŁUKASZ KOWALSKI",
        date_of_birth=date(2009, 3, 14),
        nationality=country_name("PL", language),
        passport_number="EK 4711023",
        passport_expiry=date(2031, 5, 30),
        edition_title="ISH 2027",
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        lab_group="Structural Biology" if placed else "",
        institute="European Molecular Biology Laboratory (EMBL)" if placed else "",
        tutor_name="Dr. Jürgen Müller" if placed else "",
        issued_on=date(2027, 4, 20),
        reference="ISH-2027-0042",
    )
