"""Staff pages for organizing: the triage queue and matching, volunteers, workplaces and their
map, campaigns with their roll-up, each unit's roster and threshold, each worker's assessments,
conversations and cards. Volunteers reach only what they are assigned to; everyone else gets 404."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from turnout.accounts.models import Role, User
from turnout.accounts.permissions import has_role, require_role_anywhere
from turnout.core import audit
from turnout.core.console import BadId, chosen
from turnout.core.models import AuditEntry
from turnout.core.redirects import redirect_next
from turnout.organizing import selectors, services
from turnout.organizing.forms import (
    AddUnitForm,
    AreaForm,
    AssessForm,
    AssignForm,
    CampaignForm,
    ConversationForm,
    ImportForm,
    PaperCardForm,
    PlacementForm,
    StageForm,
    StatusForm,
    StructureForm,
    UnitVolunteersForm,
    VolunteerForm,
    WorkerForm,
    WorkplaceForm,
)
from turnout.organizing.models import Area, Campaign, Card, Request, Stage, Unit, Volunteer, Worker
from turnout.organizing.pdf import card_pdf
from turnout.people.services import UnknownZip

staff_only = require_role_anywhere(Role.VIEWER)

DRILL_LABELS = [("carded", gettext_lazy("carded")), ("uncarded", gettext_lazy("no valid card")),
                ("expired", gettext_lazy("card too old")), ("low", gettext_lazy("assessed 1 or 2")),
                ("unassessed", gettext_lazy("not assessed")), ("committee", gettext_lazy("committee")),
                ("uncovered", gettext_lazy("nobody talking to them")), ("workers", gettext_lazy("all workers"))]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _unit(request: HttpRequest, public_id: Any) -> Unit:
    return get_object_or_404(selectors.units_for(_user(request)).select_related(
        "campaign__group", "workplace__employer"), public_id=public_id)


def _campaign(request: HttpRequest, public_id: Any) -> Campaign:
    """A campaign its staff run; volunteers and outsiders get 404 (a locked one, admins only)."""
    campaign = get_object_or_404(Campaign.objects.select_related("group", "employer"), public_id=public_id)
    if not selectors.runs(_user(request), campaign):
        raise Http404
    return campaign


def _runs_unit(request: HttpRequest, unit: Unit) -> None:
    if not selectors.runs(_user(request), unit.campaign):
        raise PermissionDenied


@login_required
@staff_only
def home(request: HttpRequest) -> HttpResponse:
    """The queue of requests, the campaigns, and for a volunteer what is theirs."""
    user = _user(request)
    status = request.GET.get("status", "open")
    requests = selectors.requests_for(user).select_related("person", "organizer__user", "mentor__user")
    if status == "open":
        requests = requests.exclude(status=Request.Status.CLOSED)
    elif status in Request.Status.values:
        requests = requests.filter(status=status)
    campaigns = selectors.campaigns_for(user).select_related("group").annotate(n_units=Count("units", distinct=True))
    intake_links = [(group, request.build_absolute_uri(reverse("public_intake", args=[group.slug])))
                     for group in selectors.staff_groups(user).order_by("name")]
    return render(request, "organizing/home.html", {
        "intake_links": intake_links,
        "requests": Paginator(requests.order_by("created_at"), 100).get_page(request.GET.get("page")),
        "status": status, "statuses": Request.Status.choices, "campaigns": campaigns,
        "my_units": Unit.objects.filter(volunteers=user, campaign__locked_at__isnull=True)
                                .select_related("workplace", "campaign"),
        "is_staff": selectors.staff_groups(user).exists(),
        "overdue_seconds": settings.ORGANIZING_FOLLOW_UP_HOURS * 3600,
    })


# --- requests ------------------------------------------------------------------------------------


@login_required
@staff_only
def request_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = _user(request)
    item = get_object_or_404(selectors.requests_for(user).select_related("person", "group", "organizer__user",
                                                                         "mentor__user", "unit"), public_id=public_id)
    staff = has_role(user, item.group, Role.ORGANIZER)
    assign = AssignForm(request.POST if "assign" in request.POST else None, request=item,
                        initial={"organizer": item.organizer, "mentor": item.mentor})
    status = StatusForm(request.POST if "set_status" in request.POST else None,
                        initial={"status": item.status, "reason": item.closed_reason})
    over_capacity = False
    try:
        if request.method == "POST" and "assign" in request.POST and staff and assign.is_valid():
            services.assign_request(actor=user, request=item, http=request, **assign.cleaned_data)
            flash.success(request, _("Assigned; the volunteers were told by email."))
            return redirect(item.get_absolute_url())
        if request.method == "POST" and "set_status" in request.POST and status.is_valid():
            services.set_request_status(actor=user, request=item, http=request, **status.cleaned_data)
            flash.success(request, _("Saved."))
            return redirect(item.get_absolute_url())
        if request.method == "POST" and "start_campaign" in request.POST and staff:
            unit = services.start_campaign(actor=user, request=item, http=request)
            flash.success(request, _("Campaign started. Map the workplace and build the roster."))
            return redirect(unit.get_absolute_url())
    except services.OverCapacity as exc:
        over_capacity = True
        assign.add_error("over_capacity", str(exc))
    except services.OrganizingError as exc:
        (assign if "assign" in request.POST else status).add_error(None, str(exc))
    except UnknownZip:
        flash.error(request, _("The request's ZIP code is unknown; add the workplace by hand."))
    organizers = selectors.suggestions(item) if staff else []
    mentors = selectors.suggestions(item, mentors=True) if staff else []
    if not over_capacity and not assign.any_full:
        del assign.fields["over_capacity"]  # nobody full: no override to offer
    # The worker's email and phone are on the page: a read of a person, on the log like the others.
    audit.record(actor=user, action=AuditEntry.Action.VIEW, target=item, request=request, group=item.group,
                 summary="Viewed an organizing request with the worker's email and phone")
    return render(request, "organizing/request.html", {
        "item": item, "staff": staff, "assign": assign, "status_form": status, "over_capacity": over_capacity,
        "emails": item.person.emails.all(), "phones": item.person.phones.all(),
        "organizers": organizers, "mentors": mentors,
    })


# --- volunteers ----------------------------------------------------------------------------------


@login_required
@staff_only
def volunteers(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    groups = selectors.staff_groups(user)
    if not groups.exists():
        raise PermissionDenied
    editing = None
    if request.GET.get("edit"):
        try:
            editing = chosen(Volunteer.objects.visible_to(user, Role.ORGANIZER), request.GET["edit"],
                             what=_("volunteer"))
        except BadId as exc:
            return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    form = VolunteerForm(request.POST or None, instance=editing, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_volunteer(actor=user, volunteer=form.save(commit=False), http=request)
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        else:
            flash.success(request, _("Saved."))
            return redirect("organizing:volunteers")
    people = list(Volunteer.objects.visible_to(user, Role.ORGANIZER).select_related("user", "group"))
    load = selectors.caseloads(people)
    for volunteer in people:
        volunteer.caseload = load[volunteer.pk]  # type: ignore[attr-defined]
    return render(request, "organizing/volunteers.html", {"form": form, "volunteers": people, "editing": editing})


# --- workplaces ----------------------------------------------------------------------------------


@login_required
@staff_only
def workplaces(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    groups = selectors.staff_groups(user)
    form = WorkplaceForm(request.POST or None, groups=groups) if groups.exists() else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            workplace = services.save_workplace(actor=user, workplace=form.save(commit=False), http=request,
                                                employer_name=form.cleaned_data["employer_name"])
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        else:
            return redirect("organizing:workplace", workplace.public_id)
    places = selectors.workplaces_for(user).select_related("employer")
    return render(request, "organizing/workplaces.html", {"form": form, "workplaces": places[:500]})


@login_required
@staff_only
def workplace_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A workplace and its map (departments, shifts, jobs): staff and its units' volunteers edit it."""
    user = _user(request)
    workplace = get_object_or_404(selectors.workplaces_for(user).select_related("employer", "group"),
                                  public_id=public_id)
    staff = has_role(user, workplace.group, Role.ORGANIZER)
    form = WorkplaceForm(request.POST if "save" in request.POST else None, instance=workplace,
                         groups=selectors.staff_groups(user))
    area = AreaForm(request.POST if "add_area" in request.POST else None)
    if request.method == "POST" and "add_area" in request.POST and area.is_valid():
        services.add_area(actor=user, workplace=workplace, http=request, **area.cleaned_data)
        flash.success(request, _("Added %(name)s.") % {"name": area.cleaned_data["name"]})
        return redirect_next(request, reverse("organizing:workplace", args=[workplace.public_id]))
    if request.method == "POST" and "save" in request.POST and staff and form.is_valid():
        try:
            services.save_workplace(actor=user, workplace=form.save(commit=False), http=request,
                                    employer_name=form.cleaned_data["employer_name"])
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        else:
            flash.success(request, _("Saved."))
            return redirect("organizing:workplace", workplace.public_id)
    return render(request, "organizing/workplace.html", {
        "workplace": workplace, "form": form if staff else None, "area_form": area, "areas": areas_of(workplace),
        "units": selectors.units_for(user).filter(workplace=workplace)
                                                     .select_related("campaign")})


