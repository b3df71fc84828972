"""Email blasts: Django's configured mailer, RFC 8058 one-click unsubscribe, the sender's postal address.

Every email carries `List-Unsubscribe` (an https link signed for that address) and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so mail clients can unsubscribe with
one POST. Only a POST unsubscribes: link scanners that follow every GET change nothing.
"""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from turnout.messaging.transports import TransportError

SALT = "turnout.unsubscribe"


def unsubscribe_token(address: str) -> str:
    return signing.dumps(address, salt=SALT, compress=True)


def address_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=SALT))
    except signing.BadSignature:
        return None


def unsubscribe_url(address: str) -> str:
    return settings.BASE_URL + reverse("unsubscribe", args=[unsubscribe_token(address)])


def footer(postal_address: str, link: str) -> str:
    lines = ["", "--", settings.ORGANIZATION_NAME]
    if postal_address.strip():
        lines.append(postal_address.strip())
    lines.append(_("Unsubscribe: %(link)s") % {"link": link})
    return "\n".join(lines)


def build(*, to: str, subject: str, body: str, postal_address: str, delivery_id: str,
          language: str = "en") -> EmailMessage:
    link = unsubscribe_url(to)
    with translation.override(language or "en"):  # the footer in the reader's language
        text = body + "\n" + footer(postal_address, link)
    return EmailMessage(
        subject=subject, body=text, to=[to],
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "X-Turnout-Delivery": delivery_id, "Message-ID": make_msgid(domain=str(DNS_NAME))},
    )


def send_batch(emails: list[EmailMessage]) -> list[str | TransportError]:
    """Send over one connection of the default mailer; each result is the Message-ID or that email's error."""
    results: list[str | TransportError] = []
    mailer = mailers.default
    try:
        mailer.open()
        for message in emails:
            try:
                mailer.send_messages([message])
                results.append(message.extra_headers["Message-ID"])
            except Exception as exc:
                results.append(TransportError(f"mail server refused: {exc}"[:300], retryable=True))
    except OSError as exc:
        failed = TransportError(f"mail server unreachable: {exc}"[:300], retryable=True)
        results += [failed] * (len(emails) - len(results))
    finally:
        mailer.close()
    return results
