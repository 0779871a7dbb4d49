"""Names as people write them. A candidate's name has a given and a family part; Japanese and
Chinese names are written family name first ("中村陽翔", "Nakamura Haruto" in a Japanese passport's
order), most others given name first. The coordinator confirms the order on the nomination form;
until then the script decides: a name in Han, Hiragana, Katakana or Hangul is family-first.

The passport name is kept apart, in Latin script as the passport prints it, for visa letters."""

from __future__ import annotations

import unicodedata

GIVEN_FIRST = "given_first"
FAMILY_FIRST = "family_first"
ORDERS = (GIVEN_FIRST, FAMILY_FIRST)

_EAST_ASIAN = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")


def _east_asian(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(unicodedata.name(char, "").startswith(_EAST_ASIAN) for char in letters)


def usual_order(given: str, family: str) -> str:
    """The order a name in its script is usually written in, when nobody has said."""
    return FAMILY_FIRST if _east_asian(given + family) else GIVEN_FIRST


def written_name(given: str, family: str, order: str | None = None) -> str:
    """The full name in the person's order: 'Noémie Laurent', '中村陽翔' (Chinese and Japanese
    names in their script take no space between the parts), 'Nakamura Haruto'."""
    given, family = given.strip(), family.strip()
    order = order or usual_order(given, family)
    if order != FAMILY_FIRST:
        return f"{given} {family}".strip()
    joiner = "" if _east_asian(given) and _east_asian(family) else " "
    return f"{family}{joiner}{given}".strip()


def addressed_name(given: str, family: str, order: str | None = None) -> str:
    """The name a letter or email opens with: the given name where people are addressed by it,
    the full name in its order where family names come first ("中村陽翔 様")."""
    order = order or usual_order(given, family)
    return written_name(given, family, order) if order == FAMILY_FIRST else given.strip()
