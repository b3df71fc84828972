"""Organizing as Turnout resources: workplaces, organizing campaigns (with their units' thresholds
and their rosters), assessments and cards, seen as the console sees them: campaign staff see
their campaigns, volunteers their units, a locked campaign its admins only.

Assessment notes are accepted but never returned: they are read in the console, where each
reading is audited. (Action Network's own `campaigns` are advocacy campaigns; these are
`organizing_campaigns`.)"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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
from turnout.organizing import selectors, services
from turnout.organizing.models import (
    Assessment,
    Campaign,
    Card,
    Employer,
    Industry,
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
            {"workplace": f"{base}workplaces/{u.workplace.public_id}", "name": u.workplace.name, "stage": u.stage,
             "attempt": u.attempt, "workers": u.n_workers, "cards": u.n_cards, "percent_carded": u.percent}
            for u in rollup.units]
    return data


def campaigns_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_campaigns(call), key="turnout:organizing_campaigns",
                      path="organizing_campaigns", serialize=lambda c: serialize_campaign(c, call.base),
                      filters=FILTERS)


def campaign_detail(call: Call, organizing_campaign_id: str) -> dict[str, Any]:
    return serialize_campaign(_campaign(call, organizing_campaign_id), call.base, statistics=True)


def campaign_create(call: Call) -> HttpResponse:
    call.require_write()
    body = call.body
    campaign = Campaign(group=call.group, name=inputs.text(body.get("name", ""), "name", 200),
                        union_name=inputs.text(body.get("union_name", call.group.name), "union_name", 200))
    if not campaign.name:
        raise ApiError(400, "A campaign needs a name.")
    text = inputs.text(body.get("card_text", ""), "card_text", 5000)
    if text:
        campaign.card_text = text
    campaign.card_text_es = inputs.text(body.get("card_text_es", ""), "card_text_es", 5000)
    for name, low, high in (("card_valid_days", 1, 3650), ("supermajority", 51, 100)):
        if name in body:
            setattr(campaign, name, inputs.whole(body[name], name, low, high))
    campaign.save()
    for workplace_id in inputs.items(body.get("workplace_ids", []), "workplace_ids"):
        try:
            workplace = get_by_public_id(_workplaces(call), _id(workplace_id, "workplace_ids"), "workplace")
            services.add_unit(actor=call.user, campaign=campaign, workplace=workplace)
        except (ApiError, services.OrganizingError) as exc:
            campaign.delete()
            raise ApiError(400, f"workplace_ids: {exc}") from None
    campaign = _campaigns(call).get(pk=campaign.pk)
    return json_response(serialize_campaign(campaign, call.base, statistics=True), status=201)


def serialize_worker(worker: Worker, base: str) -> dict[str, Any]:
    person = worker.person
    return {**_common(worker), "given_name": person.given_name, "family_name": person.family_name,
            "workplace": worker.unit.workplace.name, "department": str(worker.department or ""),
            "shift": str(worker.shift or ""), "job_title": str(worker.job or ""), "in_unit": worker.eligible,
            "support": worker.support, "assessed_date": stamp(worker.assessed_at), "committee": worker.on_committee,
            "card_signed_date": stamp(worker.card_signed_at),
            "_links": {"self": link(f"{base}organizing_workers/{worker.public_id}"),
                       "osdi:person": link(f"{base}people/{person.public_id}")}}


def workers_list(call: Call, organizing_campaign_id: str) -> dict[str, Any]:
    campaign = _campaign(call, organizing_campaign_id)
    workers = Worker.objects.filter(unit__campaign=campaign).select_related(
        "person", "unit__workplace", "department", "shift", "job")
    return collection(call, queryset=workers, key="turnout:workers",
                      path=f"organizing_campaigns/{campaign.public_id}/workers",
                      serialize=lambda w: serialize_worker(w, call.base), filters=FILTERS)


def worker_detail(call: Call, worker_id: str) -> dict[str, Any]:
    worker = get_by_public_id(selectors.workers_for(call.user).select_related(
        "person", "unit__workplace", "department", "shift", "job"), worker_id, "worker")
    return serialize_worker(worker, call.base)


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
    return Card.objects.filter(unit__in=selectors.units_for(call.user)).select_related(
        "unit__workplace", "unit__campaign", "worker")


def serialize_card(card: Card, base: str) -> dict[str, Any]:
    return {**_common(card), "kind": card.kind, "signed_name": card.signed_name, "signed_date": stamp(card.signed_at),
            "expired": card.expired(), "employer": card.employer_name, "job_title": card.job_title,
            "workplace": card.unit.workplace.name, "text": card.text, "has_scan": bool(card.scan),
            "_links": {"self": link(f"{base}cards/{card.public_id}"),
                       "turnout:worker": link(f"{base}organizing_workers/{card.worker.public_id}"),
                       "turnout:organizing_campaign": link(f"{base}organizing_campaigns/{card.unit.campaign.public_id}")}}


def cards_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_cards(call), key="turnout:cards", path="cards",
                      serialize=lambda c: serialize_card(c, call.base), filters=FILTERS)


def card_detail(call: Call, card_id: str) -> dict[str, Any]:
    return serialize_card(get_by_public_id(_cards(call), card_id, "card"), call.base)


def card_create(call: Call) -> HttpResponse:
    """Record a paper card (the date on it); e-signed cards come only from the worker's own card page."""
    worker = _worker(call, call.body.get("worker_id"))  # campaign staff, or a volunteer of the worker's unit
    try:
        signed_on = dates.read_day(call.body.get("signed_date"), "signed_date")
    except dates.DateError as exc:
        raise ApiError(400, str(exc)) from None
    try:
        card = services.record_paper_card(actor=call.user, worker=worker, signed_on=signed_on, scan=None)
    except services.OrganizingError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(serialize_card(_cards(call).get(pk=card.pk), call.base), status=201)

