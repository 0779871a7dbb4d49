"""Reading submitted forms: their plain values; validation (text.validation) gives one clear,
translated message per field."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from ish_portal.text.validation import message_for, validate  # noqa: F401  (what routes use)



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
