"""Organizing as Turnout resources: workplaces, organizing campaigns (with their units' thresholds
and their rosters), assessments and cards, and the requests to organize a workplace, seen as the
console sees them: campaign staff see their campaigns, volunteers their units and the requests
they organize or mentor, a locked campaign its admins only. Every write goes through the
organizing services the console calls.

Assessment notes are accepted but never returned: they are read in the console, where each
reading is audited. A request's story is returned to the organizers of its group only, each
reading audited as the console's page does. (Action Network's own `campaigns` are advocacy
campaigns; these are `organizing_campaigns`.)"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse

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
from turnout.api.views import person_reference
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.organizing import selectors, services
from turnout.organizing.models import (
    Assessment,
    Campaign,
    Card,
    Employer,
    Industry,
    Request,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.people.services import UnknownZip

FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}


def _id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"Give {name}.")
    return value.removeprefix("action_network:")


def _common(record: Any) -> dict[str, Any]:
    return {"identifiers": identifiers(record), "origin_system": "Turnout", "created_date": stamp(record.created_at),
            "modified_date": stamp(record.updated_at)}


# --- workplaces ----------------------------------------------------------------------------------


def _workplaces(call: Call) -> QuerySet[Workplace]:
    return selectors.workplaces_for(call.user).select_related("employer", "group")


def serialize_workplace(workplace: Workplace, base: str) -> dict[str, Any]:
    return {**_common(workplace), "name": workplace.name, "employer": workplace.employer.name,
            "address": workplace.address, "postal_code": workplace.postal_code, "locality": workplace.city,
            "region": workplace.state, "latitude": workplace.latitude, "longitude": workplace.longitude,
            "industry": workplace.industry, "unit_description": workplace.unit_description,
            "group": workplace.group.name,
            "_links": {"self": link(f"{base}workplaces/{workplace.public_id}"), "curies": curies(base)}}


def workplaces_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_workplaces(call), key="turnout:workplaces", path="workplaces",
                      serialize=lambda w: serialize_workplace(w, call.base), filters=FILTERS)


def workplace_detail(call: Call, workplace_id: str) -> dict[str, Any]:
    return serialize_workplace(get_by_public_id(_workplaces(call), workplace_id, "workplace"), call.base)


def _save_workplace(call: Call, workplace: Workplace, created: bool) -> HttpResponse:
    body = call.body
    employer = inputs.text(body.get("employer", workplace.employer.name if not created else ""), "employer", 200)
    workplace.name = inputs.text(body.get("name", workplace.name), "name", 200)
    workplace.address = inputs.text(body.get("address", workplace.address), "address", 300)
    workplace.postal_code = inputs.text(body.get("postal_code", workplace.postal_code), "postal_code", 10)
    workplace.unit_description = inputs.text(body.get("unit_description", workplace.unit_description),
                                             "unit_description", 2000)
    industry = body.get("industry", workplace.industry)
    if industry not in Industry.values:
        raise ApiError(400, f"industry must be one of {', '.join(Industry.values)}.")
    workplace.industry = industry
    if not workplace.name or not employer or not workplace.postal_code:
        raise ApiError(400, "A workplace needs a name, an employer and a postal_code.")
    try:
        services.save_workplace(actor=call.user, workplace=workplace, employer_name=employer)
    except UnknownZip:
        raise ApiError(400, f"We do not know the ZIP code {workplace.postal_code}.") from None
    workplace = _workplaces(call).get(pk=workplace.pk)
    return json_response(serialize_workplace(workplace, call.base), status=201 if created else 200)


def workplace_create(call: Call) -> HttpResponse:
    call.require_write()
    return _save_workplace(call, Workplace(group=call.group, employer=Employer(name="")), created=True)


def workplace_update(call: Call, workplace_id: str) -> HttpResponse:
    workplace = get_by_public_id(_workplaces(call), workplace_id, "workplace")
    call.require_write()
    if not has_role(call.user, workplace.group, Role.ORGANIZER):
        raise ApiError(403, "This token's user may read this workplace but not change it.")
    return _save_workplace(call, workplace, created=False)


# --- campaigns -----------------------------------------------------------------------------------


def _campaigns(call: Call) -> QuerySet[Campaign]:
    return selectors.staffed_campaigns(call.user).select_related("group", "employer")


def _campaign(call: Call, campaign_id: str) -> Campaign:
    campaign: Campaign = get_by_public_id(_campaigns(call), campaign_id, "organizing campaign")
    return campaign


def serialize_campaign(campaign: Campaign, base: str, statistics: bool = False) -> dict[str, Any]:
    href = f"{base}organizing_campaigns/{campaign.public_id}"
    data: dict[str, Any] = {
        **_common(campaign), "name": campaign.name, "group": campaign.group.name,
        "employer": campaign.employer.name if campaign.employer else None, "union_name": campaign.union_name,
        "card_valid_days": campaign.card_valid_days, "supermajority": campaign.supermajority,
        "browser_url": f"{base.split('/api/v2/')[0]}{campaign.public_url()}",
        "_links": {"self": link(href), "turnout:workers": link(f"{href}/workers"), "curies": curies(base)}}
    if statistics:
        rollup = selectors.rollup(campaign)
        data["statistics"] = {
            "shops": rollup.shops, "workers": rollup.workers, "cards": rollup.cards,
            "percent_carded": rollup.percent, "expired_cards": rollup.expired, "assessed_1_2": rollup.low,
            "committee": rollup.committee, "uncovered": rollup.uncovered, "elections_won": rollup.won,
            "elections_lost": rollup.lost, "by_stage": {value: n for value, _label, n in rollup.by_stage}}
        data["units"] = [
            {"unit": f"{base}organizing_units/{u.public_id}", "workplace": f"{base}workplaces/{u.workplace.public_id}",
             "name": u.workplace.name, "stage": u.stage, "attempt": u.attempt, "workers": u.n_workers,
             "cards": u.n_cards, "percent_carded": u.percent}
            for u in rollup.units]
    return data


def campaigns_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_campaigns(call), key="turnout:organizing_campaigns",
                      path="organizing_campaigns", serialize=lambda c: serialize_campaign(c, call.base),
                      filters=FILTERS)


def campaign_detail(call: Call, organizing_campaign_id: str) -> dict[str, Any]:
    return serialize_campaign(_campaign(call, organizing_campaign_id), call.base, statistics=True)


def campaign_create(call: Call) -> HttpResponse:
    """A campaign of the token's group with a unit for each workplace named, in one transaction."""
    call.require_write()
    body = call.body
    fields: dict[str, Any] = {"name": inputs.text(body.get("name", ""), "name", 200),
                              "union_name": inputs.text(body.get("union_name", call.group.name), "union_name", 200),
                              "card_text_es": inputs.text(body.get("card_text_es", ""), "card_text_es", 5000)}
    if not fields["name"]:
        raise ApiError(400, "A campaign needs a name.")
    text = inputs.text(body.get("card_text", ""), "card_text", 5000)
    if text:
        fields["card_text"] = text
    for name, low, high in (("card_valid_days", 1, 3650), ("supermajority", 51, 100)):
        if name in body:
            fields[name] = inputs.whole(body[name], name, low, high)
    workplaces = []
    for workplace_id in inputs.items(body.get("workplace_ids", []), "workplace_ids"):
        try:
            workplaces.append(get_by_public_id(_workplaces(call), _id(workplace_id, "workplace_ids"), "workplace"))
        except ApiError as exc:
            raise ApiError(400, f"workplace_ids: {exc.message}") from None
    try:
        campaign = services.create_campaign(actor=call.user, group=call.group, fields=fields, workplaces=workplaces)
    except services.OrganizingError as exc:
        raise ApiError(400, f"workplace_ids: {exc}") from None
    campaign = _campaigns(call).get(pk=campaign.pk)
    return json_response(serialize_campaign(campaign, call.base, statistics=True), status=201)