def areas_of(workplace: Any) -> list[tuple[str, list[Area]]]:
    """The workplace's map: (department / shift / job title, its names)."""
    every = list(workplace.areas.all())
    return [(str(label), [a for a in every if a.kind == kind]) for kind, label in Area.Kind.choices]


# --- campaigns -----------------------------------------------------------------------------------


@login_required
@staff_only
def campaign_new(request: HttpRequest) -> HttpResponse:
    groups = selectors.staff_groups(_user(request))
    if not groups.exists():
        raise PermissionDenied
    form = CampaignForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        campaign = services.create_campaign(actor=_user(request), group=fields.pop("group"), fields=fields,
                                            http=request)
        return redirect(campaign.get_absolute_url())
    return render(request, "organizing/campaign_form.html", {"form": form})


@login_required
@staff_only
def campaign_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The roll-up across every shop: each number links to the list behind it."""
    campaign = _campaign(request, public_id)
    user = _user(request)
    stage = request.GET.get("stage", "")
    reached = {"30": 30, "majority": 50}.get(request.GET.get("reached", ""), 0)
    rollup = selectors.rollup(campaign, stage=stage if stage in Stage.values else "", reached=reached)
    points = [{"lat": u.workplace.latitude, "lng": u.workplace.longitude, "title": u.workplace.name,
               "url": u.get_absolute_url(), "when": f"{u.get_stage_display()} · {u.percent}%"}
              for u in rollup.units if u.workplace.latitude is not None]
    add = AddUnitForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and add.is_valid():
        services.add_unit(actor=user, campaign=campaign, workplace=add.cleaned_data["workplace"], http=request)
        return redirect(campaign.get_absolute_url())
    peak = max((n for _w, n in rollup.weeks), default=0)
    return render(request, "organizing/campaign.html", {
        "campaign": campaign, "r": rollup, "stage": stage or request.GET.get("reached", ""), "points": points,
        "add_form": add,
        "weeks": [(w, n, round(100 * n / peak) if peak else 0) for w, n in rollup.weeks],
        "n_waiting": Card.objects.waiting().filter(unit__campaign=campaign).count(),
        "is_admin": has_role(user, campaign.group, Role.ADMIN)})


def _posted_uuid(request: HttpRequest, name: str) -> uuid.UUID:
    """A public id posted by a form; one that is missing or malformed names nothing (404)."""
    try:
        return uuid.UUID(request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None


@login_required
@staff_only
def campaign_review(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Cards signed online that wait for an organizer: "this is roster worker X", "not them: add
    to the roster", or "discard". Until then they count for nobody. Opening signers is audited."""
    campaign = _campaign(request, public_id)
    user = _user(request)
    if request.method == "POST":
        card = get_object_or_404(Card.objects.waiting().filter(unit__campaign=campaign),
                                 public_id=_posted_uuid(request, "card"))
        try:
            if request.POST.get("decision") == "match":
                worker = get_object_or_404(Worker.objects.filter(unit_id=card.unit_id),
                                           public_id=_posted_uuid(request, "worker"))
                services.confirm_card(actor=user, card=card, worker=worker, http=request)
                flash.success(request, _("Matched to %(name)s; the card counts.") % {"name": worker})
            elif request.POST.get("decision") == "add":
                services.confirm_card(actor=user, card=card, http=request)
                flash.success(request, _("Added to the roster; the card counts."))
            elif request.POST.get("decision") == "discard":
                services.discard_card(actor=user, card=card, http=request)
                flash.success(request, _("Card discarded."))
        except services.OrganizingError as exc:
            flash.error(request, str(exc))
        return redirect("organizing:review", campaign.public_id)
    waiting = selectors.waiting_cards(campaign)
    if waiting:
        audit.record(actor=user, action=AuditEntry.Action.VIEW, target=campaign, request=request, group=campaign.group,
                     summary=f"Viewed {len(waiting)} cards waiting for review")
    return render(request, "organizing/review.html", {"campaign": campaign, "waiting": waiting})


