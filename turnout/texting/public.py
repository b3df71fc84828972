"""A volunteer texter's pages, through their own secret link: join, take a batch, send each first
text with a click, answer replies, opt a contact out. A texter sees each contact's first name and
the conversation, never a number or anything else on the person's record."""

from __future__ import annotations

import json
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.db.models import Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from turnout.core.abuse import refused
from turnout.messaging import merge, outbox
from turnout.messaging import results as contact_results
from turnout.texting import doors, services
from turnout.texting.forms import JoinForm, ReplyForm
from turnout.texting.models import (
    CannedResponse,
    Conversation,
    ConversationText,
    SurveyResponse,
    Texter,
)

BATCH_CHOICES = (10, 25, 50, 100)
CALLER_PHONE_COOKIE = "turnout-caller-phone"


class Closed(Exception):
    """The texter's link was closed (removed from the campaign, or the campaign finished)."""


def _texter(key: str) -> Texter:
    texter = services.texter_for(key)
    if texter is None:
        if reason := services.closed_reason(key):
            raise Closed(reason)
        raise Http404
    return texter


def closed_links(view: Any) -> Any:
    """A closed link's pages say why, with 410, instead of a bare 404."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        except Closed as exc:
            response = render(request, "texting/closed.html", {"reason": str(exc)}, status=410)
            if request.htmx:  # type: ignore[attr-defined]
                # The page's poll or Send button: the whole page reloads and says why (htmx swaps
                # no 410 into the page, and the poll would go on asking).
                response["HX-Refresh"] = "true"
            return response

    return guarded


def join(request: HttpRequest, key: str) -> HttpResponse:
    try:
        invitation = services.invitation_for(key)
    except services.TextingError as exc:
        return render(request, "texting/closed.html", {"reason": str(exc)}, status=410)
    form = JoinForm(request.POST or None)
    if invitation.campaign.volunteers_act_alone:
        form.fields["name"].help_text = _("Your first name is in the script you read.")
        form.fields["email"].help_text = (_("We send your canvassing link here.") if invitation.campaign.is_door
                                          else _("We send your calling link here."))
    if request.method == "POST" and not refused(request, form) and form.is_valid():
        try:
            _texter_made, own = services.join(key=key, name=form.cleaned_data["name"],
                                              email=form.cleaned_data["email"])
        except services.TextingError as exc:
            return render(request, "texting/closed.html", {"reason": str(exc)}, status=410)
        flash.success(request, _("Welcome! Bookmark this page: its address is your own link to your conversations."))
        return redirect("texter_inbox", key=own)
    return render(request, "texting/join.html", {"form": form, "campaign": invitation.campaign})


def _with_survey(conversations: list[Conversation], texter: Texter) -> dict[str, Any]:
    """What each reply's card shows beside the thread: the campaign's questions with the answers
    recorded (`c.answers`), and the text the latest answer suggests next (`c.suggestion`)."""
    responses = (SurveyResponse.objects.filter(conversation__in=conversations).select_related("choice")
                 .order_by("at", "pk"))
    answers: dict[int, dict[int, int]] = {}
    suggestions: dict[int, str] = {}
    for response in responses:
        answers.setdefault(response.conversation_id, {})[response.question_id] = response.choice_id
        follow_up = response.choice.follow_up
        if follow_up:
            suggestions[response.conversation_id] = follow_up
    questions = list(texter.campaign.questions.prefetch_related("choices"))
    link = texter.campaign.link if conversations else ""
    for c in conversations:
        mine = answers.get(c.pk, {})
        c.survey = [(q, [(choice, mine.get(q.pk) == choice.pk) for choice in q.choices.all()])  # type: ignore[attr-defined]
                    for q in questions]
        c.suggestion = services.fill_texter(merge.fill(suggestions.get(c.pk, ""), c.person,  # type: ignore[attr-defined]
                                                       link=link), texter.name)
    return {"canned": list(CannedResponse.objects.filter(campaign_id=texter.campaign_id)),
            "result_codes": contact_results.codes_for(texter.campaign.group) if conversations else []}


def _stamp(texter: Texter) -> str:
    """Changes whenever a reply reaches one of the texter's conversations."""
    found = Conversation.objects.filter(texter=texter).aggregate(last=Max("replied_at"))["last"]
    return found.isoformat() if found else "-"


