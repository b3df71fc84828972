"""Email blasts: Django's configured mailer, RFC 8058 one-click unsubscribe, the sender's postal address.

Every email carries `List-Unsubscribe` (an https link signed for that address) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so mail clients can unsubscribe with
one POST. Only a POST unsubscribes: link scanners that follow every GET change nothing.
"""

from __future__ import annotations

from email.utils import formataddr, make_msgid, parseaddr
from typing import TYPE_CHECKING

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from turnout.messaging.transports import TransportError

if TYPE_CHECKING:
    from anymail.signals import AnymailTrackingEvent

SALT = "turnout.unsubscribe"
# Anymail's per-recipient statuses that mean the provider will not deliver it.
REFUSED = {"rejected", "invalid", "failed"}


def unsubscribe_token(address: str) -> str:
    return signing.dumps(address, salt=SALT, compress=True)


def address_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=SALT))
    except signing.BadSignature:
        return None


def unsubscribe_url(address: str) -> str:
    return settings.BASE_URL + reverse("unsubscribe", args=[unsubscribe_token(address)])


def footer(postal_address: str, link: str, name: str = "") -> str:
    """The signature: who sends it (the group's public name), its postal address, how to stop."""
    lines = ["", "--", name or settings.ORGANIZATION_NAME]
    if postal_address.strip():
        lines.append(postal_address.strip())
    lines.append(_("Unsubscribe: %(link)s") % {"link": link})
    return "\n".join(lines)


def sender(name: str) -> str:
    """The From header: the configured address, under the sending group's name."""
    display, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name or display, address)) if (name or display) else address


def build(*, to: str, subject: str, body: str, postal_address: str, delivery_id: str,
          language: str = "en", sender_name: str = "") -> EmailMessage:
    link = unsubscribe_url(to)
    with translation.override(language or "en"):  # the footer in the reader's language
        text = body + "\n" + footer(postal_address, link, sender_name)
    return EmailMessage(
        subject=subject, body=text, to=[to], from_email=sender(sender_name),
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "X-Turnout-Delivery": delivery_id, "Message-ID": make_msgid(domain=str(DNS_NAME))},
    )


def send_batch(emails: list[EmailMessage]) -> list[str | TransportError]:
    """Send over one connection of the default mailer; each result is the provider's message id
    (an email provider's own, through Anymail; else the Message-ID header) or that email's error."""
    results: list[str | TransportError] = []
    mailer = mailers.default
    try:
        mailer.open()
        for message in emails:
            try:
                mailer.send_messages([message])
                provider = getattr(message, "anymail_status", None)  # set by Anymail's backends
                if provider is not None and provider.status and provider.status <= REFUSED:
                    results.append(TransportError(f"provider refused the address ({', '.join(sorted(provider.status))})",
                                                  retryable=False))
                else:
                    results.append(str(provider.message_id) if provider is not None and provider.message_id
                                   else message.extra_headers["Message-ID"])
            except AnymailRecipientsRefused as exc:
                results.append(TransportError(f"provider refused the address: {exc}"[:300], retryable=False))
            except Exception as exc:
                results.append(TransportError(f"mail server refused: {exc}"[:300], retryable=True))
    except OSError as exc:
        failed = TransportError(f"mail server unreachable: {exc}"[:300], retryable=True)
        results += [failed] * (len(emails) - len(results))
    finally:
        mailer.close()
    return results


def on_provider_report(sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object) -> None:
    """Anymail's tracking signal: one normalized report from any provider's webhook."""
    from turnout.messaging.services import record_email_event

    record_email_event(event_type=str(event.event_type), recipient=event.recipient or "",
                       message_id=event.message_id, reason=str(event.reject_reason or ""), esp=esp_name)