# --- thresholds ----------------------------------------------------------------------------------


def _lines(eligible: int, cards: int, supermajority: int, units: list[Any] | None = None) -> list[dict[str, Any]]:
    """Each line (30% to file, majority, supermajority): the cards it needs, whether it is reached
    and how many cards are still to go; with `units`, how many of them have reached it."""
    out = []
    for label, percent, needed, to_go in selectors.lines(eligible, cards, supermajority):
        line: dict[str, Any] = {"line": label, "percent": percent, "needed": needed, "cards": cards,
                                "reached": eligible > 0 and to_go == 0, "to_go": to_go}
        if units is not None:
            line["units_reached"] = sum(1 for u in units
                                        if u.n_workers and u.n_cards >= selectors.needed(u.n_workers, percent))
        out.append(line)
    return out


def campaign_thresholds(call: Call, organizing_campaign_id: str) -> dict[str, Any]:
    """The campaign page's roll-up as threshold lines: the campaign's over every unit, and each unit's."""
    campaign = _campaign(call, organizing_campaign_id)
    rollup = selectors.rollup(campaign)
    href = f"{call.base}organizing_campaigns/{campaign.public_id}"
    return {
        "eligible": rollup.workers, "cards": rollup.cards, "expired": rollup.expired,
        "percent_carded": rollup.percent, "supermajority": campaign.supermajority,
        "lines": _lines(rollup.workers, rollup.cards, campaign.supermajority, units=rollup.units),
        "units": [{"unit": f"{call.base}organizing_units/{u.public_id}", "name": u.workplace.name, "stage": u.stage,
                   "eligible": u.n_workers, "cards": u.n_cards, "expired": u.n_expired, "percent_carded": u.percent,
                   "lines": _lines(u.n_workers, u.n_cards, campaign.supermajority)} for u in rollup.units],
        "_links": {"self": link(f"{href}/thresholds"), "turnout:organizing_campaign": link(href),
                   "curies": curies(call.base)},
    }


