"""One-time messages shown on the next page ("Nomination submitted.")."""

from __future__ import annotations

from fastapi import Request


def flash(request: Request, message: str, category: str = "success") -> None:
    request.session["_flash"] = request.session.get("_flash", []) + [[category, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    return [tuple(item) for item in request.session.pop("_flash", [])]
