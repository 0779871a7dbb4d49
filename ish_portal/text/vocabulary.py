"""The shapes of what people type that several areas check alike: addresses, phone numbers, and
the languages a student or a lab can work in."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
WORKING_LANGUAGES = ["en", "de", "fr", "es", "it", "pl", "cs", "ja", "zh", "he", "ru", "uk", "bs"]