def _units(call: Call) -> QuerySet[Unit]:
    return selectors.units_for(call.user).select_related("campaign", "workplace")


def unit_detail(call: Call, unit_id: str) -> dict[str, Any]:
    """A unit its campaign's staff or its volunteers see, with the unit page's threshold lines."""
    unit: Unit = get_by_public_id(_units(call), unit_id, "unit")
    threshold = selectors.threshold(unit)
    return {**_common(unit), "name": unit.workplace.name, "stage": unit.stage, "attempt": unit.attempt,
            "eligible": threshold.eligible, "cards": threshold.cards, "expired": threshold.expired,
            "percent_carded": threshold.percent, "supermajority": threshold.supermajority,
            "lines": _lines(threshold.eligible, threshold.cards, threshold.supermajority),
            "_links": {"self": link(f"{call.base}organizing_units/{unit.public_id}"),
                       "turnout:workplace": link(f"{call.base}workplaces/{unit.workplace.public_id}"),
                       "turnout:organizing_campaign": link(
                           f"{call.base}organizing_campaigns/{unit.campaign.public_id}"),
                       "curies": curies(call.base)}}


# --- rosters -------------------------------------------------------------------------------------


def serialize_worker(worker: Worker, base: str) -> dict[str, Any]:
    person = worker.person
    return {**_common(worker), "given_name": person.given_name, "family_name": person.family_name,
            "workplace": worker.unit.workplace.name, "department": str(worker.department or ""),
            "shift": str(worker.shift or ""), "job_title": str(worker.job or ""), "in_unit": worker.eligible,
            "support": worker.support, "assessed_date": stamp(worker.assessed_at), "committee": worker.on_committee,
            "card_signed_date": stamp(worker.card_signed_at),
            "_links": {"self": link(f"{base}organizing_workers/{worker.public_id}"),
                       "osdi:person": link(f"{base}people/{person.public_id}"),
                       "turnout:unit": link(f"{base}organizing_units/{worker.unit.public_id}")}}


def workers_list(call: Call, organizing_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, organizing_campaign_id)
    workers = Worker.objects.filter(unit__campaign=campaign).select_related(
        "person", "unit__workplace", "department", "shift", "job")
    return collection(call, queryset=workers, key="turnout:workers",
                      path=f"organizing_campaigns/{campaign.public_id}/workers",
                      serialize=lambda w: serialize_worker(w, call.base), filters=FILTERS,
                      prefetch=selectors.with_cards)


