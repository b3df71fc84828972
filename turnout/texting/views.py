"""Staff pages: write a texting campaign, launch it, invite texters, watch the board, reassign."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from turnout.accounts.models import Role, User
from turnout.accounts.permissions import has_role, require_role_anywhere
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.messaging import audience, outbox
from turnout.texting import doors, services
from turnout.texting.forms import CampaignForm, CannedForm, CutForm, QuestionForm, ReviewForm
from turnout.texting.models import (
    Conversation,
    DoorResult,
    Texter,
    TexterInvite,
    TextingCampaign,
    Turf,
)


def _campaigns(user: User) -> QuerySet[TextingCampaign]:
    return TextingCampaign.objects.visible_to(user).select_related("group")


def _campaign(request: HttpRequest, public_id: Any, write: bool = False) -> TextingCampaign:
    campaign = get_object_or_404(_campaigns(request.user), public_id=public_id)  # type: ignore[arg-type]
    if write and not has_role(request.user, campaign.group, Role.ORGANIZER):
        raise PermissionDenied
    return campaign


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "texting/list.html", {"campaigns": _campaigns(request.user)})  # type: ignore[arg-type]


@login_required
@require_role_anywhere(Role.ORGANIZER)
def create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    asked = (request.POST or request.GET).get("channel")
    channel = asked if asked in ("phone", "door") else "sms"
    form = CampaignForm(request.POST or None, user=user, channel=channel)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"title": data["title"], "script": data["script"], "script_es": data["script_es"],
                  "audience": audience.audience_params(request.POST), "channel": channel}
        if "reassign_after" in data:
            fields["reassign_after"] = data["reassign_after"]
        if channel == "door":
            pass
        elif channel == "phone":
            fields.update(call_from=data["call_from"], call_until=data["call_until"], bridged=data["bridged"])
        else:
            fields.update(senders=data["senders"], event=data["event"])
        campaign = services.create_campaign(actor=user, group=data["from_group"], fields=fields)
        return redirect(campaign)
    return render(request, "texting/form.html", {"form": form, "channel": channel})


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _detail_page(request, _campaign(request, public_id))


def _detail_page(request: HttpRequest, campaign: TextingCampaign, status: int = 200, **forms: Any) -> HttpResponse:
    if request.htmx and campaign.status != TextingCampaign.Status.DRAFT:  # type: ignore[attr-defined]
        # The board refreshing itself: its figures alone.
        return render(request, "texting/_board.html", {"campaign": campaign, "board": services.board(campaign)})
    texters = list(services.texters_with_counts(campaign))
    if campaign.is_door:
        doors.count_work(campaign, texters)
    context: dict[str, Any] = {"campaign": campaign, "board": services.board(campaign),
                               "texters": texters,
                               "invites": campaign.invites.order_by("-created_at"),
                               "new_link": request.session.pop(f"texting-invite-{campaign.pk}", ""),
                               "can_write": has_role(request.user, campaign.group, Role.ORGANIZER),
                               "results": services.results(campaign), "canned": campaign.canned_responses.all(),
                               "result_counts": services.result_counts(campaign),
                               "canned_form": forms.get("canned_form") or CannedForm(),
                               "question_form": forms.get("question_form") or QuestionForm()}
    if campaign.volunteers_act_alone:
        context["question_form"].fields["choices"].help_text = _(
            "One per line: the answer, then optionally “| tag to apply | what the volunteer says next”. For example: "
            "Yes | strike-yes | Thank you, {first_name}! The vote is Tuesday.")
    if campaign.status == TextingCampaign.Status.DRAFT:
        people = services.in_campaign_group(campaign, audience.people_for(request.user, campaign.audience))  # type: ignore[arg-type]
        if campaign.volunteers_act_alone:
            reachable = services.callable_count(people, doors=campaign.is_door,
                                                source=campaign.audience.get("source", ""))
        else:
            _with_number, _consenting, reachable = outbox.reach("sms", people)
        context.update(reachable=reachable, problems=services.launch_problems(campaign, reachable))
    else:
        context["flagged"] = (Conversation.objects.filter(campaign=campaign, flagged=True)
                              .select_related("texter", "person").order_by("pk")[:50])
        context["waiting_replies"] = (Conversation.objects.filter(campaign=campaign, status="replied")
                                      .select_related("texter", "person").order_by("replied_at")[:50])
    if campaign.is_door and campaign.status != TextingCampaign.Status.DRAFT:
        turfs = list(doors.progress(campaign))
        context.update(turfs=turfs, cut_form=forms.get("cut_form") or CutForm(), area_problem=forms.get("area_problem"),
                       area_typed=forms.get("area_typed", ""), unturfed=Conversation.objects.filter(
                           campaign=campaign, turf__isnull=True).exclude(status="opted_out").values("household")
                       .distinct().count(),
                       door_map=doors.map_points(campaign, turfs),
                       flagged_doors=DoorResult.objects.filter(conversation__campaign=campaign, flagged=True,
                                                              set_aside_at__isnull=True)
                       .select_related("texter", "code", "conversation__person").order_by("-synced_at")[:50])
    return render(request, "texting/detail.html", context, status=status)


@login_required
@require_POST
def cut_turfs(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    form = CutForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, campaign, status=400, cut_form=form)
    try:
        made = doors.cut(actor=request.user, campaign=campaign, doors=form.cleaned_data["doors"])  # type: ignore[arg-type]
    except services.TextingError as exc:
        form.add_error("doors", str(exc))
        return _detail_page(request, campaign, status=400, cut_form=form)
    flash.success(request, ngettext("Cut %(n)s turf.", "Cut %(n)s turfs.", made) % {"n": made})
    return redirect(campaign.get_absolute_url() + "#turfs")


@login_required
@require_POST
def draw_turf(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    typed = request.POST.get("area", "")[:20_000]
    try:
        area = json.loads(typed or "null")
    except (ValueError, RecursionError):
        area = None
    try:
        turf = doors.cut_area(actor=request.user, campaign=campaign, name=request.POST.get("name", ""),  # type: ignore[arg-type]
                              area=area)
    except services.TextingError as exc:
        # The polygon drawn stays on the map, to move a corner and cut again.
        return _detail_page(request, campaign, status=400, area_problem=str(exc), area_typed=typed)
    flash.success(request, ngettext("Cut the turf %(name)s: %(n)s household.", "Cut the turf %(name)s: %(n)s households.",
                                    turf.doors) % {"name": turf.name, "n": turf.doors})
    return redirect(campaign.get_absolute_url() + "#turfs")


@login_required
@require_POST
def apply_flagged(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    ids = [pk for pk in (services.whole(value) for value in request.POST.getlist("result")) if pk is not None]
    if not ids:
        flash.error(request, _("Choose the results to write on the records or to set aside."))
        return redirect(campaign.get_absolute_url() + "#turfs")
    if "set_aside" in request.POST:
        put = doors.set_aside_flagged(actor=request.user, campaign=campaign, ids=ids)  # type: ignore[arg-type]
        flash.success(request, ngettext("Set aside %(n)s result: it is kept, not written on the records.",
                                        "Set aside %(n)s results: they are kept, not written on the records.",
                                        put) % {"n": put})
        return redirect(campaign.get_absolute_url() + "#turfs")
    written = doors.apply_flagged(actor=request.user, campaign=campaign, ids=ids)  # type: ignore[arg-type]
    flash.success(request, ngettext("Wrote %(n)s result on the records.", "Wrote %(n)s results on the records.",
                                    written) % {"n": written})
    return redirect(campaign.get_absolute_url() + "#turfs")


@login_required
@require_POST
def dissolve_turf(request: HttpRequest, public_id: Any, turf_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    turf = get_object_or_404(Turf, campaign=campaign, public_id=turf_id)
    try:
        doors_back = doors.dissolve(actor=request.user, turf=turf)  # type: ignore[arg-type]
    except services.TextingError as exc:
        flash.error(request, str(exc))
        return redirect(campaign.get_absolute_url() + "#turfs")
    flash.success(request, ngettext("Dissolved %(turf)s: %(n)s door is in no turf again.",
                                    "Dissolved %(turf)s: %(n)s doors are in no turf again.", doors_back)
                  % {"turf": turf.name, "n": doors_back})
    return redirect(campaign.get_absolute_url() + "#turfs")


@login_required
@require_POST
def assign_turf(request: HttpRequest, public_id: Any, turf_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    turf = get_object_or_404(Turf, campaign=campaign, public_id=turf_id)
    chosen = []
    for value in request.POST.getlist("canvasser"):
        if value:
            try:
                chosen.append(get_object_or_404(Texter, campaign=campaign, public_id=uuid.UUID(value)))
            except ValueError:
                raise Http404 from None
    try:
        doors.assign(actor=request.user, turf=turf, canvassers=chosen)  # type: ignore[arg-type]
        flash.success(request, _("Gave %(turf)s to %(who)s.") % {
            "turf": turf.name, "who": " & ".join(c.name for c in chosen) or _("nobody")})
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return redirect(campaign.get_absolute_url() + "#turfs")


@login_required
@require_POST
def add_canned(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    form = CannedForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, campaign, status=400, canned_form=form)
    services.add_canned(actor=request.user, campaign=campaign, **form.cleaned_data)  # type: ignore[arg-type]
    flash.success(request, _("Added the canned response."))
    return redirect(campaign.get_absolute_url() + "#canned")


@login_required
@require_POST
def add_result_code(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    try:
        services.add_result_code(actor=request.user, campaign=campaign,  # type: ignore[arg-type]
                                 label=request.POST.get("label", ""))
        flash.success(request, _("Added the result."))
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return redirect(campaign.get_absolute_url() + "#results")


@login_required
@require_POST
def add_question(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, campaign, status=400, question_form=form)
    services.add_question(actor=request.user, campaign=campaign, **form.cleaned_data)  # type: ignore[arg-type]
    flash.success(request, _("Added the question."))
    return redirect(campaign.get_absolute_url() + "#survey")


@login_required
def conversation(request: HttpRequest, public_id: Any, conversation_id: int) -> HttpResponse:
    """One conversation as its texter had it, for review: the thread, the answers, a note to the texter."""
    campaign = _campaign(request, public_id)
    if services.whole(conversation_id) is None:
        raise Http404
    found = get_object_or_404(Conversation.objects.select_related("person", "texter", "campaign__group"),
                              campaign=campaign, pk=conversation_id)
    form = ReviewForm(request.POST or None, initial={"note": found.note})
    if request.method == "POST":
        if not has_role(request.user, campaign.group, Role.ORGANIZER):
            raise PermissionDenied
        if form.is_valid():
            services.review(actor=request.user, conversation=found,  # type: ignore[arg-type]
                            note=form.cleaned_data["note"], resolved=form.cleaned_data["resolved"])
            flash.success(request, _("Saved. The texter sees your note on the conversation."))
            return redirect(campaign.get_absolute_url() + "#flagged")
    else:
        audit.record(actor=request.user, action=AuditEntry.Action.VIEW, target=found.person, group=campaign.group,
                     summary=f"Read a texting conversation of {campaign.title}", request=request)
    return render(request, "texting/conversation.html", {
        "campaign": campaign, "c": found, "texts": found.texts.select_related("texter"), "form": form,
        "answers": found.responses.select_related("question", "choice")}, status=400 if form.errors else 200)


@login_required
@require_POST
def remove_texter(request: HttpRequest, public_id: Any, texter_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    texter = get_object_or_404(Texter, campaign=campaign, public_id=texter_id, removed_at__isnull=True)
    given = services.remove_texter(actor=request.user, texter=texter)  # type: ignore[arg-type]
    flash.success(request, _("%(name)s's link no longer works; %(n)s conversations went back to the pool.")
                  % {"name": texter.name, "n": given})
    return redirect(campaign)


@login_required
@require_POST
def finish(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    if not request.POST.get("confirm"):
        flash.error(request, _("Tick the box to confirm: finishing cannot be undone."))
        return redirect(campaign)
    try:
        services.finish(actor=request.user, campaign=campaign)  # type: ignore[arg-type]
        flash.success(request, _("Finished: texters' links and invitations no longer work; later replies go to "
                                 "the Replies inbox."))
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return redirect(campaign)


@login_required
def texter_page(request: HttpRequest, public_id: Any, texter_id: Any) -> HttpResponse:
    """A texter's conversations, for a supervisor coaching them."""
    campaign = _campaign(request, public_id)
    texter = get_object_or_404(Texter, campaign=campaign, public_id=texter_id)
    held = (Conversation.objects.filter(campaign=campaign, texter=texter).select_related("person")
            .order_by("-replied_at", "-sent_at", "pk"))[:200]
    return render(request, "texting/texter.html", {"campaign": campaign, "texter": texter, "held": held})


