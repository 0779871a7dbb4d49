"""Writing email to the outbox. Callers pass their open session: the message commits together with
the change that causes it, or not at all."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session

from ish_portal.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from ish_portal.notifications.render import render_email


def enqueue(session: Session, *, kind: str, to: str, context: dict[str, Any], language: str = "en",
            edition_id: int | None = None, nomination_id: int | None = None,
            batch: str | None = None, draft: bool = False,
            attachments: list[tuple[str, str, bytes]] = ()) -> OutboxMessage:
    """Render the message now (so what is sent is what was true at the time of the change) and
    queue it; with draft=True it waits for an organiser's review instead."""
    rendered = render_email(kind, language, context)
    message = OutboxMessage(
        message_id=uuid.uuid4().hex, kind=kind, language=language, recipient=to.strip().lower(),
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html, context=json.loads(json.dumps(context, default=str)),
        status=OutboxStatus.DRAFT if draft else OutboxStatus.QUEUED, batch=batch,
        edition_id=edition_id, nomination_id=nomination_id)
    session.add(message)
    session.flush()
    for filename, content_type, data in attachments:
        session.add(OutboxAttachment(outbox_message_id=message.id, filename=filename,
                                     content_type=content_type, data=data))
    return message
