"""The `messages` resource: Action Network's email messages, with Turnout's `type: "sms"` beside them.

Targets are hrefs of tags and lists (events and networks as those arrive); the people they
reach are the ones the token's user may message. A message is created as a draft, then
started with POST …/send or POST …/schedule.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.accounts.permissions import has_role
from turnout.api import dates, inputs, odata
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
from turnout.messaging import audience, outbox, sending
from turnout.messaging.models import Channel, Message
from turnout.people.models import PersonList, Tag

FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}


def _messages(call: Call) -> QuerySet[Message]:
    return Message.objects.visible_to(call.user).select_related("group")


def serialize(message: Message, base: str) -> dict[str, Any]:
    href = f"{base}messages/{message.public_id}"
    counts = outbox.progress(message)
    targets = target_links(message.audience, base)
    started = outbox.started_at(message)
    return {
        "identifiers": identifiers(message),
        "origin_system": "Turnout",
        "created_date": stamp(message.created_at),
        "modified_date": stamp(message.updated_at),
        "type": message.channel,
        "subject": message.subject,
        "body": message.body,
        "turnout:body_es": message.body_es,
        "from": message.group.name,
        "reply_to": "",
        "status": message.status,
        "targets": targets,
        "total_targeted": counts["targeted"],
        "sent_start_date": stamp(started),
        "scheduled_start_date": stamp(message.scheduled_for),
        "turnout:ignore_quiet_hours": message.ignore_quiet_hours,
        "statistics": {
            "sent": counts["sent"], "delivered": counts["delivered"], "failed": counts["failed"],
            "suppressed": counts["suppressed"], "deferred": counts["deferred"], "replies": counts["replies"],
            "opened": 0, "clicked": 0, "unsubscribed": 0, "bounced": 0,
        },
        "_links": {
            "self": link(href),
            "action_network:send_helper": link(f"{href}/send"),
            "action_network:schedule_helper": link(f"{href}/schedule"),
            "curies": curies(base),
        },
    }


# The API's collections whose records gather people (`messaging.audience.Source`), by source.
SOURCE_COLLECTIONS = {"events": "event", "networks": "network", "organizing_campaigns": "roster"}


def target_links(chosen: dict[str, Any], base: str) -> list[dict[str, str]]:
    """An audience's targets as the links `targets_from` reads."""
    collections = {"tag": "tags", "list": "lists", **{kind: name for name, kind in SOURCE_COLLECTIONS.items()}}
    return [{"href": f"{base}{collections.get(t['kind'], 'lists')}/{t['id']}"} for t in chosen.get("targets", [])]


def targets_from(call: Call, value: Any) -> list[dict[str, str]]:
    """[{"href": ".../tags/<id>"}, …] → [{"kind": "tag", "id": …}], checking each is one the token's
    user sees (another group's tag or list is refused as unknown, telling nothing about it)."""
    out = []
    for entry in inputs.items(value, "targets"):
        href = entry.get("href") if isinstance(entry, dict) else entry
        if not isinstance(href, str):
            raise ApiError(400, "Each target must be an object with an href.")
        parts = href.rstrip("/").split("?", 1)[0].split("/")
        kind, ident = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", "")
        ident = ident.removeprefix("action_network:")
        try:
            uuid.UUID(ident)
        except ValueError:
            raise ApiError(400, f"Target {href[:100]} is not a link to a tag, list, event, network or organizing "
                                "campaign.") from None
        source = SOURCE_COLLECTIONS.get(kind, "")
        if kind == "tags" and Tag.objects.visible_to(call.user).filter(public_id=ident).exists():
            out.append({"kind": "tag", "id": ident})
        elif kind == "lists" and PersonList.objects.visible_to(call.user).filter(public_id=ident).exists():
            out.append({"kind": "list", "id": ident})
        elif source and audience.source_condition(call.user, f"{source}:{ident}") is not None:
            out.append({"kind": source, "id": ident})
        else:
            raise ApiError(400, f"Target {href[:100]} is not a tag, list, event, network or organizing campaign "
                                "Turnout knows.")
    return out


