"""Turnout's own resources beside the Action Network ones: networks and their members, activations
(create, send, statistics, responses) and standby plans (read, trigger), in the same HAL shapes."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpResponse

from turnout.accounts.models import Group, Role
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
from turnout.api.signers import named_person
from turnout.events.models import Event
from turnout.mobilization import services
from turnout.mobilization.models import (
    AVAILABILITY,
    LANGUAGES,
    SKILLS,
    Activation,
    Member,
    Network,
    Plan,
    Response,
    packed,
    unpacked,
)

MAX_MILES = 3000  # across the country; Activation.miles is a small integer column
FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}
CHOICES = {"availability": {k for k, _ in AVAILABILITY}, "skills": {k for k, _ in SKILLS},
           "languages": {k for k, _ in LANGUAGES}}


def _networks(call: Call) -> QuerySet[Network]:
    return Network.objects.visible_to(call.user, Role.ORGANIZER).select_related(
        "group").annotate(size=Count("members"))


def _network(call: Call, network_id: str) -> Network:
    network: Network = get_by_public_id(_networks(call), network_id, "network")
    return network


def _writable(call: Call, group: Group) -> None:
    call.require_write()
    if not has_role(call.user, group, Role.ORGANIZER):
        raise ApiError(403, "This token's user may read this record but not change it.")


def serialize_network(network: Network, base: str) -> dict[str, Any]:
    href = f"{base}networks/{network.public_id}"
    return {
        "identifiers": identifiers(network), "origin_system": "Turnout",
        "created_date": stamp(network.created_at), "modified_date": stamp(network.updated_at),
        "name": network.name, "description": network.description, "group": network.group.name,
        "total_members": network.size,  # type: ignore[attr-defined]
        "browser_url": f"{base.split('/api/v2/')[0]}{network.public_url()}",
        "_links": {"self": link(href), "turnout:members": link(f"{href}/members"), "curies": curies(base)},
    }


def networks_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_networks(call), key="turnout:networks", path="networks",
                      serialize=lambda n: serialize_network(n, call.base), filters=FILTERS)


def network_detail(call: Call, network_id: str) -> dict[str, Any]:
    return serialize_network(_network(call, network_id), call.base)


def _network_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    fields = {name: inputs.text(data[name], name, limit) for name, limit in (("name", 200), ("description", 5000))
              if name in data}
    if (creating or "name" in fields) and not fields.get("name"):
        raise ApiError(400, "A network needs a name.")
    return fields


def network_create(call: Call) -> HttpResponse:
    """A network of the token's group, as the console's form makes one."""
    call.require_write()
    network = services.create_network(actor=call.user, group=call.group,
                                      fields=_network_fields(call.body, creating=True))
    return json_response(serialize_network(_networks(call).get(pk=network.pk), call.base), status=201)


def network_update(call: Call, network_id: str) -> dict[str, Any]:
    network = _network(call, network_id)
    _writable(call, network.group)
    services.update_network(actor=call.user, network=network, fields=_network_fields(call.body, creating=False))
    return serialize_network(_networks(call).get(pk=network.pk), call.base)


def serialize_member(member: Member, base: str) -> dict[str, Any]:
    person_href = f"{base}people/{member.person.public_id}"
    return {
        "identifiers": [f"action_network:{member.person.public_id}"],
        "given_name": member.person.given_name, "family_name": member.person.family_name,
        "postal_code": member.person.postal_code, "travel_miles": member.travel_miles,
        "availability": unpacked(member.availability), "skills": unpacked(member.skills),
        "languages": unpacked(member.languages), "joined_date": stamp(member.joined_at),
        "_links": {"self": link(person_href), "osdi:person": link(person_href),
                   "turnout:network": link(f"{base}networks/{member.network.public_id}")},
    }


def members_list(call: Call, network_id: str) -> dict[str, Any]:
    network = _network(call, network_id)
    members = Member.objects.filter(network=network).select_related("person", "network")
    return collection(call, queryset=members, key="turnout:members", path=f"networks/{network.public_id}/members",
                      serialize=lambda m: serialize_member(m, call.base))


def _choices(value: Any, name: str) -> list[str]:
    chosen = [str(v) for v in inputs.items(value, name)] if value is not None else []
    unknown = sorted(set(chosen) - CHOICES[name])
    if unknown:
        raise ApiError(400, f"{name} may hold only {', '.join(sorted(CHOICES[name]))}; not {', '.join(unknown)[:100]}.")
    return chosen


def _travel(value: Any) -> int:
    try:
        miles = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "travel_miles must be a whole number of miles.") from None
    if not 0 < miles <= 500:
        raise ApiError(400, "travel_miles must be between 1 and 500.")
    return miles


def member_add(call: Call, network_id: str) -> HttpResponse:
    """Add a person (a reference, or a `person` to sign up by the signup helper's rules) to the network,
    as the join page does, on the audit log."""
    network = _network(call, network_id)
    _writable(call, network.group)
    chosen = {name: _choices(call.body[name], name) for name in ("availability", "skills", "languages")
              if name in call.body}
    travel = _travel(call.body.get("travel_miles", 10))
    try:
        with transaction.atomic():  # the person and their membership, or neither
            member, created = services.enroll_member(
                actor=call.user, network=network, person=named_person(call), travel_miles=travel,
                availability=chosen.get("availability"), skills=chosen.get("skills"),
                languages=chosen.get("languages"))
    except services.MobilizationError as exc:  # nobody could reach them
        raise ApiError(400, str(exc)) from None
    member = Member.objects.select_related("person", "network").get(pk=member.pk)
    return json_response(serialize_member(member, call.base), status=201 if created else 200)


# Activations ---------------------------------------------------------------------------


def _activations(call: Call) -> QuerySet[Activation]:
    return Activation.objects.filter(network__in=_networks(call)).select_related("network", "event")


def _activation(call: Call, activation_id: str) -> Activation:
    activation: Activation = get_by_public_id(_activations(call), activation_id, "activation")
    return activation


def serialize_activation(activation: Activation, base: str, statistics: bool = False) -> dict[str, Any]:
    href = f"{base}activations/{activation.public_id}"
    data: dict[str, Any] = {
        "identifiers": identifiers(activation), "origin_system": "Turnout",
        "created_date": stamp(activation.created_at), "modified_date": stamp(activation.updated_at),
        "title": activation.title, "body": activation.body, "body_es": activation.body_es,
        "followup": activation.followup, "followup_es": activation.followup_es,
        "channels": activation.channels, "status": activation.status, "sent_date": stamp(activation.sent_at),
        "postal_code": activation.postal_code, "miles": activation.miles,
        "availability": unpacked(activation.availability), "skills": unpacked(activation.skills),
        "languages": unpacked(activation.languages), "tag": activation.tag, "drill": activation.is_drill,
        "sample_size": activation.sample_size, "ignore_quiet_hours": activation.ignore_quiet_hours,
        "override_reason": activation.override_reason,
        "_links": {"self": link(href), "turnout:network": link(f"{base}networks/{activation.network.public_id}"),
                   "turnout:responses": link(f"{href}/responses"), "turnout:send": link(f"{href}/send"),
                   **({"osdi:event": link(f"{base}events/{activation.event.public_id}")} if activation.event else {}),
                   "curies": curies(base)},
    }
    if statistics:
        board = services.board(activation)
        data["statistics"] = {
            "asked": board.asked, "chosen": board.recipients, "yes": board.yes, "no": board.no, "no_answer": board.no_answer,
            "sent": sum(p["sent"] for _m, p in board.channels),
            "delivered": sum(p["delivered"] for _m, p in board.channels),
            "by_distance": [{"miles": band, "asked": people, "yes": yes, "no": no}
                            for band, people, yes, no in board.bands]}
    return data


def activations_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_activations(call), key="turnout:activations", path="activations",
                      serialize=lambda a: serialize_activation(a, call.base), filters=FILTERS)


def activation_detail(call: Call, activation_id: str) -> dict[str, Any]:
    return serialize_activation(_activation(call, activation_id), call.base, statistics=True)


def _int(value: Any, name: str, most: int = 100_000_000) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{name} must be a whole number.") from None
    if not 0 < number <= most:
        raise ApiError(400, f"{name} must be a whole number from 1 to {most}.")
    return number


def activation_create(call: Call) -> HttpResponse:
    """A draft activation of a network the token can see; sending is a separate POST …/send."""
    body = call.body
    network_id = body.get("network_id") or body.get("turnout:network_id")
    if not isinstance(network_id, str):
        raise ApiError(400, "Give network_id: the network to activate.")
    try:
        network = _network(call, network_id.removeprefix("action_network:"))
    except ApiError:
        raise ApiError(400, "network_id names no network this token can see.") from None
    _writable(call, network.group)
    fields: dict[str, Any] = {"title": inputs.text(body.get("title", ""), "title", 200),
                              "body": inputs.text(body.get("body", ""), "body", 1600),
                              "body_es": inputs.text(body.get("body_es", ""), "body_es", 1600),
                              "followup": inputs.text(body.get("followup", ""), "followup", 1600),
                              "followup_es": inputs.text(body.get("followup_es", ""), "followup_es", 1600)}
    if not fields["title"] or not fields["body"]:
        raise ApiError(400, "An activation needs a title and a body.")
    fields["channels"] = body.get("channels", "sms")
    if fields["channels"] not in Activation.Channels.values:
        raise ApiError(400, "channels must be sms, email or both.")
    fields["postal_code"] = inputs.text(body.get("postal_code", ""), "postal_code", 10)
    fields["miles"] = _int(body.get("miles"), "miles", most=MAX_MILES)
    if fields["miles"] and not fields["postal_code"]:
        raise ApiError(400, "Give postal_code to choose people by distance.")
    for name in ("availability", "skills", "languages"):
        fields[name] = packed(_choices(body.get(name), name))
    fields["tag"] = inputs.text(body.get("tag", ""), "tag", 100)
    fields["is_drill"] = body.get("drill") is True
    fields["sample_size"] = _int(body.get("sample_size"), "sample_size")
    if fields["is_drill"] and not fields["sample_size"]:
        raise ApiError(400, "A drill goes to a sample: give sample_size.")
    if body.get("ignore_quiet_hours") is True:
        fields["ignore_quiet_hours"] = True
        fields["override_reason"] = inputs.text(body.get("override_reason", ""), "override_reason", 300)
        if not fields["override_reason"]:
            raise ApiError(400, "Say why this cannot wait for quiet hours to end: override_reason.")
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        try:
            fields["event"] = get_by_public_id(Event.objects.filter(group__path__startswith=network.group.path),
                                               event_id.removeprefix("action_network:"), "event")
        except ApiError:
            raise ApiError(400, "event_id is not an event of the network's group.") from None
    try:
        activation = services.create_activation(actor=call.user, network=network, fields=fields)
    except services.MobilizationError as exc:  # a ZIP code it does not know, a merge field it cannot fill
        raise ApiError(400, str(exc)) from None
    return json_response(serialize_activation(activation, call.base), status=201)


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def activation_send(call: Call, activation_id: str) -> dict[str, Any]:
    activation = _activation(call, activation_id)
    _writable(call, activation.network.group)
    try:
        services.activate(actor=call.user, activation=activation)
    except services.MobilizationError as exc:  # sent already, or nobody in the network matches now
        raise ApiError(409, str(exc)) from None
    activation.refresh_from_db()
    return serialize_activation(activation, call.base, statistics=True)


def serialize_response(response: Response, base: str) -> dict[str, Any]:
    person_href = f"{base}people/{response.person.public_id}"
    return {"identifiers": [f"turnout:{response.pk}"], "answer": response.answer,
            "answered_date": stamp(response.answered_at), "given_name": response.person.given_name,
            "_links": {"self": link(f"{base}activations/{response.activation.public_id}/responses?person="
                                    f"{response.person.public_id}"),
                       "osdi:person": link(person_href),
                       "turnout:activation": link(f"{base}activations/{response.activation.public_id}")}}


def responses_list(call: Call, activation_id: str) -> dict[str, Any]:
    activation = _activation(call, activation_id)
    answers = Response.objects.filter(activation=activation).select_related("person", "activation")
    person = _uuid(call.request.GET.get("person", ""))
    if call.request.GET.get("person") is not None:
        answers = answers.filter(person__public_id=person) if person else answers.none()
    return collection(call, queryset=answers, key="turnout:responses",
                      path=f"activations/{activation.public_id}/responses",
                      serialize=lambda r: serialize_response(r, call.base))


# Plans ------------------------------------------------------------------------------------


def _plans(call: Call) -> QuerySet[Plan]:
    return Plan.objects.visible_to(call.user, Role.ORGANIZER).select_related("group")


def serialize_plan(plan: Plan, base: str) -> dict[str, Any]:
    href = f"{base}plans/{plan.public_id}"
    return {
        "identifiers": identifiers(plan), "origin_system": "Turnout",
        "created_date": stamp(plan.created_at), "modified_date": stamp(plan.updated_at),
        "name": plan.name, "condition": plan.condition, "status": plan.status,
        "requires_two_people": plan.requires_two_people, "triggered_date": stamp(plan.triggered_at),
        "outcome": plan.outcome or {},
        "_links": {"self": link(href), "turnout:trigger": link(f"{href}/trigger"), "curies": curies(base)},
    }


def plans_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_plans(call), key="turnout:plans", path="plans",
                      serialize=lambda p: serialize_plan(p, call.base), filters=FILTERS)


def plan_detail(call: Call, plan_id: str) -> dict[str, Any]:
    plan: Plan = get_by_public_id(_plans(call), plan_id, "plan")
    data = serialize_plan(plan, call.base)
    if plan.status != Plan.Status.TRIGGERED:
        summary = services.summarize(plan)
        data["if_triggered_now"] = {
            "events": len(summary.events), "texted": summary.texted, "emailed": summary.emailed,
            "start_date": summary.day.isoformat() if summary.day else None, "too_far": summary.too_far,
            "by_zone": [{"time_zone": row.zone or None, "texted": row.texts, "emailed": row.emails,
                         "told_date": stamp(row.when) if row.when else None,
                         "waits_for_quiet_hours": row.held_by_quiet_hours} for row in summary.zones]}
    return data


def plan_trigger(call: Call, plan_id: str) -> dict[str, Any]:
    """Pull the trigger (an admin of the plan's group): idempotent; a two-person plan waits for a second admin."""
    plan: Plan = get_by_public_id(_plans(call), plan_id, "plan")
    if not has_role(call.user, plan.group, Role.ADMIN):
        raise ApiError(403, "Only an admin of the plan's group may pull its trigger.")
    try:
        result = services.pull_trigger(actor=call.user, plan=plan)
    except services.MobilizationError as exc:
        raise ApiError(409, str(exc)) from None
    plan.refresh_from_db()
    return {**serialize_plan(plan, call.base), "result": result.state}
