"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests to read back
(parsed as a client would, and as the bytes that came over the wire). It can be told to answer with
a temporary or permanent failure, or be stopped and started again."""

from __future__ import annotations

import email
import threading
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, sink: "SMTPSink") -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.answer is not None:
            return self.sink.answer
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.sink.lock:
            self.sink.received.append((list(envelope.rcpt_tos), message))
            self.sink.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted"


class SMTPSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.raw: list[bytes] = []  # each message as received, in the order of `received`
        self.answer: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        """As new: nothing received, answering 250, and running (a test may have stopped it)."""
        with self.lock:
            self.received.clear()
            self.raw.clear()
        self.answer = None
        if self._controller is None:
            self.start()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message for _, message in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for recipients, message in self.received if address in recipients]

    @staticmethod
    def address_of(message: EmailMessage) -> str:
        """The address in the To header, without the display name."""
        [address] = message["To"].addresses
        return address.addr_spec

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html_of(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("html",)).get_content()
