"""Steps that staff pages of every app share: making a record from its form, and saving an edit.
Each calls the owning app's service (which writes the audit entry); these only shuttle the form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def saved(request: HttpRequest, form: Any, *, update: Callable[..., Any], **rows: Any) -> HttpResponse | None:
    """A staff edit: when the form and each formset in `rows` are valid, `update` (a service, the
    record already given) saves them and the page shows "Saved."; None when it is not a POST or
    something has errors (shown again as typed)."""
    if request.method != "POST" or not all([form.is_valid(), *[formset.is_valid() for formset in rows.values()]]):
        return None
    record = update(actor=request.user, fields=form.cleaned_data, request=request,
                    **{name: formset.cleaned_data for name, formset in rows.items()})
    flash.success(request, _("Saved."))
    return redirect(record.get_absolute_url())


def create_record(request: HttpRequest, form: Any, *, create: Callable[..., Any], title: str) -> HttpResponse:
    """A new network, pledge, plan, form, petition, resolution, working group or resource center from
    its form: `create` (a service) saves it in the group chosen, then it is shown."""
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        record = create(actor=request.user, group=fields.pop("group"), fields=fields, request=request)
        return redirect(record.get_absolute_url())
    return render(request, "record_form.html", {"form": form, "title": title})


class BadId(Exception):
    """A page was given an id that is no id at all (not a UUID): the page answers 400 with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def chosen[M: Model](queryset: QuerySet[M], value: str | None, *, what: str) -> M:
    """The record of `queryset` whose public id a form posted or a link carried (a button's value, a
    query parameter). A value that is no UUID is the page's fault or a hand-edited URL, not a missing
    record: it raises BadId (a 400 saying so) rather than reaching the database as a 500; a UUID
    that names nothing the user may act on is a 404. `what` names the record for the message."""
    try:
        public_id = uuid.UUID(str(value or ""))
    except ValueError:
        raise BadId(_("“%(value)s” is not the id of a %(what)s; reload the page and try again.")
                    % {"value": str(value or "")[:50], "what": what}) from None
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise Http404(_("No %(what)s with this id is there for you to act on; reload the page.") % {"what": what})
    return found