@login_required
@staff_only
def campaign_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id)
    form = CampaignForm(request.POST or None, instance=campaign, groups=selectors.staff_groups(_user(request)))
    if request.method == "POST" and form.is_valid():
        services.update_campaign(actor=_user(request), campaign=campaign, fields=form.cleaned_data, http=request)
        flash.success(request, _("Saved."))
        return redirect(campaign.get_absolute_url())
    return render(request, "organizing/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
@require_POST
def campaign_lock(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One click restricts the campaign to admins; only an admin opens it again."""
    campaign = _campaign(request, public_id)
    lock = request.POST.get("lock") == "1"
    if not lock and not has_role(_user(request), campaign.group, Role.ADMIN):
        raise PermissionDenied
    services.lock_campaign(actor=_user(request), campaign=campaign, lock=lock, http=request)
    if lock and not has_role(_user(request), campaign.group, Role.ADMIN):
        flash.success(request, _("The campaign is locked. Only admins can open it now."))
        return redirect("organizing:home")
    return redirect(campaign.get_absolute_url())


@login_required
@staff_only
def campaign_workers(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The list behind a number of the roll-up: `?show=carded|uncarded|expired|low|committee|uncovered|
    unassessed|workers`, optionally within one stage."""
    campaign = _campaign(request, public_id)
    show = request.GET.get("show", "workers")
    units = campaign.units.all()
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        units = units.filter(stage=stage)
    chosen = selectors.drill(campaign, units, show, related=("person", "unit__workplace", "department", "shift", "job"))
    page = Paginator(chosen, 200).get_page(request.GET.get("page"))
    return render(request, "organizing/campaign_workers.html", {
        "campaign": campaign, "show": show, "page": page, "stage": stage, "cutoff": campaign.card_cutoff(),
        "label": dict(DRILL_LABELS).get(show, DRILL_LABELS[-1][1]), "stage_label": dict(Stage.choices).get(stage, "")})


# --- units ---------------------------------------------------------------------------------------


def _roster(unit: Unit, show: str) -> Any:
    return selectors.drill(unit.campaign, Unit.objects.filter(pk=unit.pk), show,
                           related=("person", "department", "shift", "job", "contact__person"))


@login_required
@staff_only
def unit_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    unit = _unit(request, public_id)
    user = _user(request)
    staff = selectors.runs(user, unit.campaign)
    show = request.GET.get("show", "")
    stage = StageForm(request.POST if "set_stage" in request.POST else None, initial={"stage": unit.stage})
    worker = WorkerForm(request.POST if "add_worker" in request.POST else None, workplace=unit.workplace)
    volunteers = UnitVolunteersForm(request.POST if "set_volunteers" in request.POST else None,
                                    users=selectors.volunteer_users(unit.campaign.group),
                                    initial={"volunteers": unit.volunteers.all()})
    if request.method == "POST":
        if "set_stage" in request.POST and stage.is_valid():
            _runs_unit(request, unit)
            services.set_stage(actor=user, unit=unit, http=request, **stage.cleaned_data)
            return redirect(unit.get_absolute_url())
        if "add_worker" in request.POST and worker.is_valid():
            data = worker.cleaned_data
            services.add_worker_by_hand(
                actor=user, unit=unit, given_name=data["given_name"], family_name=data["family_name"],
                email=data["email"], phone=data["phone"], http=request,
                placement={k: data[k] for k in ("department", "shift", "job", "eligible")})
            flash.success(request, _("Added %(name)s to the roster.") % {"name": data["given_name"]})
            return redirect(unit.get_absolute_url())
        if "set_volunteers" in request.POST and volunteers.is_valid():
            _runs_unit(request, unit)
            services.set_unit_volunteers(actor=user, unit=unit, http=request, **volunteers.cleaned_data)
            return redirect(unit.get_absolute_url())
    roster = list(_roster(unit, show))
    committee = [w for w in unit.workers.filter(on_committee=True).select_related("person")
                 .annotate(n=Count("responsible_for"))]
    uncovered = unit.workers.filter(eligible=True, on_committee=False, contact__isnull=True).count()
    return render(request, "organizing/unit.html", {
        "unit": unit, "campaign": unit.campaign, "staff": staff, "show": show, "roster": roster, "drills": DRILL_LABELS,
        "threshold": selectors.threshold(unit), "stage_form": stage, "worker_form": worker,
        "volunteers_form": volunteers, "committee": committee, "uncovered": uncovered,
        "history": unit.history.select_related("by")[:50], "import_form": ImportForm(),
        "cutoff": unit.campaign.card_cutoff(), "area_form": AreaForm(), "workplace": unit.workplace,
        "areas": areas_of(unit.workplace), "n_waiting": Card.objects.waiting().filter(unit=unit).count()})


@login_required
@staff_only
def unit_threshold(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The threshold bar alone, polled by the unit's page so it moves as cards come in."""
    unit = _unit(request, public_id)
    return render(request, "organizing/_threshold.html", {"unit": unit, "threshold": selectors.threshold(unit)})


@login_required
@staff_only
def unit_import(request: HttpRequest, public_id: Any) -> HttpResponse:
    unit = _unit(request, public_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    report: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            added, errors = services.import_roster(actor=_user(request), unit=unit, text=form.cleaned_data["text"],
                                                   http=request)
        except services.OrganizingError as exc:
            form.add_error(None, str(exc))
        else:
            report = {"added": added, "errors": errors}
    return render(request, "organizing/unit_import.html", {"unit": unit, "form": form, "report": report,
                                                           "columns": services.ROSTER_COLUMNS})


@login_required
@staff_only
def unit_export(request: HttpRequest, public_id: Any) -> HttpResponse:
    unit = _unit(request, public_id)
    _runs_unit(request, unit)
    out = io.StringIO()
    services.export_roster(actor=_user(request), unit=unit, out=out, http=request)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{unit.public_id}.csv"'
    return response


# --- workers -------------------------------------------------------------------------------------


@login_required
@staff_only
def worker_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One worker: placement, committee, assessments (notes decrypted for this view, which is
    audited), one-on-ones, cards."""
    user = _user(request)
    worker = get_object_or_404(selectors.workers_for(user).select_related(
        "person", "unit__campaign__group", "unit__workplace__employer", "contact__person"), public_id=public_id)
    unit = worker.unit
    forms: dict[str, Any] = {
        "assess": AssessForm(request.POST if "assess" in request.POST else None),
        "talk": ConversationForm(request.POST if "talk" in request.POST else None),
        "structure": StructureForm(request.POST if "structure" in request.POST else None, worker=worker,
                                   initial={"on_committee": worker.on_committee, "contact": worker.contact}),
        "placement": PlacementForm(request.POST if "placement" in request.POST else None, instance=worker),
        "paper": PaperCardForm(request.POST if "paper" in request.POST else None,
                               request.FILES if "paper" in request.POST else None),
    }
    if request.method == "POST":
        try:
            if "assess" in request.POST and forms["assess"].is_valid():
                services.assess(actor=user, worker=worker, http=request, **forms["assess"].cleaned_data)
                flash.success(request, _("Assessment saved."))
                return redirect_next(request, worker_url(worker))
            if "talk" in request.POST and forms["talk"].is_valid():
                services.log_conversation(actor=user, worker=worker, http=request, **forms["talk"].cleaned_data)
                flash.success(request, _("Conversation logged."))
                return redirect_next(request, worker_url(worker))
            if "structure" in request.POST and forms["structure"].is_valid():
                services.set_structure(actor=user, worker=worker, http=request, **forms["structure"].cleaned_data)
                flash.success(request, _("Saved."))
                return redirect_next(request, worker_url(worker))
            if "placement" in request.POST and forms["placement"].is_valid():
                services.set_placement(actor=user, worker=worker, http=request, **forms["placement"].cleaned_data)
                flash.success(request, _("Saved."))
                return redirect_next(request, worker_url(worker))
            if "paper" in request.POST and forms["paper"].is_valid():
                services.record_paper_card(actor=user, worker=worker, http=request, **forms["paper"].cleaned_data)
                flash.success(request, _("Paper card recorded."))
                return redirect_next(request, worker_url(worker))
        except services.OrganizingError as exc:
            next(f for k, f in forms.items() if k in request.POST).add_error(None, str(exc))
    audit.record(actor=user, action=AuditEntry.Action.VIEW, target=worker.person, request=request,
                 group=unit.campaign.group, summary=f"Viewed the organizing record at {unit}")
    return render(request, "organizing/worker.html", {
        "worker": worker, "unit": unit, "forms": forms, "cutoff": unit.campaign.card_cutoff(),
        "assessments": worker.assessments.select_related("assessor"),
        "conversations": worker.conversations.select_related("by"),
        "cards": Card.objects.of_worker(worker).filter(unit=unit), "responsible_for": worker.responsible_for.select_related("person"),
    })


def worker_url(worker: Worker) -> str:
    return reverse("organizing:worker", args=[worker.public_id])


@login_required
@staff_only
def card_download(request: HttpRequest, public_id: Any, what: str) -> HttpResponseBase:
    """A card as a PDF for filing, or the scan of a paper card; each download is audited."""
    user = _user(request)
    card = get_object_or_404(Card.objects.filter(unit__in=selectors.units_for(user)).select_related(
        "unit__campaign__group", "unit__workplace"), public_id=public_id)
    audit.record(actor=user, action=AuditEntry.Action.EXPORT, target=card, request=request,
                 group=card.unit.campaign.group, summary=f"Downloaded a card of {card.unit.workplace} ({what})")
    if what == "scan":
        if not card.scan:
            raise Http404
        suffix = Path(card.scan.name or "").suffix
        return FileResponse(card.scan.open("rb"), as_attachment=True, filename=f"card-{card.public_id}{suffix}")
    response = HttpResponse(card_pdf(card), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="card-{card.public_id}.pdf"'
    return response

