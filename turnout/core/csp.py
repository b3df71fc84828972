"""One page's exceptions to the Content-Security-Policy in settings.SECURE_CSP, which
Django's ContentSecurityPolicyMiddleware sends with every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.utils.csp import CSP


def widen(response: HttpResponse, directive: str, *sources: str) -> HttpResponse:
    """Let this response's page also use `sources` for `directive` ('none' gives way to them)."""
    added = [source for source in sources if source]
    if not added:
        return response  # dropping 'none' with nothing in its place would lift the directive
    config = dict(getattr(response, "_csp_config", None) or settings.SECURE_CSP)
    kept = [source for source in config.get(directive) or [] if source != CSP.NONE]
    config[directive] = [*kept, *(source for source in added if source not in kept)]
    response._csp_config = config  # type: ignore[attr-defined]  # what Django's csp_override sets
    return response


def origin(url: str) -> str:
    """The scheme and host of an absolute URL, as a CSP source ("" for a relative one)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