def _next_contact(texter: Texter, key: str) -> dict[str, Any]:
    """What the "To text" card shows: the next contact with the text they will get, and how many are left."""
    mine = Conversation.objects.filter(texter=texter, status=Conversation.Status.ASSIGNED)
    to_text = list(mine.select_related("person").order_by("pk")[:1])  # one at a time, each by its own click
    message = texter.message
    return {"key": key, "batch_choices": BATCH_CHOICES, "left": mine.count(),
            "first_texts": [(c, outbox.render(message, c.person) if message else "") for c in to_text]}


@closed_links
def inbox(request: HttpRequest, key: str) -> HttpResponse:
    texter = _texter(key)
    if texter.campaign.is_phone:
        return _caller_page(request, texter, key)
    if texter.campaign.is_door:
        return render(request, "texting/canvass.html", {"texter": texter, "campaign": texter.campaign, "key": key,
                                                        "turfs": doors.turfs_of(texter), "text": _canvass_text()})
    texts = Prefetch("texts", queryset=ConversationText.objects.order_by("at", "pk"))
    mine = Conversation.objects.filter(texter=texter).select_related("person").order_by("pk")
    replies = list(mine.filter(status=Conversation.Status.REPLIED).prefetch_related(texts).order_by("replied_at"))
    recent = list(mine.filter(status__in=[Conversation.Status.ANSWERED, Conversation.Status.SENT])
                  .exclude(replied_at=None).prefetch_related(texts).order_by("-replied_at")[:20])
    context = {**_with_survey([*replies, *recent], texter), **_next_contact(texter, key),
               "texter": texter, "campaign": texter.campaign, "replies": replies, "recent": recent,
               "reply_form": ReplyForm(), "stamp": _stamp(texter)}
    return render(request, "texting/inbox.html", context)


@closed_links
def replies_changed(request: HttpRequest, key: str) -> HttpResponse:
    """Polled every second by the inbox: 204 while no reply came; else the conversations new to
    the page, and the threads of those on it (swapped in place, so a reply being typed stays)."""
    texter = _texter(key)
    stamp = _stamp(texter)
    if request.GET.get("stamp") == stamp:
        return HttpResponse(status=204)
    shown = {int(pk) for pk in request.GET.getlist("shown") if pk.isdigit()}
    texts = Prefetch("texts", queryset=ConversationText.objects.order_by("at", "pk"))
    waiting = list(Conversation.objects.filter(texter=texter, status=Conversation.Status.REPLIED)
                   .select_related("person").prefetch_related(texts).order_by("replied_at"))
    return render(request, "texting/_replies_update.html", {
        **_with_survey(waiting, texter), "key": key, "stamp": stamp, "count": len(waiting),
        "new": [c for c in waiting if c.pk not in shown], "changed": [c for c in waiting if c.pk in shown]})


def _back(key: str, anchor: str = "") -> HttpResponse:
    return redirect(reverse("texter_inbox", kwargs={"key": key}) + anchor)


@closed_links
@require_POST
def take(request: HttpRequest, key: str) -> HttpResponse:
    texter = _texter(key)
    size = services.whole(request.POST.get("size", "25")) or 25
    try:
        got = services.take_batch(texter=texter, size=size)
    except services.TextingError as exc:
        flash.error(request, str(exc))
        return _back(key)
    if texter.campaign.is_phone:
        if not got and services.current_call(texter) is None:
            flash.info(request, _("Nobody is waiting to be called just now (or it is outside calling hours where "
                                  "they are)."))
    elif got:
        flash.success(request, ngettext("%(n)s conversation is yours.", "%(n)s conversations are yours.", got)
                      % {"n": got})
    else:
        flash.info(request, _("Nobody is waiting to be texted just now (or it is quiet hours where they are)."))
    return _back(key)  # the next Send button takes the focus (a fragment would keep it)


