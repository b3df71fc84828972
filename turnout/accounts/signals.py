"""Logins and failed logins go to the audit log."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from turnout.accounts import reauth
from turnout.accounts.models import User
from turnout.core import audit
from turnout.core.models import AuditEntry


def attempted_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The account a login names, as the lockout and the audit log count it: login forms send
    the email as `username`; case and spaces do not make a second account to guess at."""
    source = credentials if credentials else getattr(request, "POST", None) or {}
    named = source.get("username") or source.get("email") or ""
    return str(named).strip().lower()[:200]


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=AuditEntry.Action.LOGIN, request=request)
    if request is not None and hasattr(request, "session") and not reauth.has_authenticator(user):
        reauth.mark_confirmed(request)  # the password, their only factor, was just given


@receiver(user_login_failed)
def audit_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The attempted address is kept, never the password. An attempt on a staffer's account names
    # that account, so the admins of the staffer's groups see it in their audit log.
    tried = attempted_username(request, credentials)
    target = User.objects.filter(email=tried).first() if tried else None
    audit.record(actor=None, action=AuditEntry.Action.LOGIN_FAILED, target=target,
                 summary=f"Attempt for {tried}", request=request)
