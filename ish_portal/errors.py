"""The one error type of the domain: a refused change, with a message for the person who asked for
it and, when a form caused it, the fields it concerns. Routes turn it into a re-rendered form (the
typed values kept) with web.forms.form_errors; nothing else needs to know which area raised it."""

from __future__ import annotations


class DomainError(Exception):
    """`message` says what is wrong in the asker's language; `fields` maps a form field to its own
    message; `details` lists items that belong to the message (what is still missing, the rows of
    a file that were refused)."""

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None,
                 details: list[str] | None = None) -> None:
        self.fields = dict(fields or {})
        self.details = list(details or [])
        self.message = message or next(iter(self.fields.values()), "") or "\n".join(self.details)
        super().__init__(self.message)

    def form_errors(self) -> dict[str, str]:
        """{field: message} for a form; a refusal that concerns no field goes to "__all__"."""
        return self.fields or {"__all__": self.message}




class NotFound(Exception):
    """No such thing, or not one this person may see: the two are answered alike (404)."""