def _fields(call: Call, data: dict[str, Any], message: Message | None = None) -> dict[str, Any]:
    """A message body's fields, by the model's names; a new message is an email unless it says sms.
    The rules across fields (an email's subject, a reason to override quiet hours) are the service's."""
    fields: dict[str, Any] = {} if message else {"channel": Channel.EMAIL}
    if "type" in data:
        kind = inputs.text(data["type"], "type", 10).lower()
        if kind not in Channel.values:
            raise ApiError(400, "type must be sms or email.")
        fields["channel"] = kind
    for field, key, limit in (("subject", "subject", 200), ("body", "body", 5000), ("body_es", "turnout:body_es", 5000),
                              ("override_reason", "turnout:override_reason", 300)):
        if key in data:
            fields[field] = inputs.text(data[key], key, limit)
    if "turnout:ignore_quiet_hours" in data:
        fields["ignore_quiet_hours"] = data["turnout:ignore_quiet_hours"] in (True, "true", "1", 1)
    if "targets" in data:
        fields["audience"] = {"targets": targets_from(call, data["targets"])}
    if not fields.get("body", message.body if message else ""):  # text() has trimmed it
        raise ApiError(400, "A message needs a body.")
    return fields


def messages_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_messages(call), key="osdi:messages", path="messages",
                      serialize=lambda m: serialize(m, call.base), filters=FILTERS)


def message_create(call: Call) -> HttpResponse:
    call.require_write()
    try:
        message = sending.create_message(actor=call.user, group=call.group, fields=_fields(call, call.body))
    except ValueError as exc:  # what the fields say together (an email without a subject)
        raise ApiError(400, str(exc)) from None
    return json_response(serialize(message, call.base), status=201)


def _message(call: Call, message_id: str, write: bool = False) -> Message:
    message = get_by_public_id(_messages(call), message_id, "message")
    if write:
        call.require_write()
        if not has_role(call.user, message.group, Role.ORGANIZER):
            raise ApiError(403, "This token's user may read this message but not change or send it.")
    return message  # type: ignore[no-any-return]


def message_detail(call: Call, message_id: str) -> dict[str, Any]:
    return serialize(_message(call, message_id), call.base)


def message_update(call: Call, message_id: str) -> dict[str, Any]:
    message = _message(call, message_id, write=True)
    if message.status != Message.Status.DRAFT:
        raise ApiError(409, f"Only a draft can be changed; this message is {message.status}.")
    try:
        message = sending.update_message(actor=call.user, message=message, fields=_fields(call, call.body, message))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return serialize(message, call.base)


def message_send(call: Call, message_id: str) -> dict[str, Any]:
    message = _message(call, message_id, write=True)
    if "targets" not in message.audience:
        raise ApiError(409, "Give the message targets (tags or lists) before sending it.")
    people = audience.people_for(call.user, message.audience)
    try:
        sending.start_sending(actor=call.user, message=message, audience=people)
    except ValueError as exc:  # already sending or sent
        raise ApiError(409, str(exc)) from None
    message.refresh_from_db()
    return serialize(message, call.base)


def message_schedule(call: Call, message_id: str) -> dict[str, Any]:
    message = _message(call, message_id, write=True)
    if "targets" not in message.audience:
        raise ApiError(409, "Give the message targets (tags or lists) before scheduling it.")
    raw = call.body.get("scheduled_start_date") or call.request.GET.get("scheduled_start_date")
    try:
        moment = dates.read_utc(raw, "scheduled_start_date")
    except dates.DateError as exc:
        raise ApiError(400, str(exc)) from None
    if moment[0] <= timezone.now():
        raise ApiError(400, "scheduled_start_date must be in the future.")
    try:
        sending.schedule(actor=call.user, message=message, when=moment[0])
    except ValueError as exc:  # already sending or sent
        raise ApiError(409, str(exc)) from None
    message.refresh_from_db()
    return serialize(message, call.base)
