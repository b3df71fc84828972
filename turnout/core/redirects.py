"""Where a page may send the browser next: only somewhere on this site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` the request carries (POSTed, else in the query string) when it stays on this
    site, else `default`.

    A `next` is written by whoever made the link or the form, so it is checked, not followed:
    Django's check refuses another host, a scheme-relative `//host`, a `/\\host` (browsers read
    the backslash as a slash) and schemes such as `javascript:`; over HTTPS it also refuses a
    plain-http address, so a secure page never hands the session's next step to an
    unencrypted one.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def redirect_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the request's own `next` when it is safe (see `next_url`), else to `default`."""
    return HttpResponseRedirect(next_url(request, default))
