"""Staff pages: networks and their members, activations and their live board, captains' phone
trees, pledges, and standby plans with the trigger's confirmation."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from turnout.accounts.models import Role, User
from turnout.accounts.permissions import has_role, has_role_anywhere, require_role_anywhere
from turnout.core import audit
from turnout.core.console import create_record, saved
from turnout.core.models import AuditEntry
from turnout.mobilization import services
from turnout.mobilization.forms import (
    ActivationForm,
    AddMembersForm,
    CaptainForm,
    NetworkForm,
    PlanForm,
    PledgeForm,
    TriggerForm,
    UpdateForm,
)
from turnout.mobilization.models import (
    Activation,
    Member,
    Network,
    Plan,
    Pledge,
    Recipient,
    Response,
)
from turnout.people.models import Person, Tag
from turnout.sharing.console import leaders, publishing
from turnout.sharing.models import Referral


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _networks(user: User) -> QuerySet[Network]:
    return Network.objects.visible_to(user, Role.ORGANIZER).select_related("group")


def _network(request: HttpRequest, public_id: Any) -> Network:
    return get_object_or_404(_networks(_user(request)), public_id=public_id)


def _activation(request: HttpRequest, public_id: Any) -> Activation:
    return get_object_or_404(Activation.objects.filter(network__in=_networks(_user(request))).select_related(
        "network", "network__group", "event"), public_id=public_id)


def _pledge(request: HttpRequest, public_id: Any) -> Pledge:
    return get_object_or_404(Pledge.objects.visible_to(
        _user(request), Role.ORGANIZER).select_related("group"), public_id=public_id)


def _plan(request: HttpRequest, public_id: Any) -> Plan:
    return get_object_or_404(Plan.objects.visible_to(
        _user(request), Role.ORGANIZER).select_related("group"), public_id=public_id)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Networks, pledges and plans; a captain (host role only) goes to their own people."""
    user = _user(request)
    if not has_role_anywhere(user, Role.ORGANIZER):
        if has_role_anywhere(user, Role.HOST):
            return redirect("mobilization:captain")
        raise PermissionDenied
    return render(request, "mobilization/home.html", {
        "networks": _networks(user).annotate(size=Count("members", distinct=True)),
        "pledges": Pledge.objects.visible_to(user, Role.ORGANIZER).annotate(signed=Count("signatures")),
        "plans": Plan.objects.visible_to(user, Role.ORGANIZER).select_related("group"),
        "captains_here": Member.objects.filter(captain=user).exists()})


@login_required
@require_role_anywhere(Role.ORGANIZER)
def network_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, NetworkForm(request.POST or None, user=_user(request)),
                         create=services.create_network, title=_("New network"))


@login_required
def network_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    network = _network(request, public_id)
    user = _user(request)
    members = (Member.objects.filter(network=network).select_related("person", "captain")
               .order_by("person__family_name", "person__given_name"))
    q = request.GET.get("q", "").strip()
    if q:
        members = members.filter(Q(person__given_name__icontains=q) | Q(person__family_name__icontains=q)
                                 | Q(person__postal_code__startswith=q))
    page = Paginator(members, 100).get_page(request.GET.get("page"))
    activations = network.activations.annotate(
        reached=Coalesce(services.asked_people_count(), 0),
        yes=Count("responses", filter=Q(responses__answer=Response.Answer.YES), distinct=True))
    audit.record(actor=user, action=AuditEntry.Action.VIEW, target=network, group=network.group, request=request,
                 summary=f"Viewed the members of {network.name}")
    return render(request, "mobilization/network.html", {
        "network": network, "page": page, "q": q, "query": urlencode({"q": q}) if q else "", "size": page.paginator.count,
        "phones": services.phones_of([m.person_id for m in page.object_list]),
        "real": [a for a in activations if not a.is_drill], "drills": [a for a in activations if a.is_drill],
        "add_form": AddMembersForm(network=network, user=user), "captain_form": CaptainForm(network=network),
        "join_url": request.build_absolute_uri(network.public_url())})