def _roster_worker(call: Call, worker_id: str) -> Worker:
    worker: Worker = get_by_public_id(selectors.workers_for(call.user).select_related(
        "person", "unit__workplace", "unit__campaign__group", "department", "shift", "job"), worker_id, "worker")
    return worker


def worker_detail(call: Call, worker_id: str) -> dict[str, Any]:
    return serialize_worker(_roster_worker(call, worker_id), call.base)


# What a roster body calls the worker's department, shift and job, by the workplace map's kinds.
PLACES = (("department", "department"), ("shift", "shift"), ("job_title", "job"))


def _runs(call: Call, campaign: Campaign) -> None:
    """Roster changes need an organizer: of the token's group, and running this campaign."""
    call.require_write()
    if not selectors.runs(call.user, campaign):
        raise ApiError(403, "This token's user may read this roster but not change it.")


def _placement(data: dict[str, Any]) -> tuple[dict[str, str], bool | None]:
    names = {kind: inputs.text(data[key], key, 100) for key, kind in PLACES if key in data}
    eligible = data.get("in_unit")
    if eligible is not None and not isinstance(eligible, bool):
        raise ApiError(400, "in_unit must be true or false.")
    return names, eligible


def _unit_of(call: Call, campaign: Campaign) -> Unit:
    """The unit a roster body names by its workplace; a campaign of one unit needs no name."""
    units = campaign.units.select_related("workplace", "campaign__group")
    workplace_id = call.body.get("workplace_id")
    if workplace_id in (None, ""):
        only = list(units[:2])
        if len(only) != 1:
            raise ApiError(400, "Give workplace_id: the campaign's workplace whose roster the worker joins.")
        return only[0]
    ident = _uuid(_id(workplace_id, "workplace_id"))
    unit = units.filter(workplace__public_id=ident).first() if ident else None
    if unit is None:
        raise ApiError(400, "workplace_id names no workplace of this campaign.")
    return unit


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def worker_add(call: Call, organizing_campaign_id: str) -> HttpResponse:
    """Put a person on a unit's roster: someone the token may change (by reference), or a coworker
    added to the campaign's group as the unit page adds one (`person`: name, email, phone)."""
    campaign = _campaign(call, organizing_campaign_id)
    _runs(call, campaign)
    unit = _unit_of(call, campaign)
    names, eligible = _placement(call.body)
    data = call.body.get("person")
    coworker: dict[str, str] | None = None
    if isinstance(data, dict):
        emails, phones = inputs.emails(data.get("email_addresses")), inputs.phones(data.get("phone_numbers"))
        coworker = {"given_name": inputs.text(data.get("given_name"), "given_name", 100),
                    "family_name": inputs.text(data.get("family_name"), "family_name", 100),
                    "email": emails[0].value if emails else "", "phone": phones[0].value if phones else ""}
        if not coworker["given_name"]:
            raise ApiError(400, "A worker to add needs a given_name.")
    with transaction.atomic():  # the map's new names, the person and their row, or none of them
        placement: dict[str, Any] = dict(services.areas_named(actor=call.user, workplace=unit.workplace, names=names))
        if eligible is not None:
            placement["eligible"] = eligible
        if coworker is not None:
            worker, created = services.add_worker_by_hand(
                actor=call.user, unit=unit, given_name=coworker["given_name"], family_name=coworker["family_name"],
                email=coworker["email"], phone=coworker["phone"], placement=placement)
        else:
            worker, created = services.put_on_roster(actor=call.user, unit=unit,
                                                     person=person_reference(call, call.body), placement=placement)
    worker = _roster_worker(call, str(worker.public_id))
    return json_response(serialize_worker(worker, call.base), status=201 if created else 200)


def worker_update(call: Call, worker_id: str) -> dict[str, Any]:
    """A worker's department, shift, job (by name; a new one joins the workplace's map) and whether
    they are in the unit."""
    worker = _roster_worker(call, worker_id)
    _runs(call, worker.unit.campaign)
    names, eligible = _placement(call.body)
    services.place_worker(actor=call.user, worker=worker, names=names, eligible=eligible)
    return serialize_worker(_roster_worker(call, worker_id), call.base)


