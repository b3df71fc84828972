"""Staff pages: compose with a live preview, send or schedule, watch progress, read and answer replies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from turnout.accounts.models import Role, User
from turnout.accounts.permissions import has_role, require_role_anywhere
from turnout.messaging import audience, outbox, sending, services
from turnout.messaging.forms import ComposeForm, ReplyForm, ScheduleForm, TestSendForm
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.people.contact import InvalidContact, normalize_phone
from turnout.people.models import Person


def _messages(user: User) -> QuerySet[Message]:
    return Message.objects.visible_to(user).select_related("group", "created_by")


def _message(request: HttpRequest, public_id: Any, write: bool = False) -> Message:
    message = get_object_or_404(_messages(request.user), public_id=public_id)  # type: ignore[arg-type]
    if write and not has_role(request.user, message.group, Role.ORGANIZER):
        raise PermissionDenied
    return message


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    # Confirmations go one per RSVP; the event's page shows them, not this list.
    listed = _messages(request.user).exclude(topic__endswith=":confirmation").annotate(  # type: ignore[arg-type]
        targeted=Count("deliveries"),
        sent=Count("deliveries", filter=Q(deliveries__status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED]))
    ).order_by("-created_at", "-pk")
    page = Paginator(listed, 25).get_page(request.GET.get("page"))  # the counts come with the page, in one query
    for message in page:  # and what outbox rows removed by retention counted, kept on the message
        kept = message.outbox_summary.get("progress", {})
        message.targeted += kept.get("targeted", 0)  # type: ignore[attr-defined]
        message.sent += kept.get("sent", 0)  # type: ignore[attr-defined]
    return render(request, "messaging/list.html", {"page": page})


@login_required
@require_role_anywhere(Role.ORGANIZER)
def compose(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ComposeForm(request.POST or request.GET or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        message = sending.create_message(actor=user, group=data["from_group"], request=request, fields={
            "channel": data["channel"], "subject": data["subject"], "body": data["body"], "body_es": data["body_es"],
            "audience": audience.audience_params(request.POST), "ignore_quiet_hours": data["ignore_quiet_hours"],
            "override_reason": data["override_reason"]})
        return redirect(message)
    if request.method == "GET":
        form = ComposeForm(initial=audience.audience_params(request.GET), user=user)
    return render(request, "messaging/compose.html", {"form": form})


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    message = _message(request, public_id)
    context: dict[str, Any] = {"message": message, "progress": outbox.progress(message),
                               "failures": outbox.failures(message)}
    if message.status == Message.Status.DRAFT:
        people = audience.people_for(request.user, message.audience)  # type: ignore[arg-type]
        context.update(preview=audience.preview(message, people), schedule_form=ScheduleForm(),
                       test_form=TestSendForm())
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "messaging/_progress.html", context)
    return render(request, "messaging/detail.html", context)


@login_required
@require_POST
def send_now(request: HttpRequest, public_id: Any) -> HttpResponse:
    message = _message(request, public_id, write=True)
    people = audience.people_for(request.user, message.audience)  # type: ignore[arg-type]
    try:
        sending.start_sending(actor=request.user, message=message, audience=people)  # type: ignore[arg-type]
    except ValueError as exc:
        flash.error(request, str(exc))
    return redirect(message)


@login_required
@require_POST
def schedule(request: HttpRequest, public_id: Any) -> HttpResponse:
    message = _message(request, public_id, write=True)
    form = ScheduleForm(request.POST)
    if not form.is_valid() or form.cleaned_data["send_at"] <= timezone.now():
        flash.error(request, _("Choose a time in the future."))
        return redirect(message)
    sending.schedule(actor=request.user, message=message, when=form.cleaned_data["send_at"])  # type: ignore[arg-type]
    flash.success(request, _("Scheduled."))
    return redirect(message)


@login_required
@require_POST
def cancel(request: HttpRequest, public_id: Any) -> HttpResponse:
    message = _message(request, public_id, write=True)
    stopped = sending.cancel(actor=request.user, message=message)  # type: ignore[arg-type]
    flash.success(request, _("Cancelled: %(n)s messages will not be sent.") % {"n": stopped})
    return redirect(message)


@login_required
@require_POST
def test_send(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Send the draft to the staffer's own phone, marked as a test; nothing is recorded as a delivery."""
    message = _message(request, public_id, write=True)
    form = TestSendForm(request.POST)
    try:
        number = normalize_phone(form.data.get("to", ""))[0] if form.is_valid() else ""
    except InvalidContact as exc:
        flash.error(request, str(exc))
        return redirect(message)
    if number:
        sending.send_test_text(actor=request.user, message=message, to=number, request=request)  # type: ignore[arg-type]
        flash.success(request, _("Test sent to %(number)s.") % {"number": number})
    return redirect(message)


