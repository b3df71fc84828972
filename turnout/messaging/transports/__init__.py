"""SMS transports behind one interface, chosen by TURNOUT_SMS_BACKEND: console, file, http, twilio, memory.

A transport sends one text and returns the provider's id for it. It raises
`TransportError(retryable=True)` when trying again later may work (throttling, a provider
outage) and `retryable=False` when it will not (a refused number).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class TransportError(Exception):
    def __init__(self, reason: str, *, retryable: bool, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        # The provider refused because the person opted out with the carrier (Twilio 21610).
        self.opted_out = opted_out


@dataclass(frozen=True)
class OutgoingSms:
    delivery_id: str
    to: str
    sender: str
    body: str
    # Seconds the text may still arrive in (quiet hours close then); None: no limit.
    valid_for: int | None = None


class SmsTransport:
    # True when the carrier or provider itself answers STOP/HELP, so Turnout must not.
    answers_keywords = False

    def answers(self) -> bool:
        """Whether the provider answers the standard keywords itself (may depend on settings)."""
        return self.answers_keywords

    def send(self, sms: OutgoingSms) -> str:
        raise NotImplementedError


BACKENDS = {
    "console": "turnout.messaging.transports.simple.ConsoleTransport",
    "file": "turnout.messaging.transports.simple.FileTransport",
    "memory": "turnout.messaging.transports.simple.MemoryTransport",
    "http": "turnout.messaging.transports.http.HttpGatewayTransport",
    "twilio": "turnout.messaging.transports.twilio.TwilioTransport",
}


@cache
def _transport(name: str) -> SmsTransport:
    return import_string(BACKENDS.get(name, name))()  # type: ignore[no-any-return]


def sms_transport() -> SmsTransport:
    """The configured transport (one instance per process)."""
    return _transport(settings.SMS_BACKEND)
