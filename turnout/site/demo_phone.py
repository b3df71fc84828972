"""The demo phone: what Turnout texted the demo's numbers, and replies typed as those members.

Texts are read from what the file transport wrote (var/sms/outbox.jsonl): in the demo and in
development nothing leaves the machine, so every number there is a demo number. A reply is signed
with the gateway secret and handed to the signed gateway hook itself, so it takes the same door,
checks and services as a reply from a real gateway. Only with TURNOUT_DEMO or TURNOUT_DEBUG
(settings.DEMO_PHONE), only for organizers, and only for numbers of people they can see.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from turnout.accounts.models import Role
from turnout.accounts.permissions import require_role_anywhere
from turnout.messaging.models import InboundMessage
from turnout.messaging.transports.http import SIGNATURE_HEADER, signature
from turnout.people.models import Person, PhoneNumber

# The newest texts only: a demo's outbox grows with every activation.
SHOWN = 2000


@dataclass(frozen=True)
class Bubble:
    at: datetime
    body: str
    incoming: bool  # True: Turnout texted the member; False: the member's reply


def demo_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Outside the demo and development the page does not exist."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEMO_PHONE:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def sent_texts() -> list[dict[str, str]]:
    """What the file transport wrote, oldest first (a line it could not read is passed over)."""
    path = settings.VAR_DIR / "sms" / "outbox.jsonl"
    if not path.exists():
        return []
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines()[-SHOWN:]:
        try:
            entry = json.loads(line)
            texts.append({"to": str(entry["to"]), "from": str(entry.get("from") or ""), "body": str(entry["body"]),
                          "at": str(entry["at"])})
        except (ValueError, KeyError, TypeError):
            continue
    return texts


def phones(user: Any, texts: list[dict[str, str]]) -> dict[str, str]:
    """number -> the name of whom it belongs to, for the numbers texted that the user may see."""
    numbers = {text["to"] for text in texts}
    rows = (PhoneNumber.objects.filter(number__in=numbers, person__in=Person.objects.visible_to(user, Role.ORGANIZER))
            .select_related("person").order_by("person__given_name"))
    return {row.number: row.person.display_name for row in rows}


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Reply as this member"), max_length=2000,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "YES"}))


def text_in(*, number: str, to: str, body: str) -> HttpResponse:
    """Hand a reply to the signed gateway hook as a gateway would: a JSON body signed with the
    configured secret, through the hook's own view (its signature check and all)."""
    raw = json.dumps({"id": f"demo-{uuid.uuid4()}", "from": number, "to": to, "body": body}).encode()
    path = reverse("hooks:http_inbound")
    request = WSGIRequest({
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)), "wsgi.input": io.BytesIO(raw), "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): signature(raw, settings.SMS_HTTP_SECRET)})
    match = resolve(path)
    return match.func(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]


@demo_only
@login_required
@require_role_anywhere(Role.ORGANIZER)
def phone(request: HttpRequest) -> HttpResponse:
    """Every demo number texted that the organizer may see; one of them open, with a reply box."""
    texts = sent_texts()
    numbers = phones(request.user, texts)
    chosen = request.GET.get("number") or request.POST.get("number") or ""
    if chosen and chosen not in numbers:
        raise Http404
    form = ReplyForm(request.POST or None)
    if chosen and request.method == "POST" and form.is_valid():
        last_from = next((t["from"] for t in reversed(texts) if t["to"] == chosen), "")
        answer = text_in(number=chosen, to=last_from, body=form.cleaned_data["body"])
        if answer.status_code == 200:
            return redirect(f"{reverse('site:demo_phone')}?{urlencode({'number': chosen})}")
        messages.error(request, _("The gateway hook refused the reply (%(status)s).") % {"status": answer.status_code})
    bubbles: list[Bubble] = []
    if chosen:
        bubbles = [Bubble(at=datetime.fromisoformat(t["at"]), body=t["body"], incoming=True)
                   for t in texts if t["to"] == chosen]
        bubbles += [Bubble(at=reply.received_at, body=reply.body, incoming=False)
                    for reply in InboundMessage.objects.filter(from_number=chosen).order_by("received_at")[:200]]
        bubbles.sort(key=lambda bubble: bubble.at)
    last = {t["to"]: t for t in texts}
    threads = sorted(((number, name, last[number]) for number, name in numbers.items()),
                     key=lambda row: row[2]["at"], reverse=True)
    return render(request, "site/demo_phone.html", {
        "threads": threads, "chosen": chosen, "chosen_name": numbers.get(chosen, ""), "bubbles": bubbles,
        "form": form, "now": timezone.now()})