@closed_links
@require_POST
def send(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    problem = ""
    try:
        services.send_first(texter=texter, conversation_id=conversation_id)
    except services.TextingError as exc:
        problem = str(exc)
    if request.htmx:  # type: ignore[attr-defined]
        # The card is swapped for the next contact's, whose Send button takes the focus: one
        # request per text, and the page (a reply being typed, the poll) stays as it is.
        return render(request, "texting/_to_text.html", {**_next_contact(texter, key), "problem": problem})
    if problem:
        flash.error(request, problem)
    return _back(key)  # the next Send button takes the focus


@closed_links
@require_POST
def reply(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    form = ReplyForm(request.POST)
    body = form.data.get("body", "").strip()
    canned = request.POST.get("canned", "")
    canned_id = services.whole(canned)
    if not body and canned_id is not None and services.whole(conversation_id) is not None:
        chosen = CannedResponse.objects.filter(pk=canned_id, campaign_id=texter.campaign_id).first()
        person = Conversation.objects.filter(pk=conversation_id, texter=texter).select_related("person").first()
        if chosen is not None and person is not None:
            body = services.fill_texter(merge.fill(chosen.for_person(person.person), person.person,
                                                   link=texter.campaign.link), texter.name)
    if not body or len(body) > 600:
        flash.error(request, _("Write a reply of up to 600 characters, or choose a canned response."))
        return _back(key, f"#c{conversation_id}")
    try:
        services.send_reply(texter=texter, conversation_id=conversation_id, body=body)
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key, "#replies")


@closed_links
@require_POST
def flag(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    try:
        services.flag(texter=texter, conversation_id=conversation_id, reason=request.POST.get("reason", ""))
        flash.success(request, _("Flagged: a supervisor will look at this conversation."))
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key, f"#c{conversation_id}")


@closed_links
@require_POST
def answer(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    choice = request.POST.get("choice", "")
    try:
        chosen = services.whole(choice)
        if chosen is None:
            raise services.TextingError(_("Choose an answer."))
        services.record_answer(texter=texter, conversation_id=conversation_id, choice_id=chosen)
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key, f"#c{conversation_id}")


@closed_links
@require_POST
def result(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    try:
        code = services.whole(request.POST.get("code", ""))
        if code is None:
            raise services.TextingError(_("Choose one of the results listed."))
        conversation = services.record_result(texter=texter, conversation_id=conversation_id, code_id=code)
        assert conversation.result is not None
        flash.success(request, _("Recorded: %(result)s.") % {"result": conversation.result.display})
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key, f"#c{conversation_id}")


@closed_links
@require_POST
def opt_out(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    try:
        services.opt_out(texter=texter, conversation_id=conversation_id)
        flash.success(request, _("Opted out: they will get no more texts, from this campaign or any other."))
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key, "#replies")


# --- a phone bank's caller -----------------------------------------------------------------------


def _caller_page(request: HttpRequest, texter: Texter, key: str, *, problem: str = "", typed: Any = None,
                 status: int = 200) -> HttpResponse:
    """One contact at a time: their first name, the script, the number to call (shown only here,
    to the caller holding them), the survey and how the call went. `typed`: a refused form's choices."""
    campaign = texter.campaign
    call = services.current_call(texter)
    context: dict[str, Any] = {"texter": texter, "campaign": campaign, "key": key, "call": call,
                               "problem": problem, "typed": typed or {},
                               "made": Texter.objects.filter(pk=texter.pk).values_list("calls", flat=True)[0]}
    context["own_phone"] = (typed or {}).get("phone") or request.get_signed_cookie(
        CALLER_PHONE_COOKIE, default="", salt=CALLER_PHONE_COOKIE)
    if call is not None:
        # The caller has the contact in front of them (on a long call, reloading): the hold goes on.
        Conversation.objects.filter(pk=call.pk, texter=texter, status=Conversation.Status.ASSIGNED).update(
            assigned_at=timezone.now())
        person = call.person
        script = campaign.script_es if person.language == "es" and campaign.script_es else campaign.script
        typed = context["typed"]
        number = services.call_number(call)
        context.update(
            number="" if campaign.bridged else number, has_number=bool(number),
            script=services.fill_texter(merge.fill(script, person, link=campaign.link), texter.name),
            questions=[(q, [(c, typed.get(f"q{q.pk}") == c.pk) for c in q.choices.all()])
                       for q in campaign.questions.prefetch_related("choices")],
            result_codes=contact_results.codes_for(campaign.group))
    return render(request, "texting/caller.html", context, status=status)


@closed_links
@require_POST
def call_result(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    """The caller saves how the call went (and the survey's answers), then gets the next contact."""
    texter = _texter(key)
    code = services.whole(request.POST.get("result", ""))
    typed: dict[str, int | None] = {"result": code}
    choices: list[int] = []
    for name, value in request.POST.items():
        if name.startswith("q") and name[1:].isdigit() and value:
            chosen = services.whole(value)
            typed[name] = chosen
            choices.append(chosen if chosen is not None else -1)
    try:
        conversation = services.save_call(texter=texter, conversation_id=conversation_id, code_id=code,
                                          choice_ids=choices)
    except services.TextingError as exc:
        # What was chosen stays chosen, for the caller to correct and save again.
        return _caller_page(request, texter, key, problem=str(exc), typed=typed, status=400)
    assert conversation.result is not None
    flash.success(request, _("Saved: %(result)s.") % {"result": conversation.result.display})
    if request.POST.get("then") != "stop":
        try:
            if not services.take_batch(texter=texter, size=1):
                flash.info(request, _("Nobody is waiting to be called just now (or it is outside calling hours "
                                      "where they are)."))
        except services.TextingError as exc:
            flash.error(request, str(exc))
    return _back(key)


@closed_links
@require_POST
def bridge(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    """"Call me and connect": Turnout rings the caller's phone, then the contact's (Twilio)."""
    texter = _texter(key)
    phone = request.POST.get("phone", "").strip()[:40]
    try:
        ringing = services.bridge_call(texter=texter, conversation_id=conversation_id, phone=phone)
    except services.TextingError as exc:
        return _caller_page(request, texter, key, problem=str(exc), typed={"phone": phone}, status=400)
    flash.success(request, _("%(group)s is calling you at %(phone)s. Answer, and you are connected.")
                  % {"group": texter.campaign.group.public_name, "phone": ringing})
    response = _back(key)
    # Asked once: kept in the caller's own browser (a signed cookie for the day), not in the database.
    response.set_signed_cookie(CALLER_PHONE_COOKIE, phone, salt=CALLER_PHONE_COOKIE, max_age=12 * 3600,
                               httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
                               path=reverse("texter_inbox", kwargs={"key": key}))
    return response


@closed_links
@require_POST
def give_back(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    texter = _texter(key)
    try:
        services.give_back(texter=texter, conversation_id=conversation_id)
        flash.info(request, _("Handed back: another caller can call them."))
    except services.TextingError as exc:
        flash.error(request, str(exc))
    return _back(key)


# --- a canvasser's offline app -------------------------------------------------------------------


def _canvass_text() -> dict[str, str]:
    """What the canvass app's script writes, in the page's language."""
    return {"waiting_one": _("1 result waiting to sync."), "waiting_many": _("%(n)s results waiting to sync."),
            "synced": _("Nothing waiting to sync."), "offline": _("No signal: results are kept on this phone."),
            "syncing": _("Syncing…"), "no_signal": _("No signal just now; it will sync when you are back online."),
            "refused": _("Some results were refused:"), "open": _("Open"), "then_say": _("Then say:"),
            "choose_result": _("Choose how it went."),
            "full": _("This phone's storage is full: sync, then try again.")}


@closed_links
def turf(request: HttpRequest, key: str, turf_id: str) -> HttpResponse:
    """A turf to walk, as JSON, for the canvasser's phone to keep."""
    texter = _texter(key)
    try:
        return JsonResponse(doors.turf_data(texter=texter, turf_id=turf_id))
    except services.TextingError as exc:
        return JsonResponse({"error": str(exc)}, status=409)


@closed_links
@require_POST
def sync(request: HttpRequest, key: str) -> HttpResponse:
    """The results the canvasser's phone recorded, as JSON: each kept once, however often sent; a
    canvasser removed meanwhile still syncs (their results are kept and flagged)."""
    texter = services.texter_for(key, removed_too=True)
    if texter is None:
        raise Http404
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        return JsonResponse({"error": _("Send the results as JSON: {\"results\": [...]}.")}, status=400)
    try:
        return JsonResponse(doors.sync(texter=texter, results=body.get("results") if isinstance(body, dict) else None))
    except services.TextingError as exc:
        return JsonResponse({"error": str(exc)}, status=400)


def service_worker(request: HttpRequest, key: str) -> HttpResponse:
    """The canvass app's service worker, scoped to the canvasser's own link: it keeps the page and
    its files, so the app opens with no signal."""
    response = render(request, "texting/canvass-sw.js", {"key": key}, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response