def worker_remove(call: Call, worker_id: str) -> dict[str, Any]:
    worker = _roster_worker(call, worker_id)
    _runs(call, worker.unit.campaign)
    try:
        services.remove_from_roster(actor=call.user, worker=worker)
    except services.RosterConflict as exc:
        raise ApiError(409, str(exc)) from None
    return {"notice": "The worker was taken off the roster."}


def _worker(call: Call, worker_id: Any) -> Worker:
    try:
        worker: Worker = get_by_public_id(selectors.workers_for(call.user).select_related(
            "person", "unit__campaign__group", "unit__workplace__employer", "job"), _id(worker_id, "worker_id"),
            "worker")
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(400, "worker_id names no worker this token can see.") from None
        raise
    return worker


# --- requests to organize a workplace ------------------------------------------------------------

REQUEST_FILTERS = {**FILTERS, "status": odata.text("status")}


def _requests(call: Call) -> QuerySet[Request]:
    return selectors.requests_for(call.user).select_related("person", "group", "organizer__user", "mentor__user",
                                                            "unit")


def _volunteer(volunteer: Volunteer | None) -> dict[str, Any] | None:
    if volunteer is None:
        return None
    return {"identifiers": identifiers(volunteer), "name": str(volunteer), "kind": volunteer.kind}


def serialize_request(item: Request, base: str, staff: bool = False) -> dict[str, Any]:
    """A request; `staff` (an organizer of its group, on one request) adds the worker's story and
    the volunteers the console would suggest."""
    href = f"{base}organizing_requests/{item.public_id}"
    data: dict[str, Any] = {
        **_common(item), "given_name": item.person.given_name, "family_name": item.person.family_name,
        "group": item.group.name, "employer": item.employer_name, "workplace_address": item.workplace_address,
        "postal_code": item.postal_code, "industry": item.industry, "size": item.size, "reach_by": item.reach_by,
        "best_time": item.best_time, "language": item.language, "status": item.status,
        "status_changed_date": stamp(item.status_changed_at), "closed_reason": item.closed_reason,
        "organizer": _volunteer(item.organizer), "mentor": _volunteer(item.mentor),
        "assigned_date": stamp(item.assigned_at), "has_story": bool(item.story),
        "_links": {"self": link(href), "osdi:person": link(f"{base}people/{item.person.public_id}"),
                   **({"turnout:unit": link(f"{base}organizing_units/{item.unit.public_id}")} if item.unit else {}),
                   "curies": curies(base)}}
    if staff:
        data["story"] = item.story or ""
        data["suggested_organizers"] = [{**(_volunteer(s.volunteer) or {}), "reasons": s.reasons,
                                         "caseload": s.caseload, "capacity": s.volunteer.capacity, "full": s.full}
                                        for s in selectors.suggestions(item)]
        data["suggested_mentors"] = [{**(_volunteer(s.volunteer) or {}), "reasons": s.reasons,
                                      "caseload": s.caseload, "capacity": s.volunteer.capacity, "full": s.full}
                                     for s in selectors.suggestions(item, mentors=True)]
    return data


def requests_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_requests(call), key="turnout:organizing_requests", path="organizing_requests",
                      serialize=lambda r: serialize_request(r, call.base), filters=REQUEST_FILTERS)


def _request(call: Call, request_id: str) -> Request:
    item: Request = get_by_public_id(_requests(call), request_id, "organizing request")
    return item


def request_detail(call: Call, request_id: str) -> dict[str, Any]:
    """One request; its story for organizers of its group. Each reading is on the audit log, as
    the console's page has it."""
    item = _request(call, request_id)
    staff = has_role(call.user, item.group, Role.ORGANIZER)
    audit.record(actor=call.user, action=AuditEntry.Action.VIEW, target=item, request=call.request, group=item.group,
                 summary=f"Viewed an organizing request through the API (token “{call.token.name}”)")
    return serialize_request(item, call.base, staff=staff)