@login_required
@require_POST
def network_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    network = _network(request, public_id)
    user = _user(request)
    form = AddMembersForm(request.POST, network=network, user=user)
    if form.is_valid():
        people = Person.objects.visible_to(user, Role.ORGANIZER)
        if form.cleaned_data["tag"]:
            people = people.tagged(Tag.objects.visible_to(user).named(form.cleaned_data["tag"]))
        if form.cleaned_data["person_list"]:
            people = people.filter(list_items__person_list=form.cleaned_data["person_list"])
        added = services.add_members(actor=user, network=network, people=people, captain=form.cleaned_data["captain"])
        flash.success(request, _("%(n)s people added to the network.") % {"n": added})
    else:
        flash.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(network.get_absolute_url())


@login_required
@require_POST
def network_captain(request: HttpRequest, public_id: Any) -> HttpResponse:
    network = _network(request, public_id)
    form = CaptainForm(request.POST, network=network)
    ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
    if form.is_valid() and ids:
        changed = services.assign_captain(actor=_user(request), network=network, member_ids=ids,
                                          captain=form.cleaned_data["captain"])
        flash.success(request, _("%(n)s members now have this captain.") % {"n": changed})
    else:
        flash.error(request, _("Tick the members to give to the captain."))
    return redirect(network.get_absolute_url())


@login_required
def activation_new(request: HttpRequest, public_id: Any) -> HttpResponse:
    network = _network(request, public_id)
    if not has_role(request.user, network.group, Role.ORGANIZER):
        raise PermissionDenied
    form = ActivationForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        try:
            activation = services.create_activation(actor=_user(request), network=network,
                                                    fields=form.activation_fields(), new_event=form.new_event(),
                                                    request=request)
        except services.MobilizationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(activation.get_absolute_url())
    return render(request, "mobilization/activation_form.html", {"form": form, "network": network})


@login_required
def activation_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    activation = _activation(request, public_id)
    if activation.status != Activation.Status.DRAFT:
        flash.error(request, _("This activation was sent already."))
        return redirect(activation.get_absolute_url())
    form = ActivationForm(request.POST or None, instance=activation, network=activation.network)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_activation(actor=_user(request), activation=activation, fields=form.activation_fields(),
                                       new_event=form.new_event(), request=request)
        except services.MobilizationError as exc:
            flash.error(request, str(exc))
        return redirect(activation.get_absolute_url())
    return render(request, "mobilization/activation_form.html", {"form": form, "network": activation.network})


@login_required
def activation_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A draft: the audience's count and the text's cost, and Send. Once sent: the live board."""
    activation = _activation(request, public_id)
    if activation.status == Activation.Status.DRAFT:
        return render(request, "mobilization/activation_preview.html", {
            "activation": activation, "preview": services.preview(activation)})
    board = services.board(activation)
    context = {"activation": activation, "board": board, "update_form": UpdateForm()}
    if request.headers.get("HX-Request"):
        return render(request, "mobilization/_board.html", context)
    return render(request, "mobilization/activation.html", context)


@login_required
@require_POST
def activation_send(request: HttpRequest, public_id: Any) -> HttpResponse:
    activation = _activation(request, public_id)
    if not has_role(request.user, activation.network.group, Role.ORGANIZER):
        raise PermissionDenied
    try:
        reached = services.activate(actor=_user(request), activation=activation)
    except services.MobilizationError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, ngettext("Sent to %(n)s person. Answers appear below as they come in.",
                                        "Sent to %(n)s people. Answers appear below as they come in.", reached)
                      % {"n": reached})
    return redirect(activation.get_absolute_url())


@login_required
@require_POST
def activation_update(request: HttpRequest, public_id: Any) -> HttpResponse:
    activation = _activation(request, public_id)
    if not has_role(request.user, activation.network.group, Role.ORGANIZER):
        raise PermissionDenied
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            n = services.send_update(actor=_user(request), activation=activation, body=form.cleaned_data["body"],
                                     body_es=form.cleaned_data["body_es"])
        except services.MobilizationError as exc:
            flash.error(request, str(exc))
        else:
            flash.success(request, _("Update sent to the %(n)s people who said yes.") % {"n": n})
    else:
        flash.error(request, _("Write the update first."))
    return redirect(activation.get_absolute_url())


@login_required
@require_role_anywhere(Role.HOST)
def captain(request: HttpRequest) -> HttpResponse:
    """A captain's own people, with their answer to each recent activation and a number to call."""
    user = _user(request)
    members = list(Member.objects.filter(captain=user).select_related("person", "network").order_by(
        "network__name", "person__family_name"))
    person_ids = [m.person_id for m in members]
    recent = list(Activation.objects.filter(recipients__person__in=person_ids, status=Activation.Status.SENT)
                  .distinct().order_by("-sent_at")[:3])
    answers = {(r.activation_id, r.person_id): r.answer
               for r in Response.objects.filter(activation__in=recent, person__in=person_ids)}
    reached = set(Recipient.objects.filter(activation__in=recent, person__in=person_ids)
                  .values_list("activation_id", "person_id"))
    phones = services.phones_of(person_ids)
    rows = [(m, phones.get(m.person_id, ""),
             [(answers.get((a.pk, m.person_id)) or ("none" if (a.pk, m.person_id) in reached else "")) for a in recent])
            for m in members]
    if members:
        audit.record(actor=user, action=AuditEntry.Action.VIEW, summary=f"Viewed their {len(members)} captained members",
                     request=request)
    return render(request, "mobilization/captain.html", {"rows": rows, "recent": recent})


