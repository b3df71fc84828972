"""Steps that staff pages of every app share: making a record from its form, and saving an edit;
each goes on record in the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from turnout.core import audit
from turnout.core.models import AuditEntry


def saved(request: HttpRequest, record: Any, *forms: Any, summary: str) -> HttpResponse | None:
    """A staff edit: when every form is valid, each is saved, the change goes on record and the
    page shows "Saved."; None when it is not a POST or a form has errors (shown again as typed)."""
    if request.method != "POST" or not all([form.is_valid() for form in forms]):
        return None
    for form in forms:
        form.save()
    audit.record(actor=request.user, action=AuditEntry.Action.CHANGE, target=record, group=record.group,
                 summary=summary, request=request)
    flash.success(request, _("Saved."))
    return redirect(record.get_absolute_url())


def create_record(request: HttpRequest, form: Any, *, summary: str, title: str) -> HttpResponse:
    """A new network, pledge, plan, form, petition, resolution, working group or resource center from
    its form: saved with its creator, on record, then shown."""
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        if hasattr(record, "created_by_id"):
            record.created_by = request.user
        record.save()
        form.save_m2m()
        audit.record(actor=request.user, action=AuditEntry.Action.CREATE, target=record, summary=summary,
                     group=record.group, request=request)
        return redirect(record.get_absolute_url())
    return render(request, "record_form.html", {"form": form, "title": title})