def _chosen_volunteer(item: Request, value: Any, name: str) -> Volunteer | None:
    if value in (None, ""):
        return None
    ident = _uuid(_id(value, name))
    volunteer = (Volunteer.objects.filter(group__in=item.group.ancestors_and_self(), public_id=ident)
                 .select_related("user").first() if ident else None)
    if volunteer is None:
        raise ApiError(400, f"{name} names no volunteer who organizes with this request's group.")
    return volunteer


def request_update(call: Call, request_id: str) -> dict[str, Any]:
    """Triage, as the console's page does: match an organizer and a mentor (each told by email),
    and move the request along (a closed one needs its reason)."""
    item = _request(call, request_id)
    call.require_write()
    if not has_role(call.user, item.group, Role.ORGANIZER):
        raise ApiError(403, "This token's user may read this request but not triage it.")
    body = call.body
    try:
        with transaction.atomic():
            if "organizer_id" in body or "mentor_id" in body:
                organizer = (_chosen_volunteer(item, body["organizer_id"], "organizer_id") if "organizer_id" in body
                             else item.organizer)
                mentor = _chosen_volunteer(item, body["mentor_id"], "mentor_id") if "mentor_id" in body else item.mentor
                over = body.get("over_capacity", False)
                if not isinstance(over, bool):
                    raise ApiError(400, "over_capacity must be true or false.")
                item = services.assign_request(actor=call.user, request=item, organizer=organizer, mentor=mentor,
                                               over_capacity=over)
            if "status" in body:
                if body["status"] not in Request.Status.values:
                    raise ApiError(400, f"status must be one of {', '.join(Request.Status.values)}.")
                item = services.set_request_status(actor=call.user, request=item, status=body["status"],
                                                   reason=inputs.text(body.get("closed_reason"), "closed_reason", 200))
    except services.OrganizingError as exc:
        raise ApiError(400, str(exc)) from None
    return serialize_request(_request(call, request_id), call.base, staff=True)


# --- assessments ---------------------------------------------------------------------------------


def _assessments(call: Call) -> QuerySet[Assessment]:
    return Assessment.objects.filter(worker__in=selectors.workers_for(call.user)).select_related(
        "worker__person", "assessor")


def serialize_assessment(assessment: Assessment, base: str) -> dict[str, Any]:
    return {"identifiers": [f"action_network:{assessment.public_id}"],
            "score": assessment.score, "assessed_date": stamp(assessment.at), "assessor": assessment.assessor_label,
            "has_notes": bool(assessment.notes),
            "_links": {"self": link(f"{base}assessments/{assessment.public_id}"),
                       "turnout:worker": link(f"{base}organizing_workers/{assessment.worker.public_id}")}}


def assessments_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_assessments(call), key="turnout:assessments", path="assessments",
                      serialize=lambda a: serialize_assessment(a, call.base))


def assessment_detail(call: Call, assessment_id: str) -> dict[str, Any]:
    return serialize_assessment(get_by_public_id(_assessments(call), assessment_id, "assessment"), call.base)


def assessment_create(call: Call) -> HttpResponse:
    worker = _worker(call, call.body.get("worker_id"))  # campaign staff, or a volunteer of the worker's unit
    score = inputs.whole(call.body.get("score"), "score (1 leader … 5 opposed)", 1, 5)
    assessment = services.assess(actor=call.user, worker=worker, score=score,
                                 notes=inputs.text(call.body.get("notes", ""), "notes", 4000))
    return json_response(serialize_assessment(assessment, call.base), status=201)


# --- cards ---------------------------------------------------------------------------------------


def _cards(call: Call) -> QuerySet[Card]:
    # A card waiting for review names someone the roster may not hold: like the console's review
    # queue, only the campaign's staff read it; a unit's volunteers see cards once matched.
    return (Card.objects.filter(unit__in=selectors.units_for(call.user))
            .filter(Q(pending=False) | Q(unit__campaign__in=selectors.staffed_campaigns(call.user)))
            .select_related("unit__workplace", "unit__campaign"))


