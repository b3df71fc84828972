"""Staff pages: make a resource center, edit it and its blocks, publish it."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, Role, User
from turnout.accounts.permissions import require_role_anywhere
from turnout.core.console import create_record, saved
from turnout.hubs import services
from turnout.hubs.forms import HubForm, HubItemFormSet
from turnout.hubs.models import Hub
from turnout.sharing.console import publishing


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _mine(request: HttpRequest, public_id: Any) -> Hub:
    groups = Group.objects.visible_to(_user(request), Role.ORGANIZER)
    return get_object_or_404(Hub.objects.filter(group__in=groups).select_related("group"), public_id=public_id)


@login_required
@require_role_anywhere(Role.ORGANIZER)
def new(request: HttpRequest) -> HttpResponse:
    return create_record(request, HubForm(request.POST or None, user=_user(request)), create=services.create_hub,
                         title=_("New resource center"))


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    hub = _mine(request, public_id)
    form = HubForm(request.POST or None, instance=hub, user=_user(request), prefix="hub")
    items = HubItemFormSet(request.POST or None, request.FILES or None, instance=hub, prefix="items",
                           form_kwargs={"hub_group": hub.group})
    if done := saved(request, form, update=partial(services.update_hub, hub=hub), items=items):
        return done
    return render(request, "hubs/hub_detail.html", {"hub": hub, "form": form, "items": items,
                                                    **publishing(request, hub)})
