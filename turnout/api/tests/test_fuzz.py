"""Schemathesis runs every operation in the served OpenAPI document against a live server with its
schema-conformance checks: no 5xx, every status, content type, header and body as documented,
every request the document calls invalid refused with a 4xx, and every one it calls valid taken.

A JSON schema cannot say which records exist, which ZIP codes and phone numbers are real, or what
is in the future; for those fields the test narrows its copy of the document to real values (as
it does for path parameters), so the fuzzer reaches past the lookups into the handlers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from datetime import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.people.services import add_tag, save_list
from turnout.site.testing import make_group, make_person, make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "missing_required_header",
          "unsupported_method", "allow_header_conformance", "ignored_auth"]
FILTERS = ["modified_date gt '2026-03-25'", "created_date le '2199-12-31T23:59:59Z'",
           "given_name eq 'Maria' or email_address eq 'maria@example.org'", "(start_date ge '2026-01-01')", ""]
# Sized for CI (docs/api.md has the run time): the coverage phase's boundary cases where they find
# most, a few random cases for every operation beside.
NEGATIVE = """
# Invalid bodies are refused by the one check in hal.endpoint, against this same document: a few
# random ones per write show it is in place; reads get every boundary of their parameters.
[[operations]]
include-method-regex = "^(POST|PUT)$"
phases.coverage.enabled = false
phases.fuzzing.generation.max-examples = 6

[[operations]]
include-method-regex = "^(GET|DELETE)$"
phases.fuzzing.enabled = false
"""
POSITIVE = """
phases.fuzzing.generation.max-examples = 4

# The record helpers and PUT /people take the signup helper's `person`, whose every boundary
# POST /people's coverage already walks; here each signs up or names a person a dozen ways.
[[operations]]
include-path-regex = "^/(events/[^/]+/attendances|forms/[^/]+/submissions|petitions/[^/]+/signatures|networks/[^/]+/members|organizing_campaigns/[^/]+/workers|people/[^/]+)$"
include-method-regex = "^(POST|PUT)$"
phases.coverage.enabled = false
phases.fuzzing.generation.max-examples = 12
"""


def test_the_api_conforms_to_its_openapi_document(live_server: Any, settings: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemathesis' conformance checks pass on every operation, against real records: requests the
    served document calls invalid are refused, and requests valid with real values are taken."""
    settings.API_RATE_LIMIT = 0  # the fuzzer sends thousands of requests in a minute
    settings.SMS_SENDERS = ["+12065550000"]  # the one sender number a texting campaign may choose
    # Django's test server writes a response's head and body as two packets; with Nagle's algorithm
    # on, each keep-alive response then waits for the client's delayed ACK (about 40 ms).
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    real, narrowed = _records(live_server.url)
    _token, key = create_api_token(actor=None, user=real.pop("organizer"), group=real.pop("group"), name="fuzz")
    ids = {name: str(value) for name, value in real.items()}
    runs = {}
    operations = 0
    # Invalid requests are drawn from the served document itself; valid ones from a copy narrowed to
    # real records, since a value the served document allows may name no record (and is refused).
    for mode, check, config, narrow in (("negative", "negative_data_rejection", NEGATIVE, None),
                                        ("positive", "positive_data_acceptance", POSITIVE, narrowed)):
        with urllib.request.urlopen(f"{live_server.url}/api/v2/openapi.json") as response:
            document = json.load(response)
        _point_at_records(document, ids, narrow)
        operations = sum(len(methods) for methods in document["paths"].values())
        folder = tmp_path / mode
        folder.mkdir()
        (folder / "openapi.json").write_text(json.dumps(document))
        (folder / "schemathesis.toml").write_text(config)
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", str(folder / "openapi.json"),
            "--url", f"{live_server.url}/api/v2", "--header", f"OSDI-API-Token: {key}",
            "--checks", ",".join([*CHECKS, check]), "--mode", mode, "--phases", "coverage,fuzzing",
            "--generation-deterministic", "--generation-allow-x00", "false", "--no-shrink",
            "--no-color", "--workers", "2", "--request-timeout", "20", "--report", "junit",
            "--report-dir", str(folder),
        ]
        # In its own directory: schemathesis reads schemathesis.toml and keeps a cache of crashes there.
        runs[mode] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      cwd=folder)
    started = time.monotonic()
    try:
        for mode, run in runs.items():
            output, _ = run.communicate(timeout=600)
            print(f"{mode}: schemathesis ran for {time.monotonic() - started:.0f} s\n{output[-1500:]}")
            assert run.returncode == 0, output[-12000:]
            assert f"Tested: {operations}" in output, output[-3000:]  # every operation in the document
    finally:
        for run in runs.values():  # a failed run leaves no other talking to a server that has stopped
            if run.poll() is None:
                run.kill()
                run.wait()


