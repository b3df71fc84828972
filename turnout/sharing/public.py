"""What every public page shares: the person's own share link, Open Graph previews, the
embeddable version of a page, and QR codes for any of the site's pages.

An embedded page (…/embed/) is the same page without the site's header, framable by any site,
and needs no cookie: it works where a browser blocks third-party cookies, so it is exempt from
CSRF (public sign-ups carry no one's authority; the honeypot and the rate limits guard them
instead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csp import get_nonce
from django.middleware.csrf import CSRF_TOKEN_LENGTH, get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from turnout.core import csp
from turnout.core.kept import KeptPages
from turnout.people.models import Person
from turnout.sharing import services


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page's embed: framable anywhere, no cookies, `?lang=es` for Spanish."""

    def embed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang") or request.POST.get("lang")
        if language not in ("en", "es"):
            language = translation.get_language() or "en"
        request.LANGUAGE_CODE = language
        # Only for this response: the language must not stay on the thread for the next request.
        with translation.override(language):
            response = view(request, *args, embed=True, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return csp.widen(response, "frame-ancestors", "*")

    return xframe_options_exempt(csrf_exempt(embed))


def share_context(request: HttpRequest, record: Any, person: Person | None, text: str,
                  code: str = "") -> dict[str, Any]:
    """The person's own link to this page (crediting them), and the wording for the share buttons.
    `code`: the share code kept for someone whose form a worker has yet to settle."""
    url = request.build_absolute_uri(record.public_url())
    if person is not None:
        code = services.share_code(person)
    if code:
        url += "?" + urlencode({"ref": code})
    message = f"{text} {url}"
    return {"share_url": url, "share_text": text, "share_own": bool(code), "share_sms": "sms:?&" + urlencode({"body": message}),
            "share_mail": "mailto:?" + urlencode({"subject": text, "body": message}).replace("+", "%20"),
            "share_whatsapp": "https://wa.me/?" + urlencode({"text": message})}


# Stand-ins for what differs between two people's answers from one page; each comes out of
# escaping and URL-encoding as it went in (letters and digits), as do a share code
# (`new_share_code`: letters, digits, - and _), a CSRF token and a CSP nonce.
_CODE, _TOKEN, _NONCE = "Zq7SHARECODEq7Z", "Zq7CSRFTOKENq7Z", "Zq7CSPNONCEq7Z"

# Answers to a page's forms as rendered once for everyone in a few seconds, in each web process.
_ANSWERS: KeptPages[str] = KeptPages()


def answer_page(request: HttpRequest, template: str, context: dict[str, Any], record: Any,
                code: str) -> HttpResponse:
    """The answer to a public form (a thank-you with the person's share link, `code`), rendered
    once per page, wording and address in a few seconds and given to each person with their own
    share code, CSRF token and CSP nonce: a crowd is thanked hundreds of times a second with the
    same page. Someone signed in, or with a message waiting, gets the page rendered for them."""
    if request.user.is_authenticated or len(get_messages(request)):  # type: ignore[arg-type]
        return render(request, template, {**context, **share_context(request, record, None, context["title"], code)})
    key = (template, type(record).__name__, record.public_id, tuple(sorted((k, str(v)) for k, v in context.items())),
           translation.get_language(), request.get_full_path(), request.get_host(), request.is_secure(), bool(code))

    def rendered() -> str:
        return render_to_string(template, {
            **context, **share_context(request, record, None, context["title"], _CODE if code else ""),
            "csrf_token": _TOKEN, "csp_nonce": _NONCE}, request)

    page = _ANSWERS.get(key, rendered)
    if code:
        page = page.replace(_CODE, code)
    if _TOKEN in page:
        page = page.replace(_TOKEN, _page_token(request))
    if _NONCE in page:
        page = page.replace(_NONCE, str(get_nonce(request)))
    return HttpResponse(page)


def _page_token(request: HttpRequest) -> str:
    """The CSRF token for the answer's own forms (the language switch): the masked token the person
    has just sent, when the CSRF check accepted it: as good as a new one for their cookie, and it
    costs nothing, where masking a new one is a good part of a form post's time (see
    docs/performance.md); else a new one."""
    sent = request.POST.get("csrfmiddlewaretoken", "")
    if (getattr(request, "csrf_processing_done", False) and len(sent) == CSRF_TOKEN_LENGTH
            and sent.isascii() and sent.isalnum()):
        return sent
    return get_token(request)


def og_context(request: HttpRequest, record: Any, title: str, description: str) -> dict[str, Any]:
    return {"og": {"title": title, "description": description[:300],
                   "url": request.build_absolute_uri(record.public_url())}}


# --- QR codes -------------------------------------------------------------------------------------


def _own_path(request: HttpRequest) -> str | None:
    path = request.GET.get("path", "")
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else None


def qr_svg(request: HttpRequest) -> HttpResponse:
    """A QR code for one of this site's own pages (`?path=/p/…/`)."""
    path = _own_path(request)
    if path is None:
        return HttpResponseBadRequest(_("Give the page as a path on this site, such as /p/…/."))
    code = segno.make(request.build_absolute_uri(path), micro=False)
    return HttpResponse(code.svg_inline(scale=8, border=2), content_type="image/svg+xml")


def qr_print(request: HttpRequest) -> HttpResponse:
    """A printable sheet: the page's title, its QR code and its address."""
    path = _own_path(request)
    if path is None:
        return HttpResponseBadRequest(_("Give the page as a path on this site, such as /p/…/."))
    return render(request, "sharing/qr_print.html", {
        "path": path, "url": request.build_absolute_uri(path), "title": request.GET.get("title", "")[:200]})
