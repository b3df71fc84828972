"""Writes for staff accounts: groups, invitations, roles, preferences, tokens and two-factor devices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from turnout.accounts.models import ApiToken, Group, GroupLogo, Invitation, StaffRole, User
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.core.net import client_ip

INVITATION_SALT = "turnout.invitation"


def email_staff(subject: str, body: str, emails: Iterable[str]) -> None:
    """Email staff once the transaction commits, the organization's name before the subject.
    Bodies carry links to pages behind a login, never the words or numbers of the people concerned."""
    to = sorted(set(emails))
    if to:
        transaction.on_commit(lambda: send_mail(f"{settings.ORGANIZATION_NAME}: {subject}", body,
                                                settings.DEFAULT_FROM_EMAIL, to))


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.public_id), salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a link names, or None when it is forged, used or expired."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 86400
    try:
        public_id = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return Invitation.objects.filter(public_id=public_id, accepted_at__isnull=True).select_related("group").first()


@transaction.atomic
def invite_staff(*, actor: User, group: Group, email: str, role: str, request: HttpRequest | None = None) -> Invitation:
    """Email someone a link to join `group` as `role`."""
    invitation = Invitation.objects.create(email=email.lower(), group=group, role=role, invited_by=actor)
    link = f"{settings.BASE_URL}{reverse('accounts:accept_invitation', args=[invitation_token(invitation)])}"
    body = render_to_string("accounts/invitation_email.txt", {"invitation": invitation, "link": link, "actor": actor})
    email_staff(f"you are invited to {group.name}", body, [invitation.email])
    audit.record(actor=actor, action=AuditEntry.Action.INVITE, target=invitation,
                 summary=f"Invited {invitation.email} as {role} of {group.name}", request=request, group=group)
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, request: HttpRequest, first_name: str = "",
                      last_name: str = "", password: str | None = None) -> User:
    """Create (or reuse) the staff account and give it the invited role."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        user = User.objects.create_user(invitation.email, password, first_name=first_name, last_name=last_name)
    StaffRole.objects.update_or_create(user=user, group=invitation.group, defaults={"role": invitation.role})
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(actor=user, action=AuditEntry.Action.ROLE, target=invitation,
                 summary=f"Accepted {invitation.role} of {invitation.group.name}", request=request, group=invitation.group)
    if not request.user.is_authenticated:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


@transaction.atomic
def set_role(*, actor: User, user: User, group: Group, role: str | None, request: HttpRequest | None = None) -> None:
    """Give, change or (with role=None) remove a staff member's role in a group."""
    if role is None:
        StaffRole.objects.filter(user=user, group=group).delete()
    else:
        StaffRole.objects.update_or_create(user=user, group=group, defaults={"role": role})
    audit.record(actor=actor, action=AuditEntry.Action.ROLE, target=user,
                 summary=f"{user.email}: {role or 'removed'} in {group.name}", request=request, group=group)


@transaction.atomic
def create_subgroup(*, actor: User, parent: Group, name: str, slug: str, kind: str,
                    request: HttpRequest | None = None) -> Group:
    """Add a group below `parent`; staff of `parent` reach it at once."""
    child = Group.objects.create(name=name, slug=slug, kind=kind, parent=parent)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=child, request=request, group=child,
                 summary=f"Added {child.name} ({child.get_kind_display()}) below {parent.name}")
    return child


@transaction.atomic
def update_group_messaging(*, actor: User, group: Group, postal_address: str, texts_from: int | None,
                           texts_until: int | None, request: HttpRequest | None = None) -> Group:
    """Change the postal address a group's emails carry and the hours its texts may arrive."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    group.postal_address, group.texts_from, group.texts_until = postal_address, texts_from, texts_until
    group.save(update_fields=["postal_address", "texts_from", "texts_until"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=group, request=request, group=group,
                 summary="Changed the postal address or the hours texts may arrive")
    return group


@transaction.atomic
def update_group_brand(*, actor: User, group: Group, name: str, accent_color: str,
                       logo: tuple[bytes, int, int] | None = None, remove_logo: bool = False,
                       request: HttpRequest | None = None) -> Group:
    """Change the name, accent colour and logo members see on a group's pages, emails and texts.
    `logo` is a picture already redrawn by `branding.redraw_logo` (png, width, height)."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    changed = [field for field, value in (("name", name), ("accent_color", accent_color))
               if getattr(group, field) != value]
    group.name, group.accent_color = name, accent_color
    if changed:
        group.save(update_fields=changed)
    if logo is not None:
        image, width, height = logo
        GroupLogo.objects.update_or_create(group=group, defaults={"image": image, "width": width, "height": height})
        group.logo_updated_at = timezone.now()
        group.save(update_fields=["logo_updated_at"])
        changed.append("logo")
    elif remove_logo and GroupLogo.objects.filter(group=group).delete()[0]:
        group.logo_updated_at = None
        group.save(update_fields=["logo_updated_at"])
        changed.append("logo removed")
    if changed:
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=group, request=request, group=group,
                     summary="Changed the public " + ", ".join(field.replace("_", " ") for field in changed))
    return group


