"""A fresh confirmation for the acts that would hand an account to someone else: adding or
removing an authenticator, making an API token, changing the password.

A stolen session cookie, or a password without its second factor, must not be enough for these.
Staff with an authenticator confirm with a current code; staff without one with their password
(their only factor). A confirmation holds for TURNOUT_REAUTH_MINUTES in that session.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device

CONFIRMED_AT = "turnout_confirmed_at"


def has_authenticator(user: object) -> bool:
    return bool(user_has_device(user, confirmed=True))


def mark_confirmed(request: HttpRequest) -> None:
    """The staffer has just proved who they are in this session."""
    request.session[CONFIRMED_AT] = int(time.time())


def recently_confirmed(request: HttpRequest) -> bool:
    at = request.session.get(CONFIRMED_AT)
    if not isinstance(at, int):
        return False
    return 0 <= time.time() - at < settings.REAUTH_MINUTES * 60


def confirm_first(request: HttpRequest, next_url: str) -> HttpResponseRedirect:
    """Send the staffer to confirm who they are, then back to `next_url`."""
    return HttpResponseRedirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url, 'confirm': '1'})}")
