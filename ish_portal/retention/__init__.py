"""Retention: how long each class of personal data is kept per edition, and the purge that deletes
what is due (`ish-portal retention run`, and the worker once a night)."""
