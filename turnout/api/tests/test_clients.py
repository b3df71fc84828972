"""The real clients from PyPI — Parsons' ActionNetwork connector and `osdi` — against a live Turnout."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from turnout.accounts.models import Group, Role
from turnout.accounts.services import create_api_token
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Person,
    PhoneNumber,
    Subscription,
    Tagging,
)
from turnout.site.testing import make_group, make_person, make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[3]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from osdi.action_network.person import ANPerson
    from osdi.action_network.service import ActionNetworkService
    from parsons import ActionNetwork
    from parsons.utilities.api_connector import APIConnector


@pytest.fixture
def world(live_server: Any) -> Iterator[dict[str, Any]]:
    local = make_group("Local 8")
    other = make_group("Eastside Workers", kind=Group.Kind.WORKER_CENTER)
    organizer = make_staff("organizer@example.org", local, Role.ORGANIZER)
    _token, key = create_api_token(actor=None, user=organizer, group=local, name="clients")
    make_person(other, given_name="Zelda", email="zelda@example.org")
    yield {"base": f"{live_server.url}/api/v2", "key": key, "local": local, "url": live_server.url}


def parsons(world: dict[str, Any]) -> ActionNetwork:
    an = ActionNetwork(api_token=world["key"])
    an.api_url = world["base"]
    an.api = APIConnector(world["base"], headers=an.headers)
    return an


def bare(resource: dict[str, Any]) -> str:
    return str(resource["identifiers"][0].split(":")[1])


def test_parsons_upsert_get_filter_and_update(world: dict[str, Any]) -> None:
    an = parsons(world)
    created = an.upsert_person(email_address="ana@example.org", given_name="Ana", family_name="Reyes",
                               mobile_number="2065550142", mobile_status="subscribed",
                               postal_addresses=[{"postal_code": "98101"}], tags=["volunteer"], shift="nights")
    assert created["created_date"] == created["modified_date"]
    person_id = bare(created)
    person = Person.objects.get(public_id=person_id)
    assert person.custom_fields == {"shift": "nights"}
    assert PhoneNumber.objects.get(person=person).sms_status == Subscription.SUBSCRIBED
    assert ConsentEvent.objects.filter(person=person, source="api").count() == 2

    updated = an.upsert_person(email_address="ana@example.org", given_name="Ana María", background_processing=True)
    assert bare(updated) == person_id
    assert Person.objects.filter(emails__address="ana@example.org").count() == 1

    for ident in (person_id, f"action_network:{person_id}"):
        assert an.get_person(ident)["given_name"] == "Ana María"
    found = an.get_people(filter="email_address eq 'ana@example.org'")
    assert found.num_rows == 1
    assert an.get_people(filter="modified_date gt '2000-01-01'").num_rows == 1  # Zelda is another group's
    assert an.get_people(filter="modified_date lt '2000-01-01'").num_rows == 0

    an.update_person(person_id, given_name="Ana", custom_fields={"steward": "yes"})
    person.refresh_from_db()
    assert (person.given_name, person.custom_fields) == ("Ana", {"shift": "nights", "steward": "yes"})
    assert {f["name"] for f in an.get_custom_fields()["action_network:custom_fields"]} == {"shift", "steward"}
    assert an.get_metadata()["_links"]["osdi:custom_fields"]["href"].startswith(world["base"])
    assert an.get_person_attendances(person_id).num_rows == 0
    assert an.get_donations().num_rows == 0


def test_parsons_pages_through_sixty_people(world: dict[str, Any]) -> None:
    for n in range(63):
        make_person(world["local"], given_name=f"P{n:02d}")
    an = parsons(world)
    everyone = an.get_people()
    assert everyone.num_rows == 63
    assert len({row["identifiers"][0] for row in everyone}) == 63
    assert an.get_people(limit=30).num_rows == 30
    assert len(an.get_people(page=3)["_embedded"]["osdi:people"]) == 13


def test_parsons_tags_and_taggings(world: dict[str, Any]) -> None:
    an = parsons(world)
    person = an.upsert_person(email_address="tagme@example.org")
    tag = an.add_tag("steward")
    tag_id = bare(tag)
    assert an.get_tag(tag_id)["name"] == "steward"
    assert "steward" in [row["name"] for row in an.get_tags()]
    # Parsons' documented payload carries Action Network's own host; the last segment is the id.
    payload = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{bare(person)}"}}}
    tagging = an.create_tagging(tag_id, payload)
    assert an.create_tagging(tag_id, payload)["identifiers"] == tagging["identifiers"]
    assert an.get_taggings(tag_id).num_rows == 1
    assert an.get_tagging(tag_id, bare(tagging))["item_type"] == "osdi:person"
    an.delete_tagging(tag_id, bare(tagging))
    assert an.get_taggings(tag_id).num_rows == 0
    assert not Tagging.objects.exists()


def test_parsons_lists_and_items(world: dict[str, Any]) -> None:
    from turnout.accounts.models import User
    from turnout.people.services import save_list

    maria = make_person(world["local"], given_name="Maria")
    saved = save_list(actor=User.objects.get(), group=world["local"], name="Phone bank",
                      people=Person.objects.filter(pk=maria.pk))
    an = parsons(world)
    assert [row["name"] for row in an.get_lists()] == ["Phone bank"]
    assert an.get_list(str(saved.public_id))["name"] == "Phone bank"
    items = an.get_items(str(saved.public_id))
    assert items.num_rows == 1
    item = an.get_item(str(saved.public_id), bare(items[0]))
    assert item["_links"]["osdi:person"]["href"].endswith(str(maria.public_id))


def test_osdi_client(world: dict[str, Any]) -> None:
    """The osdi package: loads tags, creates, finds by id/email/phone, updates fields and tags."""
    an = parsons(world)
    an.add_tag("member")
    an.add_tag("leader")
    service = ActionNetworkService(world["base"], world["key"])
    service.model = ANPerson
    assert set(service.tags_by_name) == {"member", "leader"}
    raw = service.create_person("Luis", "Ortega", "luis@example.org", custom_fields={"shift": "days"})
    person_id = bare(raw)

    by_id = service.find_person(an_id=person_id)
    assert by_id.email == "luis@example.org"
    by_email = service.find_person(email="luis@example.org")
    assert by_email.id == person_id
    # osdi joins clauses with "and" and no spaces: "email_address eq '…'andgiven_name eq '…'".
    assert len(service.get_people({"email_address": "luis@example.org", "given_name": "Luis"})) == 1
    assert service.get_people({"email_address": "zelda@example.org"}) == []

    by_email.update_field("shift", "nights")
    by_email.update_tag("member", True)
    by_email.update()
    again = service.find_person(email="luis@example.org")
    assert again.custom_fields == {"shift": "nights"}
    assert set(again.tags) == {"member"}
    again.update_tag("member", False)
    again.update_tag("leader", True)
    again.update()  # DELETE answered with JSON, then a new tagging
    final = service.find_person(an_id=f"action_network:{person_id}")
    assert set(final.tags) == {"leader"}

    EmailAddress.objects.filter(address="luis@example.org").delete()
    PhoneNumber.objects.create(person=Person.objects.get(public_id=person_id), number="+12065550177")
    assert service.find_person(phone="206-555-0177").id == person_id


def test_osdi_pages_by_following_next_links(world: dict[str, Any]) -> None:
    for n in range(61):
        make_person(world["local"], given_name=f"N{n:02d}")
    service = ActionNetworkService(world["base"], world["key"])
    people = service.get_model_raw("people", "osdi:people")
    assert len({p["identifiers"][0] for p in people}) == 61


def test_the_documented_parsons_example_runs(world: dict[str, Any]) -> None:
    """docs/api.md's example, run as a user would run it."""
    text = (REPO / "docs" / "api.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    os.environ["TURNOUT_URL"], os.environ["TURNOUT_TOKEN"] = world["url"], world["key"]
    try:
        exec(compile(code, "docs/api.md", "exec"), {})  # noqa: S102
    finally:
        del os.environ["TURNOUT_URL"], os.environ["TURNOUT_TOKEN"]
    assert Tagging.objects.filter(tag__name="steward", person__emails__address="ana.reyes@example.org").exists()


def test_simultaneous_signups_of_one_new_person_make_one_person(world: dict[str, Any]) -> None:
    """Ten clients sign up the same new address at once: every answer is a success, one person exists."""
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    body = json.dumps({"person": {"email_addresses": [{"address": "rush@example.org"}]}, "add_tags": ["rush"]})

    def post(_n: int) -> int:
        request = urllib.request.Request(f"{world['base']}/people", data=body.encode(), method="POST",
                                         headers={"OSDI-API-Token": world["key"], "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(post, range(10)))
    assert set(codes) <= {200, 201}, codes
    assert codes.count(201) == 1
    assert Person.objects.filter(emails__address="rush@example.org").count() == 1
