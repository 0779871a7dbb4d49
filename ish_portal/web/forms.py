"""Reading submitted forms: their plain values; validation (text.validation) gives one clear,
translated message per field, for every wrong field at once."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from ish_portal.text.validation import message_for, validate  # noqa: F401  (what routes use)

Model = TypeVar("Model", bound=BaseModel)


def form_values(form: FormData) -> dict[str, Any]:
    """Plain values of a form (not files); repeated fields become lists."""
    values: dict[str, Any] = {}
    for key in form.keys():
        if key == "csrf_token":
            continue
        items = [item for item in form.getlist(key) if isinstance(item, str)]
        if items:
            values[key] = items if len(items) > 1 else items[0]
    return values


def valid_part(model: type[Model], values: dict[str, Any], errors: dict[str, str]) -> Model:
    """The fields of a refused form that are right on their own, validated one by one (the others
    keep their defaults or stay unset), so that the checks that need a whole model's worth of
    values (against the edition, say) can still run and report their errors in the same answer."""
    part = model.model_construct()
    for name in model.model_fields:
        if name in errors or name not in values:
            continue
        try:
            model.__pydantic_validator__.validate_assignment(part, name, values[name])
        except ValidationError:
            pass
    return part


def in_field_order(model: type[BaseModel], errors: dict[str, str]) -> dict[str, str]:
    """Errors in the order of the form's fields (as the page shows them), others after them."""
    ordered = {name: errors[name] for name in model.model_fields if name in errors}
    return {**ordered, **{name: message for name, message in errors.items() if name not in ordered}}
