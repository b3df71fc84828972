"""Schemathesis fuzzes every operation in the OpenAPI document against a live server: no 5xx, ever,
and every answer matches the document."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.core.testing import make_group, make_person, make_staff
from turnout.people.services import add_tag, save_list

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_fuzzing_the_api_finds_no_server_errors(live_server: Any, settings: Any, tmp_path: Path) -> None:
    settings.API_RATE_LIMIT = 0  # the fuzzer sends thousands of requests in a minute
    local = make_group("Local 8")
    organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
    _token, key = create_api_token(actor=None, user=organizer, group=local, name="fuzz")
    member = make_person(local, given_name="Maria", email="maria@example.org", postal_code="98101")
    tagging = add_tag(person=member, name="steward")
    saved = save_list(actor=organizer, group=local, name="Phone bank", people=type(member).objects.all())
    # Point path parameters at real records so the fuzzer reaches past 404s into the handlers.
    from turnout.messaging.models import Message

    message = Message.objects.create(group=local, channel="sms", body="Rally at 6", created_by=organizer,
                                     audience={"targets": [{"kind": "tag", "id": str(tagging.tag.public_id)}]})

    from turnout.events import services as events
    from turnout.events.models import Event, EventCampaign

    campaign = EventCampaign.objects.create(group=local, title="Day of action")
    event = events.save_event(actor=None, event=Event(group=local, title="Rally", postal_code="98101",
                                                      starts_at=timezone.now() + timedelta(days=2),
                                                      campaign=campaign))
    attendance, _created = events.rsvp(event, events.RsvpRequest(given_name="Maria", email="maria@example.org"))
    real = {"event_id": event.public_id, "attendance_id": attendance.public_id, "campaign_id": campaign.public_id,
            "message_id": message.public_id, "person_id": member.public_id, "tag_id": tagging.tag.public_id, "tagging_id": tagging.public_id,
            "list_id": saved.public_id, "item_id": saved.items.get().public_id}
    from turnout.mobilization.models import Activation, Member, Network, Plan

    network = Network.objects.create(group=local, name="Rapid Response")
    Member.objects.create(network=network, person=member)
    activation = Activation.objects.create(network=network, title="Rally call", body="Rally at 6. Reply Y or N")
    plan = Plan.objects.create(group=local, name="Count every vote", condition="x", subject="It is on", body="On")
    real.update({"network_id": network.public_id, "activation_id": activation.public_id, "plan_id": plan.public_id})
    from turnout.actions.models import Form, Petition, PetitionSignature, Submission

    form = Form.objects.create(group=local, title="Sign up")
    petition = Petition.objects.create(group=local, title="Fix the heat", petition_text="Heat now.")
    real.update({"form_id": form.public_id, "petition_id": petition.public_id,
                 "submission_id": Submission.objects.create(form=form, person=member).public_id,
                 "signature_id": PetitionSignature.objects.create(petition=petition, person=member).public_id})
    from turnout.organizing.models import Assessment, Card, Employer, Unit, Worker, Workplace
    from turnout.organizing.models import Campaign as OrganizingCampaign

    employer = Employer.objects.create(group=local, name="Bean Street Coffee")
    workplace = Workplace.objects.create(group=local, employer=employer, name="Pike", postal_code="98101")
    organizing = OrganizingCampaign.objects.create(group=local, name="Bean Street Workers", union_name="Local 8")
    worker = Worker.objects.create(unit=Unit.objects.create(campaign=organizing, workplace=workplace), person=member)
    real.update({"workplace_id": workplace.public_id, "organizing_campaign_id": organizing.public_id,
                 "worker_id": worker.public_id,
                 "assessment_id": Assessment.objects.create(worker=worker, score=2).public_id,
                 "card_id": Card.objects.create(unit=worker.unit, worker=worker, kind="paper", signed_name="M",
                                                signed_at=timezone.now(), text="x", employer_name="Bean").public_id})
    with urllib.request.urlopen(f"{live_server.url}/api/v2/openapi.json") as response:
        document = json.load(response)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    ident = str(real[parameter["name"]])
                    parameter["schema"] = {"type": "string", "enum": [ident, f"action_network:{ident}"]}
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(document))
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(schema_file), "--url", f"{live_server.url}/api/v2",
        "--header", f"OSDI-API-Token: {key}", "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-examples", "12", "--seed", "20261122", "--generation-database", "none", "--no-color",
        "--request-timeout", "20", "--report", "junit", "--report-dir", str(tmp_path),
    ]
    # Run in the temporary directory: schemathesis keeps a cache of crashes under the working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    print(result.stdout[-4000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout.lower(), result.stdout[-3000:]
