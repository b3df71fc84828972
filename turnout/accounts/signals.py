"""Logins and failed logins go to the audit log."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from turnout.core import audit
from turnout.core.models import AuditEntry


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=AuditEntry.Action.LOGIN, request=request)


@receiver(user_login_failed)
def audit_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The attempted address is kept, never the password.
    tried = str(credentials.get("username") or credentials.get("email") or "")[:200]
    audit.record(actor=None, action=AuditEntry.Action.LOGIN_FAILED, summary=f"Attempt for {tried}", request=request)
