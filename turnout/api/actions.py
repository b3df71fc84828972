"""Forms and submissions, petitions and signatures, as Action Network's v2 API shapes them.

POST …/submissions and POST …/signatures are the record helpers: they take a person reference
(link, `action_network:person_id`, email) or a `person` to sign up by the signup helper's rules,
and go through the same services as the public pages (a closed form or petition refuses with a
409; a form's tags, autoresponse and referral credit apply). Forms and petitions are built and
changed through the services the console uses.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpResponse

from turnout.accounts.models import Role
from turnout.actions import services
from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api import helpers, inputs, odata
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
from turnout.api.lookup import visible_people, visible_person
from turnout.api.signers import named_person
from turnout.api.views import signup_arguments
from turnout.core.dangerous import split_dangerous

FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}


def _writable(call: Call, record: Form | Petition, what: str) -> None:
    call.require_write()
    if not call.may(record.group, Role.ORGANIZER):
        raise ApiError(403, f"This token's user may read this {what} but not change it.")


def _browser_url(call: Call, record: Form | Petition) -> str:
    return call.request.build_absolute_uri(record.public_url())


def _referrer(call: Call) -> str:
    """The share code of whoever brought the person, as Action Network clients send it."""
    data = call.body.get("action_network:referrer_data")
    code = data.get("referrer") if isinstance(data, dict) else None
    return inputs.text(code, "referrer", 16) if isinstance(code, str) else ""


# Forms ------------------------------------------------------------------------------------------


def _forms(call: Call) -> QuerySet[Form]:
    return (Form.objects.visible_to(call.user).select_related("group")
            .annotate(total=Count("submissions")))


def serialize_form(form: Form, call: Call) -> dict[str, Any]:
    href = f"{call.base}forms/{form.public_id}"
    return {
        "identifiers": identifiers(form), "origin_system": "Turnout",
        "created_date": stamp(form.created_at), "modified_date": stamp(form.updated_at),
        "title": form.title, "description": form.description, "call_to_action": form.title,
        "browser_url": _browser_url(call, form), "total_submissions": getattr(form, "total", None),
        "turnout:is_open": form.is_open,
        "_links": {"self": link(href), "osdi:submissions": link(f"{href}/submissions"),
                   "osdi:record_submission_helper": link(f"{href}/submissions"), "curies": curies(call.base)},
    }


def _form_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    fields = {name: inputs.text(data[name], name, limit) for name, limit in (("title", 200), ("description", 20000))
              if name in data}
    if (creating or "title" in fields) and not fields.get("title"):
        raise ApiError(400, "A form needs a title.")
    return fields


def forms_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_forms(call), key="osdi:forms", path="forms",
                      serialize=lambda f: serialize_form(f, call), filters=FILTERS)


def form_create(call: Call) -> HttpResponse:
    call.require_write()
    form = services.create_form(actor=call.user, group=call.group, fields=_form_fields(call.body, creating=True))
    return json_response(serialize_form(_forms(call).get(pk=form.pk), call), status=201)


def _form(call: Call, form_id: str, write: bool = False) -> Form:
    # A write answers with a fresh read (or no form at all): no submission count to make here.
    forms = Form.objects.visible_to(call.user).select_related("group") if write else _forms(call)
    form: Form = get_by_public_id(forms, form_id, "form")
    if write:
        _writable(call, form, "form")
    return form


def form_detail(call: Call, form_id: str) -> dict[str, Any]:
    return serialize_form(_form(call, form_id), call)


def form_update(call: Call, form_id: str) -> dict[str, Any]:
    form = _form(call, form_id, write=True)
    services.update_form(actor=call.user, form=form, fields=_form_fields(call.body, creating=False))
    return serialize_form(_forms(call).get(pk=form.pk), call)


def serialize_submission(submission: Submission, base: str) -> dict[str, Any]:
    form_href = f"{base}forms/{submission.form.public_id}"
    return {
        "identifiers": identifiers(submission), "origin_system": "Turnout",
        "created_date": stamp(submission.created_at), "modified_date": stamp(submission.updated_at),
        "action_network:person_id": str(submission.person.public_id),
        "action_network:form_id": str(submission.form.public_id),
        "action_network:referrer_data": {"source": submission.source, "referrer": "", "website": ""},
        "turnout:answers": submission.answers,
        "_links": {"self": link(f"{form_href}/submissions/{submission.public_id}"), "osdi:form": link(form_href),
                   "osdi:person": link(f"{base}people/{submission.person.public_id}"), "curies": curies(base)},
    }


def _submissions(call: Call) -> QuerySet[Submission]:
    return Submission.objects.filter(person__in=visible_people(call)).select_related("form", "person")


def submissions_list(call: Call, form_id: str) -> dict[str, Any]:
    form = _form(call, form_id)
    return collection(call, queryset=_submissions(call).filter(form=form), key="osdi:submissions",
                      path=f"forms/{form.public_id}/submissions",
                      serialize=lambda s: serialize_submission(s, call.base), filters=FILTERS)


def submission_create(call: Call, form_id: str) -> HttpResponse:
    """The record submission helper: the form's page's rules (the same person again within minutes
    changes their submission, answered 200)."""
    form = helpers.page(call, Form, form_id, "form")
    _writable(call, form, "form")
    answers = call.body.get("turnout:answers") or {}
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise ApiError(400, "turnout:answers must be an object of question → text.")
    answers, refused = split_dangerous(answers)
    call.refused += refused
    arguments = signup_arguments(call) if isinstance(call.body.get("person"), dict) else None
    arrival = helpers.arrival(call, helpers.SUBMISSION, form, arguments, answers=answers, ref=_referrer(call))
    if arrival is not None:
        taken = helpers.take(arrival)
        if isinstance(taken, Submission):
            return json_response(serialize_submission(taken, call.base), status=201)
    form = _form(call, form_id, write=True)  # the one-by-one way reads the form afresh
    try:
        with transaction.atomic():  # a refused submission signs nobody up
            submission, created = services.record_submission(actor=call.user, form=form,
                                                             person=named_person(call, arguments),
                                                             answers=answers, ref=_referrer(call))
    except services.ActionError as exc:
        raise ApiError(409, str(exc)) from None
    submission = _submissions(call).get(pk=submission.pk)
    return json_response(serialize_submission(submission, call.base), status=201 if created else 200)


def submission_detail(call: Call, form_id: str, submission_id: str) -> dict[str, Any]:
    form = _form(call, form_id)
    submission = get_by_public_id(_submissions(call).filter(form=form), submission_id, "submission")
    return serialize_submission(submission, call.base)


def person_submissions(call: Call, person_id: str) -> dict[str, Any]:
    person = visible_person(call, person_id)
    found = _submissions(call).filter(person=person, form__in=Form.objects.visible_to(call.user))
    return collection(call, queryset=found, key="osdi:submissions", path=f"people/{person.public_id}/submissions",
                      serialize=lambda s: serialize_submission(s, call.base), filters=FILTERS)


# Petitions --------------------------------------------------------------------------------------


def _petitions(call: Call) -> QuerySet[Petition]:
    return (Petition.objects.visible_to(call.user).select_related("group")
            .annotate(total=Count("signatures")))


def serialize_petition(petition: Petition, call: Call) -> dict[str, Any]:
    href = f"{call.base}petitions/{petition.public_id}"
    return {
        "identifiers": identifiers(petition), "origin_system": "Turnout",
        "created_date": stamp(petition.created_at), "modified_date": stamp(petition.updated_at),
        "title": petition.title, "petition_text": petition.petition_text,
        "target": [{"name": name} for name in petition.target_list()],
        "browser_url": _browser_url(call, petition), "total_signatures": getattr(petition, "total", None),
        "turnout:goal": petition.goal, "turnout:is_open": petition.is_open,
        "_links": {"self": link(href), "osdi:signatures": link(f"{href}/signatures"),
                   "osdi:record_signature_helper": link(f"{href}/signatures"), "curies": curies(call.base)},
    }


def _petition_fields(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "title" in data:
        fields["title"] = inputs.text(data["title"], "title", 200)
    if "petition_text" in data:
        fields["petition_text"] = inputs.text(data["petition_text"], "petition_text", 20000)
    if "target" in data:
        names = []
        for entry in inputs.items(data["target"], "target"):
            name = entry.get("name") if isinstance(entry, dict) else entry
            names.append(inputs.text(name, "target name", 200))
        fields["targets"] = "\n".join(name for name in names if name)
    if (creating or "title" in fields) and not fields.get("title"):
        raise ApiError(400, "A petition needs a title.")
    return fields


def petitions_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_petitions(call), key="osdi:petitions", path="petitions",
                      serialize=lambda p: serialize_petition(p, call), filters=FILTERS)


def petition_create(call: Call) -> HttpResponse:
    call.require_write()
    petition = services.create_petition(actor=call.user, group=call.group,
                                        fields=_petition_fields(call.body, creating=True))
    return json_response(serialize_petition(_petitions(call).get(pk=petition.pk), call), status=201)


def _petition(call: Call, petition_id: str, write: bool = False) -> Petition:
    # A write answers with a fresh read (or no petition at all): no signature count to make here.
    petitions = Petition.objects.visible_to(call.user).select_related("group") if write else _petitions(call)
    petition: Petition = get_by_public_id(petitions, petition_id, "petition")
    if write:
        _writable(call, petition, "petition")
    return petition


def petition_detail(call: Call, petition_id: str) -> dict[str, Any]:
    return serialize_petition(_petition(call, petition_id), call)


def petition_update(call: Call, petition_id: str) -> dict[str, Any]:
    petition = _petition(call, petition_id, write=True)
    services.update_petition(actor=call.user, petition=petition, fields=_petition_fields(call.body, creating=False))
    return serialize_petition(_petitions(call).get(pk=petition.pk), call)


def serialize_signature(signature: PetitionSignature, base: str) -> dict[str, Any]:
    petition_href = f"{base}petitions/{signature.petition.public_id}"
    return {
        "identifiers": identifiers(signature), "origin_system": "Turnout",
        "created_date": stamp(signature.created_at), "modified_date": stamp(signature.updated_at),
        "comments": signature.comment,
        "action_network:person_id": str(signature.person.public_id),
        "action_network:petition_id": str(signature.petition.public_id),
        "action_network:referrer_data": {"source": signature.source, "referrer": "", "website": ""},
        "_links": {"self": link(f"{petition_href}/signatures/{signature.public_id}"),
                   "osdi:petition": link(petition_href),
                   "osdi:person": link(f"{base}people/{signature.person.public_id}"), "curies": curies(base)},
    }


def _signatures(call: Call) -> QuerySet[PetitionSignature]:
    return PetitionSignature.objects.filter(person__in=visible_people(call)).select_related("petition", "person")


def signatures_list(call: Call, petition_id: str) -> dict[str, Any]:
    petition = _petition(call, petition_id)
    return collection(call, queryset=_signatures(call).filter(petition=petition), key="osdi:signatures",
                      path=f"petitions/{petition.public_id}/signatures",
                      serialize=lambda s: serialize_signature(s, call.base), filters=FILTERS)


def signature_create(call: Call, petition_id: str) -> HttpResponse:
    """The record signature helper: one signature per person per petition (a repeat returns it, with
    a new comment), as the petition's page takes it."""
    petition = helpers.page(call, Petition, petition_id, "petition")
    _writable(call, petition, "petition")
    comment = inputs.text(call.body.get("comments"), "comments", 2000)
    arguments = signup_arguments(call) if isinstance(call.body.get("person"), dict) else None
    arrival = helpers.arrival(call, helpers.SIGNATURE, petition, arguments, comment=comment, ref=_referrer(call))
    if arrival is not None:
        taken = helpers.take(arrival)
        if isinstance(taken, PetitionSignature):
            return json_response(serialize_signature(taken, call.base), status=201)
    petition = _petition(call, petition_id, write=True)  # the one-by-one way reads the petition afresh
    try:
        with transaction.atomic():  # a refused signature signs nobody up
            signature, created = services.record_signature(actor=call.user, petition=petition,
                                                           person=named_person(call, arguments), comment=comment,
                                                           ref=_referrer(call))
    except services.ActionError as exc:
        raise ApiError(409, str(exc)) from None
    signature = _signatures(call).get(pk=signature.pk)
    return json_response(serialize_signature(signature, call.base), status=201 if created else 200)


def signature_detail(call: Call, petition_id: str, signature_id: str) -> dict[str, Any]:
    petition = _petition(call, petition_id)
    signature = get_by_public_id(_signatures(call).filter(petition=petition), signature_id, "signature")
    return serialize_signature(signature, call.base)


def person_signatures(call: Call, person_id: str) -> dict[str, Any]:
    person = visible_person(call, person_id)
    found = _signatures(call).filter(person=person, petition__in=Petition.objects.visible_to(call.user))
    return collection(call, queryset=found, key="osdi:signatures", path=f"people/{person.public_id}/signatures",
                      serialize=lambda s: serialize_signature(s, call.base), filters=FILTERS)