@login_required
@require_role_anywhere(Role.ORGANIZER)
def pledge_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, PledgeForm(request.POST or None, user=_user(request)),
                         create=services.create_pledge, title=_("New pledge"))


@login_required
def pledge_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    pledge = _pledge(request, public_id)
    form = PledgeForm(request.POST or None, instance=pledge, user=_user(request))
    if done := saved(request, form, update=partial(services.update_pledge, pledge=pledge)):
        return done
    signatures = pledge.signatures.select_related("person").order_by("-signed_at")
    return render(request, "mobilization/pledge.html", {
        "pledge": pledge, "form": form, "count": signatures.count(), "recent": signatures[:50],
        **leaders(Referral.Kind.PLEDGE, pledge.pk), **publishing(request, pledge, embeddable=True)})


@login_required
@require_role_anywhere(Role.ADMIN)
def plan_new(request: HttpRequest) -> HttpResponse:
    return create_record(request, PlanForm(request.POST or None, user=_user(request)),
                         create=services.create_plan, title=_("New standby plan"))


@login_required
def plan_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    plan = _plan(request, public_id)
    return render(request, "mobilization/plan.html", {
        "plan": plan, "summary": services.summarize(plan) if plan.status != Plan.Status.TRIGGERED else None,
        "can_trigger": has_role(request.user, plan.group, Role.ADMIN),
        "messages_sent": plan.messages.all()})


@login_required
def plan_trigger(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The confirmation: exactly what will happen, to how many people; typing the plan's name pulls it."""
    plan = _plan(request, public_id)
    user = _user(request)
    if not has_role(user, plan.group, Role.ADMIN):
        raise PermissionDenied
    if plan.status == Plan.Status.TRIGGERED:
        flash.info(request, _("This plan was triggered already; nothing more was done."))
        return redirect(plan.get_absolute_url())
    form = TriggerForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.pull_trigger(actor=user, plan=plan)
        except services.MobilizationError as exc:
            flash.error(request, str(exc))
        else:
            if result.state == "awaiting approval":
                flash.info(request, _("Waiting for a second admin to confirm. Nothing has gone out yet."))
            elif result.state == "triggered":
                flash.success(request, _("Triggered: %(events)s events live; %(texted)s people texted and "
                                         "%(emailed)s emailed.") % {"events": result.events, "texted": result.texted,
                                                                    "emailed": result.emailed})
            return redirect(plan.get_absolute_url())
    return render(request, "mobilization/plan_trigger.html", {
        "plan": plan, "form": form, "summary": services.summarize(plan),
        "second": plan.status == Plan.Status.AWAITING_APPROVAL})


@login_required
@require_POST
def plan_drill(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A rehearsal: what the trigger would do right now, on record, with nothing published or sent."""
    plan = _plan(request, public_id)
    summary = services.summarize(plan)
    audit.record(actor=_user(request), action=AuditEntry.Action.VIEW, target=plan, group=plan.group, request=request,
                 summary=f"Drill: would publish {len(summary.events)} events and tell {summary.people} people")
    flash.info(request, _("Drill: the trigger would publish %(events)s events and tell %(people)s people "
                          "(%(texted)s by text, %(emailed)s by email). Nothing was published or sent.") % {
        "events": len(summary.events), "people": summary.people, "texted": summary.texted,
        "emailed": summary.emailed})
    return redirect(plan.get_absolute_url())