@transaction.atomic
def update_preferences(*, user: User, fields: dict[str, Any], request: HttpRequest | None = None) -> User:
    """Change a staffer's own name or language."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = [name for name in ("first_name", "last_name", "language")
               if name in fields and getattr(user, name) != fields[name]]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
        audit.record(actor=user, action=AuditEntry.Action.CHANGE, target=user, request=request,
                     summary="Changed their " + ", ".join(name.replace("_", " ") for name in changed))
    return user


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed device shown on the set-up page, created once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def tell_staffer(user: User, subject: str, what: str, request: HttpRequest | None) -> None:
    """Email a staffer that something changed on their account, so that a change they did not
    make does not go unnoticed; the address it came from is named, nothing else."""
    body = render_to_string("accounts/security_email.txt", {
        "user": user, "what": what, "when": timezone.now(), "address": client_ip(request),
        "organization": settings.ORGANIZATION_NAME,
        "preferences": f"{settings.BASE_URL}{reverse('accounts:preferences')}",
    })
    email_staff(subject, body, [user.email])


@transaction.atomic
def confirm_totp_device(*, user: User, device: TOTPDevice, request: HttpRequest) -> None:
    """Turn the checked device on; older devices are removed, and the staffer is told by email."""
    replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).exists()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=user, action=AuditEntry.Action.TWO_FACTOR,
                 summary="Replaced the authenticator app" if replaced else "Turned on two-factor", request=request)
    tell_staffer(user, "an authenticator app was added to your account",
                 "A new authenticator app now gives your sign-in codes"
                 + ("; the one you had before no longer works." if replaced else "."), request)


@transaction.atomic
def remove_totp_devices(*, user: User, request: HttpRequest) -> None:
    """Turn two-factor off for one staffer and tell them by email."""
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action=AuditEntry.Action.TWO_FACTOR, summary="Turned off two-factor", request=request)
    tell_staffer(user, "two-factor sign-in was turned off",
                 "Two-factor sign-in was turned off: your password alone now signs you in.", request)


@transaction.atomic
def password_changed(*, user: User, request: HttpRequest, how: str) -> None:
    """Record a new password and tell the staffer by email."""
    audit.record(actor=user, action=AuditEntry.Action.CHANGE, target=user,
                 summary=f"Changed the password through {how}", request=request)
    tell_staffer(user, "your password was changed", f"Your password was changed through {how}.", request)


@transaction.atomic
def create_api_token(*, actor: User | None, user: User, group: Group, name: str,
                     request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """Make an API token for `user` in `group`; the key is returned once and stored only as a digest."""
    import hashlib
    import secrets

    key = "tnt_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, group=group, name=name.strip() or "API token",
                                    prefix=key[:10], key_digest=hashlib.sha256(key.encode()).hexdigest())
    audit.record(actor=actor or user, action=AuditEntry.Action.CREATE, target=token,
                 summary=f"Created API token “{token.name}” for {user.email}", request=request, group=group)
    tell_staffer(user, "an API token was made for your account",
                 f"An API token “{token.name}” (starting {token.prefix}) was made. It reads and changes "
                 "everything your account can. Revoke it on your account page if you did not make it.", request)
    return token, key


@transaction.atomic
def revoke_api_token(*, actor: User | None, token: ApiToken, request: HttpRequest | None = None) -> None:
    """Stop a token working at once; the record stays for the audit trail."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=token,
                     summary=f"Revoked API token “{token.name}”", request=request, group=token.group)


def note_token_use(*, token: ApiToken) -> None:
    """Show when a token was last used, to the minute: a busy token does not write on every call,
    and a use is not an audit entry (the reads and writes it makes are)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
