"""Peer-to-peer texting as Turnout resources: texting campaigns, their conversations and survey
answers, seen as the console sees them. A campaign is written as a draft with tag or list
targets, then launched (POST …/launch); every write goes through the texting services the
console calls. A conversation carries its contact's person link, not their number; its texts
are read in the console, where each reading is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse

from turnout.accounts.models import Role
from turnout.accounts.permissions import has_role
from turnout.api import inputs, odata
from turnout.api.hal import (
    ApiError,
    Call,
    collection,
    curies,
    get_by_public_id,
    identifiers,
    json_response,
    link,
    stamp,
)
from turnout.api.messages import target_links, targets_from
from turnout.events.models import Event
from turnout.messaging import audience, merge
from turnout.texting import doors, services
from turnout.texting.models import Conversation, SurveyResponse, TextingCampaign, Turf

FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}
CONVERSATION_FILTERS = {"modified_date": odata.when("replied_at")}


def _campaigns(call: Call) -> QuerySet[TextingCampaign]:
    return TextingCampaign.objects.visible_to(call.user).select_related("group", "event")


def serialize(campaign: TextingCampaign, base: str) -> dict[str, Any]:
    href = f"{base}texting_campaigns/{campaign.public_id}"
    targets = target_links(campaign.audience, base)
    board = services.board(campaign, medians=False)
    return {
        "identifiers": identifiers(campaign),
        "origin_system": "Turnout",
        "created_date": stamp(campaign.created_at),
        "modified_date": stamp(campaign.updated_at),
        "title": campaign.title,
        "turnout:channel": campaign.channel,
        "script": campaign.script,
        "turnout:script_es": campaign.script_es,
        "status": campaign.status,
        "targets": targets,
        "reassign_after_minutes": campaign.reassign_after,
        "turnout:senders": campaign.senders,
        "turnout:event": {"href": f"{base}events/{campaign.event.public_id}"} if campaign.event else None,
        "turnout:calling_hours": {"from": campaign.call_from, "until": campaign.call_until},
        "turnout:bridged": campaign.bridged,
        "launched_date": stamp(campaign.launched_at),
        "statistics": {key: board[key] for key in ("contacts", "waiting", "sent", "replied", "needs_reply",
                                                   "opted_out", "response_rate", "texters", "online", "reached",
                                                   "call_again")},
        "questions": [{"question": question.prompt, "answers": [
            {"answer": choice.label, "tag": choice.tag, "total": total} for choice, total in answers]}
            for question, answers in services.results(campaign)],
        "_links": {"self": link(href), "turnout:conversations": link(f"{href}/conversations"),
                   "turnout:launch_helper": link(f"{href}/launch"), "curies": curies(base)},
    }


def _fields(call: Call, data: dict[str, Any], campaign: TextingCampaign | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field, key, limit in (("title", "title", 200), ("script", "script", 1600),
                              ("script_es", "turnout:script_es", 1600)):
        if key in data:
            fields[field] = inputs.text(data[key], key, limit)
    if "turnout:channel" in data:
        if data["turnout:channel"] not in TextingCampaign.Channel.values:
            raise ApiError(400, "turnout:channel must be sms (a texting campaign), phone (a phone bank) or door "
                                "(door knocking).")
        fields["channel"] = data["turnout:channel"]
    if "turnout:bridged" in data:
        if not isinstance(data["turnout:bridged"], bool):
            raise ApiError(400, "turnout:bridged must be true or false.")
        fields["bridged"] = data["turnout:bridged"]
    if "turnout:calling_hours" in data:
        hours = data["turnout:calling_hours"]
        if not isinstance(hours, dict):
            raise ApiError(400, 'turnout:calling_hours must be an object such as {"from": 10, "until": 20}: '
                                "hours of the day in each contact's own zone.")
        start = inputs.whole(hours.get("from", campaign.call_from if campaign else 10), "turnout:calling_hours.from",
                             0, 23)
        end = inputs.whole(hours.get("until", campaign.call_until if campaign else 20), "turnout:calling_hours.until",
                           1, 24)
        if end <= start:
            raise ApiError(400, "turnout:calling_hours: calling hours must end after they start.")
        fields["call_from"], fields["call_until"] = start, end
    if "reassign_after_minutes" in data:
        fields["reassign_after"] = inputs.whole(data["reassign_after_minutes"], "reassign_after_minutes", 5, 1440)
    if "targets" in data:
        fields["audience"] = {"targets": targets_from(call, data["targets"])}
    if "turnout:event" in data:
        fields["event"] = _event(call, data["turnout:event"])
    if "turnout:senders" in data:
        chosen = [inputs.text(n, "turnout:senders", 40) for n in inputs.items(data["turnout:senders"], "turnout:senders")]
        if unknown := [n for n in chosen if n not in services.sender_choices()]:
            raise ApiError(400, f"turnout:senders: {', '.join(unknown)[:200]} is not one of the organization's "
                                "sender numbers.")
        fields["senders"] = chosen
    elif campaign is None and fields.get("channel", TextingCampaign.Channel.SMS) == TextingCampaign.Channel.SMS:
        fields["senders"] = services.sender_choices()  # every number, as the console offers them
    if not fields.get("title", campaign.title if campaign else ""):
        raise ApiError(400, "A texting campaign needs a title.")
    if not fields.get("script", campaign.script if campaign else ""):
        raise ApiError(400, "A texting campaign needs a script (its first text).")
    return fields


def _event(call: Call, value: Any) -> Event | None:
    """{"href": ".../events/<id>"} (or null): the event the texts' links lead to, one the token's user organizes."""
    if value is None:
        return None
    href = value.get("href") if isinstance(value, dict) else value
    ident = str(href or "").rstrip("/").rsplit("/", 1)[-1].removeprefix("action_network:")
    try:
        uuid.UUID(ident)
    except ValueError:
        raise ApiError(400, "turnout:event must be an object with the href of an event.") from None
    event = Event.objects.visible_to(call.user, Role.ORGANIZER).filter(public_id=ident).first()
    if event is None:
        raise ApiError(400, f"turnout:event: {str(href)[:100]} is not an event this token's user organizes.")
    return event


def campaigns_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_campaigns(call), key="turnout:texting_campaigns", path="texting_campaigns",
                      serialize=lambda c: serialize(c, call.base), filters=FILTERS)


def _campaign(call: Call, campaign_id: str, write: bool = False) -> TextingCampaign:
    campaign = get_by_public_id(_campaigns(call), campaign_id, "texting campaign")
    if write:
        call.require_write()
        if not has_role(call.user, campaign.group, Role.ORGANIZER):
            raise ApiError(403, "This token's user may read this campaign but not change or launch it.")
    return campaign  # type: ignore[no-any-return]


def campaign_create(call: Call) -> HttpResponse:
    call.require_write()
    if not has_role(call.user, call.group, Role.ORGANIZER):
        raise ApiError(403, "Only an organizer's token may start a texting campaign.")
    fields = _fields(call, call.body)
    try:
        campaign = services.create_campaign(actor=call.user, group=call.group, fields=fields)
    except (merge.UnknownMergeField, services.TextingError) as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(serialize(campaign, call.base), status=201)


def campaign_detail(call: Call, texting_campaign_id: str) -> dict[str, Any]:
    return serialize(_campaign(call, texting_campaign_id), call.base)


def campaign_update(call: Call, texting_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, texting_campaign_id, write=True)
    try:
        campaign = services.update_campaign(actor=call.user, campaign=campaign,
                                            fields=_fields(call, call.body, campaign))
    except (merge.UnknownMergeField, services.NeedsEvent) as exc:
        raise ApiError(400, str(exc)) from None
    except services.TextingError as exc:
        raise ApiError(409, str(exc)) from None
    return serialize(campaign, call.base)


def campaign_launch(call: Call, texting_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, texting_campaign_id, write=True)
    if "targets" not in campaign.audience:
        raise ApiError(409, "Give the campaign targets (tags or lists) before launching it.")
    people = audience.people_for(call.user, campaign.audience)
    try:
        services.launch(actor=call.user, campaign=campaign, audience=people)
    except services.TextingError as exc:
        raise ApiError(409, str(exc)) from None
    campaign.refresh_from_db()
    return serialize(campaign, call.base)


def serialize_conversation(conversation: Conversation, base: str) -> dict[str, Any]:
    href = f"{base}texting_campaigns/{conversation.campaign.public_id}/conversations/{conversation.pk}"
    return {
        "identifiers": [f"turnout:{conversation.pk}"],
        "origin_system": "Turnout",
        "status": conversation.status,
        "texter": conversation.texter.name if conversation.texter else "",
        "sent_date": stamp(conversation.sent_at),
        "turnout:calls": conversation.attempts,
        "replied_date": stamp(conversation.replied_at),
        "flagged": conversation.flagged,
        "result": {"key": conversation.result.key, "label": conversation.result.label} if conversation.result else None,
        "survey_responses": [{"question": r.question.prompt, "answer": r.choice.label, "tag": r.choice.tag,
                              "recorded_date": stamp(r.at)} for r in conversation.responses.all()],
        "_links": {"self": link(href), "osdi:person": link(f"{base}people/{conversation.person.public_id}"),
                   "turnout:texting_campaign": link(f"{base}texting_campaigns/{conversation.campaign.public_id}"),
                   "curies": curies(base)},
    }


def _conversations(campaign: TextingCampaign) -> QuerySet[Conversation]:
    answers = Prefetch("responses", queryset=SurveyResponse.objects.select_related("question", "choice")
                       .order_by("question__order", "question_id"))
    return (Conversation.objects.filter(campaign=campaign).select_related("person", "texter", "campaign", "result")
            .prefetch_related(answers))


def conversations_list(call: Call, texting_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, texting_campaign_id)
    return collection(call, queryset=_conversations(campaign), key="turnout:conversations",
                      path=f"texting_campaigns/{campaign.public_id}/conversations",
                      serialize=lambda c: serialize_conversation(c, call.base), filters=CONVERSATION_FILTERS)


def conversation_detail(call: Call, texting_campaign_id: str, conversation_id: str) -> dict[str, Any]:
    campaign = _campaign(call, texting_campaign_id)
    pk = services.whole(conversation_id)
    found = _conversations(campaign).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise ApiError(404, "No such conversation.")
    return serialize_conversation(found, call.base)


def serialize_turf(turf: Turf, campaign: TextingCampaign, base: str) -> dict[str, Any]:
    href = f"{base}texting_campaigns/{campaign.public_id}/turfs"
    return {
        "identifiers": identifiers(turf),
        "origin_system": "Turnout",
        "created_date": stamp(turf.created_at),
        "modified_date": stamp(turf.updated_at),
        "name": turf.name, "doors": turf.doors, "knocked": getattr(turf, "knocked", 0),
        "reached": getattr(turf, "reached", 0), "canvassers": [c.name for c in turf.canvassers.all()],
        "area": turf.area, "revision": turf.revision,
        "_links": {"self": link(f"{href}#{turf.public_id}"),
                   "turnout:texting_campaign": link(f"{base}texting_campaigns/{campaign.public_id}"),
                   "curies": curies(base)},
    }


def turfs_list(call: Call, texting_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, texting_campaign_id)
    return collection(call, queryset=doors.progress(campaign), key="turnout:turfs",
                      path=f"texting_campaigns/{campaign.public_id}/turfs",
                      serialize=lambda turf: serialize_turf(turf, campaign, call.base), filters=FILTERS)