def _inbox_people(user: User) -> QuerySet[Person]:
    return Person.objects.visible_to(user, Role.HOST)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Replies, newest conversation first; unhandled ones on top."""
    people = _inbox_people(request.user)  # type: ignore[arg-type]
    show = request.GET.get("show", "open")
    replies = InboundMessage.objects.filter(person__in=people)
    if show == "open":
        replies = replies.filter(handled=False)
    threads = (replies.values("person").annotate(last=Max("received_at")).order_by("-last"))
    page = Paginator(threads, 25).get_page(request.GET.get("page"))
    by_id = {p.pk: p for p in Person.objects.filter(pk__in=[t["person"] for t in page])}
    latest = {m.person_id: m for m in InboundMessage.objects.filter(person__in=list(by_id)).order_by("received_at")}
    rows = [(by_id[t["person"]], latest.get(t["person"])) for t in page]
    return render(request, "messaging/inbox.html", {"rows": rows, "page": page, "show": show})


@login_required
def thread(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = get_object_or_404(_inbox_people(request.user), public_id=public_id)  # type: ignore[arg-type]
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "handled":
            services.mark_replies_handled(actor=request.user, person=person, request=request)  # type: ignore[arg-type]
            flash.success(request, _("Marked handled."))
            return redirect("messaging:inbox")
        if form.is_valid():
            sent = sending.reply(actor=request.user, person=person, body=form.cleaned_data["body"])  # type: ignore[arg-type]
            if sent is None:
                flash.error(request, _("Not sent: this person has not agreed to texts, or has opted out."))
            return redirect("messaging:thread", public_id=person.public_id)
    inbound: list[tuple[Any, str, str, Any]] = [
        (m.received_at, "in", m.body, m) for m in InboundMessage.objects.filter(person=person)]
    outbound: list[tuple[Any, str, str, Any]] = [(d.sent_at or d.created_at, "out", outbox.render(d.message, person), d)
                for d in Delivery.objects.filter(person=person, channel="sms").select_related("message")]
    conversation = sorted(inbound + outbound, key=lambda item: item[0])
    return render(request, "messaging/thread.html", {"person": person, "conversation": conversation, "form": form,
                                                     "organization": settings.ORGANIZATION_NAME})


# --- opt-out lists ----------------------------------------------------------------------------------


MAX_OPT_OUT_FILE = 5 * 1024 * 1024


@login_required
@require_role_anywhere(Role.ORGANIZER)
def opt_out_lists(request: HttpRequest) -> HttpResponse:
    """Upload numbers to opt out for the whole organization, download its opt-outs, undo an upload."""
    from turnout.accounts.models import Group
    from turnout.messaging import optout_lists
    from turnout.messaging.forms import OptOutListForm
    from turnout.messaging.models import OptOutList

    user: User = request.user  # type: ignore[assignment]
    form = OptOutListForm(request.POST or None, request.FILES or None,
                          groups=Group.objects.visible_to(user, Role.ORGANIZER))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_OPT_OUT_FILE:
                raise optout_lists.OptOutListError(_("The file is larger than 5 MB; split it."))
            text = upload.read().decode("utf-8-sig")
            made = optout_lists.upload(actor=user, group=form.cleaned_data["group"], name=upload.name, text=text)
        except UnicodeDecodeError:
            form.add_error("file", _("Save the file as CSV in UTF-8 and upload it again."))
        except optout_lists.OptOutListError as exc:
            form.add_error("file", str(exc))
        else:
            flash.success(request, _("Opted out %(n)s numbers: %(stopped)s records that had consent, the rest kept "
                                     "on the suppression list.") % {"n": made.numbers, "stopped": made.stopped})
            return redirect("messaging:opt_outs")
    lists = OptOutList.objects.visible_to(user).select_related("created_by", "undone_by", "group")
    for made in lists:
        made.can_undo = made.undone_at is None and has_role(user, made.group, Role.ADMIN)  # type: ignore[attr-defined]
    return render(request, "messaging/opt_outs.html", {"form": form, "lists": lists})


@login_required
@require_POST
def opt_out_list_undo(request: HttpRequest, public_id: Any) -> HttpResponse:
    from turnout.messaging import optout_lists
    from turnout.messaging.models import OptOutList

    made = get_object_or_404(OptOutList.objects.visible_to(request.user), public_id=public_id)  # type: ignore[arg-type]
    if not has_role(request.user, made.group, Role.ADMIN):
        raise PermissionDenied
    try:
        restored = optout_lists.undo(actor=request.user, made=made)  # type: ignore[arg-type]
        flash.success(request, _("Undone: %(n)s records have their consent back.") % {"n": restored})
    except optout_lists.OptOutListError as exc:
        flash.error(request, str(exc))
    return redirect("messaging:opt_outs")


@login_required
@require_role_anywhere(Role.ORGANIZER)
def opt_out_download(request: HttpRequest) -> HttpResponse:
    from turnout.messaging import optout_lists

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="opt-outs.csv"'
    optout_lists.export(actor=request.user, out=response)  # type: ignore[arg-type]
    return response
