"""A resource center's public page, /hub/<slug>/: its blocks in order, the upcoming events of its
campaign (or of its group), and its files. Unpublished, it is shown only to its group's staff."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from turnout.core.language import spanish
from turnout.events.models import Event, Status, Visibility
from turnout.events.services import when_text
from turnout.hubs.models import Hub, HubItem
from turnout.sharing.public import og_context


def page(request: HttpRequest, slug: str) -> HttpResponse:
    hub = get_object_or_404(Hub.objects.shown_to(request.user).select_related("group", "campaign"), slug=slug)
    es = spanish()
    events = Event.objects.filter(status__in=[Status.SCHEDULED, Status.STANDBY], visibility=Visibility.PUBLIC,
                                  awaiting_approval=False, starts_at__gte=timezone.now()).order_by("starts_at")
    events = events.filter(campaign=hub.campaign) if hub.campaign else events.filter(group=hub.group)
    items = []
    for item in hub.items.select_related("form", "petition", "pledge", "resolution", "working_group"):
        target = item.form or item.petition or item.pledge or item.resolution or item.working_group
        items.append({
            "item": item, "target": target,
            "heading": (item.heading_es if es and item.heading_es else item.heading)
            or (str(target) if target else item.get_kind_display()),
            "body": item.body_es if es and item.body_es else item.body,
            "events": [(e, when_text(e)) for e in events[:20]] if item.kind == HubItem.Kind.EVENTS else []})
    title = hub.title_es if es and hub.title_es else hub.title
    intro = hub.intro_es if es and hub.intro_es else hub.intro
    return render(request, "hubs/public_hub.html", {
        "hub": hub, "title": title, "intro": intro, "items": items, **og_context(request, hub, title, intro)})


def file(request: HttpRequest, slug: str, item_id: int) -> FileResponse:
    item = get_object_or_404(HubItem, hub__in=Hub.objects.shown_to(request.user), hub__slug=slug, pk=item_id,
                             kind=HubItem.Kind.FILE)
    if not item.file:
        raise Http404
    return FileResponse(item.file.open("rb"), as_attachment=True)