def _records(base: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A group with one of everything: ids for path parameters, and values for the narrowed fields."""
    from turnout.actions.models import Form, Petition, PetitionSignature, Submission
    from turnout.events import services as events
    from turnout.events.models import Event, EventCampaign
    from turnout.messaging.models import Message
    from turnout.mobilization.models import Activation, Member, Network, Plan
    from turnout.organizing.models import (
        Assessment,
        Card,
        Employer,
        Request,
        Unit,
        Volunteer,
        Worker,
        Workplace,
    )
    from turnout.organizing.models import Campaign as OrganizingCampaign
    from turnout.texting.models import Conversation, TextingCampaign

    local = make_group("Local 8")
    organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
    member = make_person(local, given_name="Maria", email="maria@example.org", postal_code="98101")
    tagging = add_tag(person=member, group=local, name="steward")
    saved = save_list(actor=organizer, group=local, name="Phone bank", people=type(member).objects.all())
    message = Message.objects.create(group=local, channel="sms", body="Rally at 6", created_by=organizer,
                                     audience={"targets": [{"kind": "tag", "id": str(tagging.tag.public_id)}]})
    # A campaign with a local time a month ahead: a site added without start_date starts at it.
    campaign = EventCampaign.objects.create(group=local, title="Day of action",
                                            local_date=(timezone.now() + timedelta(days=30)).date(),
                                            local_start=clock(17))
    event = events.save_event(actor=None, event=Event(group=local, title="Rally", postal_code="98101",
                                                      starts_at=timezone.now() + timedelta(days=2),
                                                      campaign=campaign))
    attendance, _created = events.rsvp(event, events.RsvpRequest(given_name="Maria", email="maria@example.org"))
    network = Network.objects.create(group=local, name="Rapid Response")
    Member.objects.create(network=network, person=member)
    form = Form.objects.create(group=local, title="Sign up")
    petition = Petition.objects.create(group=local, title="Fix the heat", petition_text="Heat now.")
    employer = Employer.objects.create(group=local, name="Bean Street Coffee")
    workplace = Workplace.objects.create(group=local, employer=employer, name="Pike", postal_code="98101")
    organizing = OrganizingCampaign.objects.create(group=local, name="Bean Street Workers", union_name="Local 8")
    worker = Worker.objects.create(unit=Unit.objects.create(campaign=organizing, workplace=workplace), person=member)
    # A volunteer who organizes and mentors: any triage the document allows may name them.
    volunteer = Volunteer.objects.create(group=local, user=make_staff("volunteer@example.org", local, Role.HOST),
                                         kind=Volunteer.Kind.BOTH)
    texting = TextingCampaign.objects.create(
        group=local, title="Contract vote", created_by=organizer,
        script="Hi {first_name}, Local 8 here. Vote yes? Reply STOP to opt out.",
        audience={"targets": [{"kind": "tag", "id": str(tagging.tag.public_id)}]})
    real: dict[str, Any] = {
        "organizer": organizer, "group": local,
        "person_id": member.public_id, "tag_id": tagging.tag.public_id, "tagging_id": tagging.public_id,
        "list_id": saved.public_id, "item_id": saved.items.get().public_id, "message_id": message.public_id,
        "event_id": event.public_id, "attendance_id": attendance.public_id, "campaign_id": campaign.public_id,
        "network_id": network.public_id,
        "activation_id": Activation.objects.create(network=network, title="Rally call",
                                                   body="Rally at 6. Reply Y or N").public_id,
        "plan_id": Plan.objects.create(group=local, name="Count every vote", condition="x", subject="It is on",
                                       body="On").public_id,
        "form_id": form.public_id, "petition_id": petition.public_id,
        "submission_id": Submission.objects.create(form=form, person=member).public_id,
        "signature_id": PetitionSignature.objects.create(petition=petition, person=member).public_id,
        "workplace_id": workplace.public_id, "organizing_campaign_id": organizing.public_id,
        "worker_id": worker.public_id, "unit_id": worker.unit.public_id,
        "request_id": Request.objects.create(group=local, person=member, employer_name="Bean Street Coffee",
                                             postal_code="98101", industry="food", story="Hours cut").public_id,
        "assessment_id": Assessment.objects.create(worker=worker, score=2).public_id,
        # The worker signed this card, so a DELETE of the worker answers 409 and they stay on the roster
        # for every other operation.
        "card_id": Card.objects.create(unit=worker.unit, worker=worker, kind="paper", signed_name="M",
                                       signed_at=timezone.now(), text="x", employer_name="Bean").public_id,
        "texting_campaign_id": texting.public_id,
        "conversation_id": Conversation.objects.create(campaign=texting, person=member, status="sent",
                                                       sent_at=timezone.now()).pk,
    }
    person = str(member.public_id)
    api = f"{base}/api/v2/"
    narrowed: dict[str, dict[str, Any]] = {
        # Components: values that must exist in Turnout's data.
        "ZipCode": {"type": "string", "enum": ["98101", "60601-1234"]},
        "PhoneNumberText": {"type": "string", "enum": ["(206) 555-0187", "+12065550199"]},
        "PersonId": {"type": "string", "enum": [person, f"action_network:{person}"]},
        "PersonEmail": {"type": "string", "enum": ["maria@example.org"]},
        "PersonLink": {"type": "object", "required": ["href"], "properties": {"href": {
            "type": "string", "enum": [f"https://actionnetwork.org/api/v2/people/{person}"]}}},
        "TargetLink": {"type": "object", "required": ["href"], "properties": {"href": {
            "type": "string", "enum": [f"{api}tags/{tagging.tag.public_id}", f"{api}lists/{saved.public_id}",
                                       f"{api}events/{event.public_id}", f"{api}networks/{network.public_id}",
                                       f"{api}organizing_campaigns/{organizing.public_id}"]}}},
        "EventLink": {"type": "object", "required": ["href"], "properties": {"href": {
            "type": "string", "enum": [f"{api}events/{event.public_id}"]}}},
        "WorkplaceId": {"type": "string", "enum": [str(workplace.public_id)]},
        "RosterWorkplaceId": {"type": "string", "enum": [str(workplace.public_id)]},
        "VolunteerId": {"type": "string", "enum": [str(volunteer.public_id)]},
        "TimeZone": {"type": "string", "enum": ["America/Chicago", "Pacific/Honolulu", "UTC"]},
        "SenderNumber": {"type": "string", "enum": ["+12065550000"]},
        # Properties of input schemas: references, and dates a schema cannot place in time.
        "network_id": {"type": "string", "enum": [str(network.public_id)]},
        "event_id": {"type": "string", "enum": [str(event.public_id)]},
        "worker_id": {"type": "string", "enum": [str(worker.public_id)]},
        "scheduled_start_date": {"type": "string", "pattern": "^21[0-9]{2}-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]Z$"},
        "signed_date": {"type": "string", "pattern": "^20[01][0-9]-0[1-9]-1[0-9]$"},
        "start_date": {"type": "string", "pattern": "^21[0-4][0-9]-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:00$"},
        "end_date": {"type": "string", "pattern": "^21[5-9][0-9]-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:00Z$"},
    }
    return real, narrowed


def _point_at_records(document: dict[str, Any], real: dict[str, str],
                      narrowed: dict[str, dict[str, Any]] | None) -> None:
    """Path parameters name real records; with `narrowed`, filters are ones that parse and the input
    schemas' references and data-dependent values are narrowed (responses keep the served schemas)."""
    inputs: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    ident = real[parameter["name"]]
                    parameter["schema"] = {"type": "string", "enum": [ident, f"action_network:{ident}"]}
                elif parameter["name"] == "filter" and narrowed is not None:
                    parameter["schema"] = {"type": "string", "enum": FILTERS}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                _references(body, document["components"]["schemas"], inputs)
    if narrowed is None:
        return
    schemas = document["components"]["schemas"]
    for name in inputs:
        if name in narrowed:
            schemas[name] = narrowed[name]
        else:
            _narrow_properties(schemas[name], narrowed)


def _references(schema: Any, schemas: dict[str, Any], seen: set[str]) -> None:
    if isinstance(schema, dict):
        target = schema.get("$ref", "")
        if target.startswith("#/components/schemas/"):
            name = target.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _references(schemas[name], schemas, seen)
        for value in schema.values():
            _references(value, schemas, seen)
    elif isinstance(schema, list):
        for value in schema:
            _references(value, schemas, seen)


def _narrow_properties(schema: Any, narrowed: dict[str, dict[str, Any]]) -> None:
    if isinstance(schema, dict):
        for name in schema.get("properties", {}):
            if name in narrowed and not name[:1].isupper():
                schema["properties"][name] = narrowed[name]
        for value in schema.values():
            _narrow_properties(value, narrowed)
    elif isinstance(schema, list):
        for value in schema:
            _narrow_properties(value, narrowed)
