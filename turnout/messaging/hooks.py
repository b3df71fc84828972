"""Email providers' reports (bounces, complaints, deliveries) through Anymail's tracking webhooks,
behind Turnout's own check of the credentials.

A report changes the consent ledger: a complaint opts the address out, a hard bounce stops all
email to it. Anymail checks `WEBHOOK_SECRET` only when one is set; without it, it warns and accepts
anyone's report, so a stranger could opt out any member. Every route here therefore refuses
before Anymail sees the request: 403 while no secret is configured, 401 (with the challenge
Amazon SNS waits for before it sends credentials) when the request's basic auth is missing or
wrong. Anymail then runs its own checks too, including the provider's signature where one is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from importlib.util import find_spec
from typing import Any

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def webhook_secrets() -> list[str]:
    """The `user:password` pairs a report may carry (Anymail's WEBHOOK_SECRET: one, or a list while rotating)."""
    configured = get_anymail_setting("webhook_secret", default=[])
    secrets = [configured] if isinstance(configured, str) else list(configured or [])
    return [secret for secret in secrets if secret]


def require_credentials(view: View) -> View:
    """Refuse a provider's request unless it carries a configured `user:password` (basic auth)."""

    @wraps(view)  # keeps Anymail's csrf_exempt and login_not_required marks
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = webhook_secrets()
        if not allowed:
            logger.warning("Refused an email provider's report to %s: TURNOUT_ANYMAIL_WEBHOOK_SECRET is not set",
                           request.path)
            return HttpResponse("Email reports are refused until TURNOUT_ANYMAIL_WEBHOOK_SECRET is set.",
                                status=403, content_type="text/plain")
        given = get_request_basic_auth(request) or ""
        # Every configured secret is compared, so the time taken says nothing about which came close.
        if not [secret for secret in allowed if constant_time_compare(given, secret)]:
            response = HttpResponse("Missing or wrong credentials.", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Basic realm="email reports", charset="UTF-8"'
            return response
        return view(request, *args, **kwargs)

    return guarded


def email_report_patterns() -> list[URLPattern]:
    """Anymail's tracking webhooks only (Turnout receives no email), each behind `require_credentials`;
    Amazon SES's only where boto3 is installed."""
    return [
        URLPattern(pattern.pattern, require_credentials(pattern.callback), pattern.default_args, pattern.name)
        for pattern in anymail_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.name).endswith("_tracking_webhook")
        and (find_spec("boto3") is not None or not str(pattern.name).startswith("amazon_ses"))
    ]
