"""The organisers' view of mail: in development, the messages written to var/mail."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ish_portal.web.deps import Organiser, SettingsDep
from ish_portal.web.templating import render

router = APIRouter()


def _mail_folder(settings):
    if not settings.development:
        raise HTTPException(404)
    return settings.mail_dir


@router.get("/organiser/mail", response_class=HTMLResponse)
def sent_mail(request: Request, settings: SettingsDep, user: Organiser):
    folder = _mail_folder(settings)
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    messages = []
    for path in files:
        with path.open("rb") as handle:
            headers = BytesParser(policy=policy.default).parse(handle, headersonly=True)
        messages.append({"name": path.name, "to": headers["To"], "subject": headers["Subject"],
                         "date": headers["Date"]})
    return render(request, "notifications/sent_mail.html", {"messages": messages})


@router.get("/organiser/mail/{name}", response_class=HTMLResponse)
def sent_mail_message(request: Request, settings: SettingsDep, user: Organiser, name: str):
    folder = _mail_folder(settings)
    # The name comes from the list above; anything else (a path, "..") is simply not found.
    path = folder / name
    if "/" in name or "\\" in name or not name.endswith(".eml") or not path.is_file():
        raise HTTPException(404)
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render(request, "notifications/sent_mail_message.html", {
        "name": name, "headers": {key: message[key] for key in ("From", "To", "Subject", "Date", "Message-ID")},
        "text": text.get_content() if text else "", "attachments": attachments})
