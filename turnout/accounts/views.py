"""Login, two-factor, invitations, groups and staff roles."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_ratelimit.core import is_ratelimited

from turnout.accounts import reauth, services
from turnout.accounts.branding import brand_for, stylesheet
from turnout.accounts.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    ConfirmPasswordForm,
    GroupBrandForm,
    GroupMessagingForm,
    InviteForm,
    PreferencesForm,
    SubgroupForm,
    TokenForm,
)
from turnout.accounts.models import ApiToken, Group, GroupLogo, Role, StaffRole, User
from turnout.accounts.permissions import has_role, has_role_anywhere, require_role_anywhere
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.core.net import address_key
from turnout.core.redirects import next_url


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Email a reset link, at most a few an hour from one address and to one account (each one
    is an email to a real inbox that anyone could otherwise make Turnout send in bulk)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        request = self.request
        if is_ratelimited(request, group="password-reset-ip", key=lambda _g, r: address_key(r),
                          rate=settings.PASSWORD_RESET_RATE_PER_IP, method="POST", increment=True):
            form.add_error(None, _("Too many reset requests from here just now. Please wait an hour and try again."))
            return self.form_invalid(form)
        email = form.cleaned_data["email"].strip().lower()
        if is_ratelimited(request, group="password-reset-account", key=lambda _g, _r: email,
                          rate=settings.PASSWORD_RESET_RATE_PER_ACCOUNT, method="POST", increment=True):
            # The same answer as for a sent link: the page must not tell whether the account exists.
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(user=form.user, request=self.request, how="a reset link")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password: the old one, and a fresh second factor for staff who have one."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:preferences")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (request.user.is_authenticated and reauth.has_authenticator(request.user)
                and not reauth.recently_confirmed(request)):
            return reauth.confirm_first(request, request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(user=form.user, request=self.request, how="the account page")
        messages.success(self.request, _("Your password is changed."))
        return response


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of login for staff with an authenticator app, and the confirmation that the
    account's most sensitive pages ask for: a current code, or the password for staff without an app."""
    user: User = request.user  # type: ignore[assignment]
    with_code = reauth.has_authenticator(user)
    form: TokenForm | ConfirmPasswordForm = (TokenForm(request.POST or None) if with_code
                                             else ConfirmPasswordForm(request.POST or None, user=user, request=request))
    if request.method == "POST" and form.is_valid():
        if not with_code:
            reauth.mark_confirmed(request)
            return redirect(next_url(request, "/"))
        device = match_token(user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            reauth.mark_confirmed(request)
            return redirect(next_url(request, "/"))
        form.add_error("token", _("That code is not right. Codes change every 30 seconds; try the current one."))
    return render(request, "accounts/verify.html", {
        "form": form, "next": next_url(request, "/"), "with_code": with_code,
        "confirming": request.GET.get("confirm") == "1" or user.is_verified(),  # type: ignore[attr-defined]
    })


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a QR code for an authenticator app and confirm it with one code. Adding an app (or
    replacing one) first asks the staffer to confirm who they are."""
    user: User = request.user  # type: ignore[assignment]
    if not reauth.recently_confirmed(request):
        return reauth.confirm_first(request, reverse("accounts:two_factor_setup"))
    replacing = reauth.has_authenticator(user)
    device = services.pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            services.confirm_totp_device(user=user, device=device, request=request)
            otp_login(request, device)
            reauth.mark_confirmed(request)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("token", _("That code is not right. Check the time on your phone and try the current code."))
    qr = segno.make(device.config_url, micro=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr_svg": qr.svg_inline(dark="#111", omitsize=True), "secret": secret,
        "replacing": replacing,
    })


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor off, for staff not required to keep it, after a fresh code."""
    user: User = request.user  # type: ignore[assignment]
    if settings.REQUIRE_ADMIN_2FA and has_role_anywhere(user, Role.ADMIN):
        messages.error(request, _("Admins must keep two-factor sign-in on. Set up a new app to replace the old one."))
        return redirect("accounts:preferences")
    if not reauth.recently_confirmed(request):
        return reauth.confirm_first(request, reverse("accounts:preferences"))
    services.remove_totp_devices(user=user, request=request)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:preferences")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "GET" and "token_name" in request.GET:
        # Back from confirming who they are: the token form as it was typed.
        return render(request, "accounts/preferences.html", _preferences_context(
            request, form, token_form=ApiTokenForm(user=request.user, initial={  # type: ignore[arg-type]
                "name": request.GET.get("token_name", ""), "group": request.GET.get("token_group", "")})))
    if request.method == "POST" and form.is_valid():
        services.update_preferences(user=request.user, fields=form.cleaned_data, request=request)  # type: ignore[arg-type]
        messages.success(request, _("Saved."))
        response = redirect("accounts:preferences")
        response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    return render(request, "accounts/preferences.html", _preferences_context(request, form))


def _preferences_context(request: HttpRequest, form: PreferencesForm, **extra: object) -> dict[str, object]:
    user: User = request.user  # type: ignore[assignment]
    return {
        "form": form,
        "token_form": extra.pop("token_form", None) or ApiTokenForm(user=user),
        "tokens": user.api_tokens.select_related("group").filter(revoked_at__isnull=True),
        "has_authenticator": reauth.has_authenticator(user),
        "must_keep_two_factor": settings.REQUIRE_ADMIN_2FA and has_role_anywhere(user, Role.ADMIN),
        **extra,
    }


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Make an API token and show its key once, on this response only (never stored in the session).
    A token reads what its staffer reads, so making one first asks them to confirm who they are."""
    user: User = request.user  # type: ignore[assignment]
    if not reauth.recently_confirmed(request):
        back = f"{reverse('accounts:preferences')}?" + urlencode({
            "token_name": request.POST.get("name", "")[:100], "token_group": request.POST.get("group", "")[:20]})
        messages.info(request, _("Confirm it is you, then make the token."))
        return reauth.confirm_first(request, back + "#api-tokens")
    token_form = ApiTokenForm(request.POST, user=user)
    if not token_form.is_valid():
        return render(request, "accounts/preferences.html",
                      _preferences_context(request, PreferencesForm(instance=user), token_form=token_form))
    token, key = services.create_api_token(actor=user, user=user, group=token_form.cleaned_data["group"],
                                           name=token_form.cleaned_data["name"], request=request)
    response = render(request, "accounts/preferences.html",
                      _preferences_context(request, PreferencesForm(instance=user), new_key=key, new_token=token))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, public_id: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, public_id=public_id, user=request.user)
    services.revoke_api_token(actor=request.user, token=token, request=request)  # type: ignore[arg-type]
    messages.success(request, _("Token “%(name)s” revoked; it no longer works.") % {"name": token.name})
    return redirect("accounts:preferences")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email=invitation.email).exists()
    if existing and (not request.user.is_authenticated or request.user.email != invitation.email):  # type: ignore[union-attr]
        messages.info(request, _("Log in as %(email)s to accept this invitation.") % {"email": invitation.email})
        return redirect(f"{reverse_lazy('accounts:login')}?next={request.path}")
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (existing or form.is_valid()):
        data = form.cleaned_data if not existing else {}
        services.accept_invitation(invitation=invitation, request=request, first_name=data.get("first_name", ""),
                                   last_name=data.get("last_name", ""), password=data.get("password1"))
        messages.success(request, _("Welcome to %(group)s.") % {"group": invitation.group.name})
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/accept_invitation.html", {"invitation": invitation, "form": form, "existing": existing})


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    # Members apart from supporters: a union's member count is a figure it reports and bargains with.
    groups = Group.objects.visible_to(request.user).annotate(
        people=Count("memberships"),
        members=Count("memberships", filter=Q(memberships__status="member")),
        supporters=Count("memberships", filter=Q(memberships__status="supporter")),
    ).order_by("path")
    return render(request, "accounts/group_list.html", {"groups": groups})


@require_GET
def group_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """A group's logo for its public pages and emails: a PNG Turnout drew itself (accounts.branding)."""
    logo = get_object_or_404(GroupLogo.objects.only("image", "updated_at"), group__slug=slug)
    response = HttpResponse(bytes(logo.image), content_type="image/png")
    # The address carries the logo's version (?v=), so a new logo is a new address.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = 'inline; filename="logo.png"'
    return response


@require_GET
def group_style(request: HttpRequest, slug: str) -> HttpResponse:
    """A group's accent colour as a stylesheet for its public pages."""
    group = get_object_or_404(Group, slug=slug)
    response = HttpResponse(stylesheet(brand_for(group)), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"  # the address carries the colour (?c=)
    return response


@login_required
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group.objects.visible_to(request.user), slug=slug)
    user: User = request.user  # type: ignore[assignment]
    can_admin = has_role(user, group, Role.ADMIN)
    invite_form = InviteForm(request.POST if "invite" in request.POST else None)
    subgroup_form = SubgroupForm(request.POST if "subgroup" in request.POST else None)
    messaging_form = GroupMessagingForm(request.POST if "messaging" in request.POST else None, instance=group)
    # A copy: a form that fails must not change the name and colour the page around it shows.
    brand_form = GroupBrandForm(request.POST if "brand" in request.POST else None,
                                request.FILES if "brand" in request.POST else None,
                                instance=Group.objects.get(pk=group.pk))
    if request.method == "POST":
        if not can_admin:
            raise PermissionDenied
        if "invite" in request.POST and invite_form.is_valid():
            services.invite_staff(actor=user, group=group, email=invite_form.cleaned_data["email"],
                                  role=invite_form.cleaned_data["role"], request=request)
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invite_form.cleaned_data["email"]})
            return redirect(group)
        if "subgroup" in request.POST and subgroup_form.is_valid():
            child = services.create_subgroup(actor=user, parent=group, request=request, **subgroup_form.cleaned_data)
            messages.success(request, _("Added %(name)s.") % {"name": child.name})
            return redirect(group)
        if "brand" in request.POST and brand_form.is_valid():
            data = brand_form.cleaned_data
            services.update_group_brand(actor=user, group=group, name=data["name"], accent_color=data["accent_color"],
                                        logo=data["logo"], remove_logo=data["remove_logo"], request=request)
            messages.success(request, _("Saved."))
            return redirect(group)
        if "messaging" in request.POST and messaging_form.is_valid():
            services.update_group_messaging(actor=user, group=group, request=request, **messaging_form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect(group)
    roles = StaffRole.objects.filter(group__in=group.ancestors_and_self()).select_related("user", "group")
    return render(request, "accounts/group_detail.html", {
        "group": group, "roles": roles, "can_admin": can_admin, "invite_form": invite_form,
        "subgroup_form": subgroup_form, "messaging_form": messaging_form, "brand_form": brand_form,
        "brand": brand_for(group), "children": group.children.all(),
        "pending": group.invitations.filter(accepted_at__isnull=True),
        "role_choices": Role.choices,
    })


@login_required
@require_POST
def change_role(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    group = get_object_or_404(Group.objects.visible_to(request.user, Role.ADMIN), slug=slug)
    staff_role = get_object_or_404(StaffRole, pk=role_id, group=group)
    new_role = request.POST.get("role") or None
    if new_role is not None and new_role not in Role.values:
        messages.error(request, _("Choose a role from the list."))
        return redirect(group)
    services.set_role(actor=request.user, user=staff_role.user, group=group, role=new_role, request=request)  # type: ignore[arg-type]
    messages.success(request, _("Role updated."))
    return redirect(group)


@login_required
@require_role_anywhere(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Admins read the trail of their own groups' staff and data."""
    entries = AuditEntry.objects.select_related("group")
    user: User = request.user  # type: ignore[assignment]
    if not user.is_superuser:
        groups = Group.objects.visible_to(user, Role.ADMIN)
        staff = StaffRole.objects.filter(group__in=groups).values("user_id")
        staff_ids = [str(pk) for pk in staff.values_list("user_id", flat=True)]
        # Failed logins carry no actor and no group: they name the account that was tried.
        entries = (entries.filter(group__in=groups) | entries.filter(actor_id__in=staff)
                   | entries.filter(action=AuditEntry.Action.LOGIN_FAILED, target_type="user", target_id__in=staff_ids))
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "target", "since", "until")}
    if filters["actor"]:
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["target"]:
        # A person's entries are found by their key's subject id, not by their public id.
        try:
            owner = uuid.UUID(filters["target"])
        except ValueError:
            entries = entries.filter(target_id=filters["target"])
        else:
            entries = entries.filter(Q(target_id=filters["target"])
                                     | Q(subject__in=audit.keys_of_owner(f"person:{owner}").values("subject")))
    if filters["since"]:
        entries = entries.filter(at__date__gte=filters["since"])
    if filters["until"]:
        entries = entries.filter(at__date__lte=filters["until"])
    page = Paginator(entries.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    page.object_list = audit.opened(page.object_list)
    return render(request, "accounts/audit_log.html", {
        "page": page, "filters": filters, "actions": AuditEntry.Action.choices, "query": query.urlencode(),
    })

