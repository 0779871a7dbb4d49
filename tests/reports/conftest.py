"""Organisers' pages: the shared staff fixtures."""

from tests.staff import as_coordinator, as_organiser, edition, organiser  # noqa: F401