@login_required
def export(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Every conversation's outcome and answers as CSV (first names only, as texters see them)."""
    campaign = _campaign(request, public_id, write=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="texting-{campaign.public_id}.csv"'
    services.export_results(actor=request.user, campaign=campaign, out=response)  # type: ignore[arg-type]
    return response


@login_required
@require_POST
def launch(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    people = audience.people_for(request.user, campaign.audience)  # type: ignore[arg-type]
    try:
        added = services.launch(actor=request.user, campaign=campaign, audience=people)  # type: ignore[arg-type]
        flash.success(request, _("Launched: %(n)s contacts are waiting for texters.") % {"n": added})
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return redirect(campaign)


@login_required
@require_POST
def pause(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    try:
        services.set_paused(actor=request.user, campaign=campaign,  # type: ignore[arg-type]
                            paused=request.POST.get("paused") == "1")
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return redirect(campaign)


@login_required
@require_POST
def invite(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    _made, key = services.invite(actor=request.user, campaign=campaign)  # type: ignore[arg-type]
    # Shown once, on the next page: only its hash is kept.
    request.session[f"texting-invite-{campaign.pk}"] = request.build_absolute_uri(reverse("texter_join", args=[key]))
    return redirect(campaign)


@login_required
@require_POST
def revoke(request: HttpRequest, public_id: Any, invite_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    invitation = get_object_or_404(TexterInvite, campaign=campaign, public_id=invite_id)
    services.revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
    flash.success(request, _("The invitation link no longer works."))
    return redirect(campaign)


@login_required
@require_POST
def reassign(request: HttpRequest, public_id: Any) -> HttpResponse:
    campaign = _campaign(request, public_id, write=True)
    target = request.POST.get("to", "")
    try:
        to = get_object_or_404(Texter, campaign=campaign, public_id=uuid.UUID(target)) if target else None
    except ValueError:
        raise Http404 from None
    ids = [pk for pk in (services.whole(value) for value in request.POST.getlist("conversation")) if pk is not None]
    if not ids:
        flash.error(request, _("Choose the conversations to move."))
        return redirect(campaign)
    try:
        moved = services.reassign(actor=request.user, campaign=campaign, conversation_ids=ids, to=to)  # type: ignore[arg-type]
    except services.TextingError as exc:
        flash.error(request, str(exc))
        return redirect(campaign)
    flash.success(request, ngettext("Moved %(n)s conversation.", "Moved %(n)s conversations.", moved) % {"n": moved})
    return redirect(campaign)
