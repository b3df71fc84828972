"""Staff sessions: each staffer's own language, and two-factor (with a device, use it; admins must have one)."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django_otp import user_has_device

from turnout.accounts.permissions import has_role_anywhere

# What a signed-in staffer may reach before the second factor: what it takes to give it (or to
# leave), and nothing that reads or changes data or the account itself.
BEFORE_SECOND_FACTOR = (
    "/static/", "/i18n/", "/health", "/accounts/login/", "/accounts/logout/", "/accounts/verify/",
    "/accounts/password-reset/", "/accounts/reset/",
)
# An admin who has no authenticator yet may also reach the page that sets one up.
SETTING_UP = (*BEFORE_SECOND_FACTOR, "/accounts/two-factor/")


class StaffSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language:
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
            # override() restores the thread's language afterwards, so nothing leaks into
            # the next request or task served by this thread.
            with translation.override(language):
                return self.check_two_factor(request, user) or self.get_response(request)
        return self.check_two_factor(request, user) or self.get_response(request)

    def check_two_factor(self, request: HttpRequest, user: object) -> HttpResponse | None:
        if user is None or not user.is_authenticated or request.path.startswith(BEFORE_SECOND_FACTOR):  # type: ignore[attr-defined]
            return None
        if user.is_verified():  # type: ignore[attr-defined]
            return None
        if user_has_device(user):
            return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': request.get_full_path()})}")
        if settings.REQUIRE_ADMIN_2FA and has_role_anywhere(user, "admin"):
            if request.path.startswith(SETTING_UP):
                return None
            return redirect(reverse("accounts:two_factor_setup"))
        return None
