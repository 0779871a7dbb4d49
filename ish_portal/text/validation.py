"""Turning pydantic validation errors into one clear, translated message per form field, for forms
and for the rows of uploaded files alike."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ish_portal.text.i18n import gettext as _

Model = TypeVar("Model", bound=BaseModel)


def message_for(error: dict[str, Any]) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_short":
        return _("Use at least %(count)s characters.", count=context.get("min_length"))
    if kind == "string_too_long":
        return _("Use at most %(count)s characters.", count=context.get("max_length"))
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Enter a number of at least %(limit)s.", limit=context.get("ge", context.get("gt")))
    if kind in {"less_than_equal", "less_than"}:
        return _("Enter a number of at most %(limit)s.", limit=context.get("le", context.get("lt")))
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind.startswith("time"):
        return _("Enter a time as HH:MM.")
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind in {"literal_error", "enum"}:
        return _("Choose one of the options.")
    return _("This value is not valid.")


def validate(model: type[Model], values: dict[str, Any]) -> tuple[Model | None, dict[str, str]]:
    """The model built from the form, or None with {field: message} for every wrong field."""
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            errors.setdefault(field, message_for(error))
        return None, errors