def serialize_card(card: Card, base: str) -> dict[str, Any]:
    links = {"self": link(f"{base}cards/{card.public_id}"),
             "turnout:organizing_campaign": link(f"{base}organizing_campaigns/{card.unit.campaign.public_id}")}
    if card.worker_ref:  # the signer's roster row, from the card's sealed reference; none while it waits
        links["turnout:worker"] = link(f"{base}organizing_workers/{card.worker_ref}")
    elif card.pending and card.candidate_ref:  # the roster row the name signed matches, to confirm or not
        links["turnout:candidate"] = link(f"{base}organizing_workers/{card.candidate_ref}")
    return {**_common(card), "kind": card.kind, "signed_name": card.signed_name, "signed_date": stamp(card.signed_at),
            "signed_local_date": card.local_signed_at.date().isoformat(), "time_zone": card.zone.key,
            "waiting_for_review": card.pending, "counts": card.counts,
            "expired": card.expired(), "employer": card.employer_name, "job_title": card.job_title,
            "workplace": card.unit.workplace.name, "text": card.text, "has_scan": bool(card.scan), "_links": links}


def cards_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_cards(call), key="turnout:cards", path="cards",
                      serialize=lambda c: serialize_card(c, call.base), filters=FILTERS)


def card_detail(call: Call, card_id: str) -> dict[str, Any]:
    return serialize_card(get_by_public_id(_cards(call), card_id, "card"), call.base)


def card_create(call: Call) -> HttpResponse:
    """Record a paper card (the date on it); e-signed cards come only from the worker's own card page.
    A worker who has a card already gets it updated (200), not a second one (201)."""
    worker = _worker(call, call.body.get("worker_id"))  # campaign staff, or a volunteer of the worker's unit
    had = Card.objects.of_worker(worker).filter(unit_id=worker.unit_id).exists()
    try:
        signed_on = dates.read_day(call.body.get("signed_date"), "signed_date")
    except dates.DateError as exc:
        raise ApiError(400, str(exc)) from None
    try:
        card = services.record_paper_card(actor=call.user, worker=worker, signed_on=signed_on, scan=None)
    except services.RosterConflict as exc:  # a newer card on file: the request was fine, the state refuses it
        raise ApiError(409, str(exc)) from None
    except services.OrganizingError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(serialize_card(_cards(call).get(pk=card.pk), call.base), status=200 if had else 201)


def _waiting_card(call: Call, card_id: str) -> Card:
    """A card the review queue holds, for staff who run its campaign (as the console's queue)."""
    card: Card = get_by_public_id(_cards(call).select_related("unit__campaign__group"), card_id, "card")
    _runs(call, card.unit.campaign)
    if not card.pending:
        raise ApiError(409, "This card was already matched: a matched card is evidence and is kept.")
    return card


def card_confirm(call: Call, card_id: str) -> dict[str, Any]:
    """Confirm a card waiting for review: as the roster worker `worker_id` names (one of the card's
    own workplace), or with none, its signer added to the roster as a new coworker. It counts from now."""
    card = _waiting_card(call, card_id)
    worker: Worker | None = None
    if call.body.get("worker_id") is not None:
        try:
            worker = get_by_public_id(Worker.objects.filter(unit_id=card.unit_id).select_related("person"),
                                      _id(call.body["worker_id"], "worker_id"), "worker")
        except ApiError as exc:
            if exc.status == 404:
                raise ApiError(400, "worker_id names no worker on the roster of the card's workplace.") from None
            raise
    try:
        card = services.confirm_card(actor=call.user, card=card, worker=worker)
    except services.OrganizingError as exc:
        raise ApiError(400, str(exc)) from None
    return serialize_card(_cards(call).get(pk=card.pk), call.base)


def card_discard(call: Call, card_id: str) -> dict[str, Any]:
    """Discard a card waiting for review (a stranger's, a prank); a matched card is kept (409)."""
    card = _waiting_card(call, card_id)
    try:
        services.discard_card(actor=call.user, card=card)
    except services.OrganizingError as exc:
        raise ApiError(409, str(exc)) from None
    return {"notice": "The card was discarded."}

