"""Two-factor enforcement: staff with a device must use it; admins must have one."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from turnout.accounts.permissions import has_role_anywhere

OPEN_PREFIXES = ("/static/", "/accounts/", "/i18n/", "/health")


class StaffSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            if not user.is_verified():  # type: ignore[union-attr]
                if user_has_device(user):
                    return redirect(f"{reverse('accounts:verify')}?next={request.get_full_path()}")
                if settings.REQUIRE_ADMIN_2FA and has_role_anywhere(user, "admin"):
                    return redirect(reverse("accounts:two_factor_setup"))
        return self.get_response(request)
