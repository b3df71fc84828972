"""People through the Action Network-compatible API: reading, paging, filtering, signing up, changing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from turnout.api.tests.base import ApiTestCase
from turnout.core.models import AuditEntry
from turnout.people.models import (
    ConsentEvent,
    EmailAddress,
    Membership,
    Person,
    PhoneNumber,
    Subscription,
)
from turnout.site.testing import audit_summaries, make_person


class AuthTests(ApiTestCase):
    def test_it_refuses_requests_without_a_token(self) -> None:
        """No token, a made-up token and a revoked token are all 401 with a message, never data."""
        for key in ("", "tnt_not-a-real-token"):
            response = self.api("GET", "people", key=key)
            self.assertEqual(response.status_code, 401)
            self.assertIn("error", response.json())
            self.assertNotIn("Maria", response.content.decode())
        self.token.revoked_at = datetime.now(UTC)
        self.token.save()
        self.assertEqual(self.api("GET", "people").status_code, 401)

    def test_header_name_is_case_insensitive(self) -> None:
        """One client sends OSDI-API-TOKEN; it works the same."""
        response = self.client.get("/api/v2/people", headers={"OSDI-API-TOKEN": self.key})
        self.assertEqual(response.status_code, 200)

    def test_tokens_are_stored_only_as_a_digest(self) -> None:
        """The key is nowhere in the database: only its SHA-256 digest and a short prefix."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT key_digest, prefix FROM accounts_apitoken")
            rows = cursor.fetchall()
        self.assertTrue(rows)
        for digest, prefix in rows:
            self.assertNotIn(self.key, (digest, prefix))
            self.assertEqual(len(digest), 64)

    def test_responses_are_hal_json_with_absolute_links(self) -> None:
        response = self.api("GET", "")
        self.assertEqual(response["Content-Type"], "application/hal+json")
        links = response.json()["_links"]
        self.assertEqual(links["osdi:people"]["href"], "http://testserver/api/v2/people")
        self.assertEqual({c["name"] for c in links["curies"]}, {"osdi", "action_network"})

    def test_every_route_takes_an_optional_trailing_slash(self) -> None:
        pid = self.member.public_id
        for path in ("people", "people/", f"people/{pid}", f"people/{pid}/", f"people/{pid}/taggings/", "tags/",
                     "metadata/", "metadata/custom_fields/", "/api/v2", "/api/v2/"):
            self.assertEqual(self.api("GET", path).status_code, 200, path)

    def test_unsupported_method_is_405_json(self) -> None:
        response = self.api("DELETE", "people")
        self.assertEqual(response.status_code, 405)
        self.assertIn("GET", response.json()["error"])

    def test_rate_limit_answers_429_with_retry_after(self) -> None:
        """Past the per-token limit a client is told to wait, and other tokens are unaffected."""
        from django.core.cache import cache

        cache.clear()
        with self.settings(API_RATE_LIMIT=3, API_RATE_WINDOW_SECONDS=60):
            codes = [self.api("GET", "people").status_code for _ in range(4)]
            self.assertEqual(codes, [200, 200, 200, 429])
            limited = self.api("GET", "people")
            self.assertGreaterEqual(int(limited["Retry-After"]), 1)
            self.assertIn("Too many requests", limited.json()["error"])
            self.assertEqual(self.api("GET", "people", key=self.viewer_key).status_code, 200)
        cache.clear()


class ReadTests(ApiTestCase):
    def test_person_by_id_with_and_without_prefix(self) -> None:
        for ident in (str(self.member.public_id), f"action_network:{self.member.public_id}"):
            data = self.ok("GET", f"people/{ident}")
            self.assertEqual(data["identifiers"][0], f"action_network:{self.member.public_id}")
            self.assertEqual(data["given_name"], "Maria")
            self.assertEqual(data["phone_numbers"][0]["number"], "12065550123")
            self.assertEqual(data["custom_fields"], {})
            self.assertTrue(data["_links"]["osdi:taggings"]["href"].endswith("/taggings"))
            self.assertRegex(data["created_date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_reading_a_person_is_audited(self) -> None:
        self.ok("GET", f"people/{self.member.public_id}")
        self.assertEqual(len(audit_summaries(self.member, action=AuditEntry.Action.VIEW, actor=self.organizer)), 1)

    def test_paging_through_people_is_audited_once_per_walk(self) -> None:
        for _n in range(30):
            make_person(self.local)
        self.ok("GET", "people?filter=given_name eq 'Pat'")
        self.ok("GET", "people?page=2&filter=given_name eq 'Pat'")
        entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=self.organizer)
        self.assertEqual(entries.count(), 1)
        self.assertIn("Read 30 people through the API", entries.get().summary)
        self.assertIn("given_name eq '…'", entries.get().summary)  # the filter, not the words typed

    def test_unknown_or_malformed_ids_are_404_json(self) -> None:
        for ident in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", "action_network:"):
            response = self.api("GET", f"people/{ident}")
            self.assertEqual(response.status_code, 404, ident)
            self.assertIn("error", response.json())

    def test_paging_through_sixty_people(self) -> None:
        """Pages of 25, absolute next links that keep per_page, and an empty page past the end."""
        for n in range(60):
            make_person(self.local, given_name=f"Page{n:02d}")
        first = self.ok("GET", "people?per_page=25")
        self.assertEqual((first["total_records"], first["total_pages"], first["page"]), (61, 3, 1))
        seen = [p["given_name"] for p in first["_embedded"]["osdi:people"]]
        page = first
        while "next" in page["_links"]:
            self.assertIn("per_page=25", page["_links"]["next"]["href"])
            self.assertTrue(page["_links"]["next"]["href"].startswith("http://testserver/api/v2/people?"))
            page = self.ok("GET", page["_links"]["next"]["href"])
            seen += [p["given_name"] for p in page["_embedded"]["osdi:people"]]
        self.assertEqual(len(seen), 61)
        self.assertEqual(len(set(seen)), 61)
        past = self.ok("GET", "people?page=9")
        self.assertEqual(past["_embedded"], {"osdi:people": []})
        self.assertEqual(list(past["_embedded"]), ["osdi:people"])

    def test_numbered_pages_agree_with_next_links(self) -> None:
        """Jumping straight to page 3 gives what following next links gives."""
        for n in range(30):
            make_person(self.local, given_name=f"Jump{n:02d}")
        by_number = self.ok("GET", "people?page=2&per_page=10")
        self.ok("GET", "people?page=1&per_page=10")
        by_resume = self.ok("GET", "people?page=2&per_page=10")
        self.assertEqual(by_number["_embedded"], by_resume["_embedded"])

    def test_someone_added_mid_walk_is_still_reached(self) -> None:
        """Pages are read live in creation order, so a person added during a walk is on a later page."""
        for n in range(30):
            make_person(self.local, given_name=f"Walk{n:02d}")
        seen = [p["given_name"] for p in self.ok("GET", "people?page=1")["_embedded"]["osdi:people"]]
        make_person(self.local, given_name="Latecomer")
        page = 2
        while people := self.ok("GET", f"people?page={page}")["_embedded"]["osdi:people"]:
            seen += [p["given_name"] for p in people]
            page += 1
        self.assertEqual(len(seen), 32)
        self.assertEqual(seen[-1], "Latecomer")

    def test_per_page_is_capped_at_25_and_bad_numbers_are_400(self) -> None:
        for _n in range(30):
            make_person(self.local)
        self.assertEqual(len(self.ok("GET", "people?per_page=100")["_embedded"]["osdi:people"]), 25)
        for query in ("page=0", "page=abc", "per_page=-1", "page=99999999999999999999999", "filter=given_name eq '%00'"):
            response = self.api("GET", f"people?{query}")
            self.assertEqual(response.status_code, 400, query)
            self.assertIn("error", response.json())

    def test_filter_by_email_phone_name_and_dates(self) -> None:
        cutoff = timezone.now() - timedelta(days=30)  # Maria was made just now, Old a month before the cutoff
        with time_machine.travel(cutoff - timedelta(days=30)):
            old = make_person(self.local, given_name="Old", email="old@example.org")
        cases = {
            "email_address eq 'MARIA@example.org'": ["Maria"],
            "phone_number eq '206-555-0123'": ["Maria"],
            "given_name eq 'old'": ["Old"],
            f"modified_date lt '{cutoff:%Y-%m-%d}'": ["Old"],
            f"created_date gt '{cutoff:%Y-%m-%dT%H:%M:%SZ}' and given_name eq 'Maria'": ["Maria"],
            "(given_name eq 'Old' or given_name eq 'Maria') and postal_code eq '98101'": ["Maria"],
            f"identifier eq 'action_network:{old.public_id}'": ["Old"],
            "email_address eq 'nobody@example.org'": [],
            "favourite_colour eq 'red'": ["Maria", "Old"],  # unknown fields are ignored
        }
        for text, expected in cases.items():
            data = self.ok("GET", "people", data=None, QUERY_STRING=f"filter={text}")
            self.assertEqual(sorted(p["given_name"] for p in data["_embedded"]["osdi:people"]), sorted(expected), text)

    def test_next_link_keeps_the_filter(self) -> None:
        for _n in range(30):
            make_person(self.local, given_name="Same")
        data = self.ok("GET", "people?per_page=10&filter=given_name eq 'Same'")
        self.assertEqual(data["total_records"], 30)
        self.assertIn("filter=given_name+eq+%27Same%27", data["_links"]["next"]["href"])
        second = self.ok("GET", data["_links"]["next"]["href"])
        self.assertEqual({p["given_name"] for p in second["_embedded"]["osdi:people"]}, {"Same"})

    def test_malformed_filter_is_400_saying_where(self) -> None:
        response = self.api("GET", "people", QUERY_STRING="filter=given_name xx 'Maria'")
        self.assertEqual(response.status_code, 400)
        self.assertIn("character 12", response.json()["error"])
        response = self.api("GET", "people", QUERY_STRING="filter=modified_date gt 'last tuesday'")
        self.assertEqual(response.status_code, 400)
        self.assertIn("“last tuesday” is not", response.json()["error"])

    def test_get_body_of_null_is_ignored(self) -> None:
        """The osdi client sends the body `null` on GET and DELETE."""
        self.assertEqual(self.api("GET", "people", raw=b"null").status_code, 200)

    def test_empty_resources_answer_empty_collections(self) -> None:
        for path in ("donations", "fundraising_pages", "advocacy_campaigns", "outreaches",
                     f"people/{self.member.public_id}/attendances", f"people/{self.member.public_id}/donations"):
            data = self.ok("GET", path)
            self.assertEqual(data["total_records"], 0)
            self.assertEqual(list(data["_embedded"].values()), [[]])

    def test_custom_field_names_come_from_visible_people_only(self) -> None:
        Person.objects.filter(pk=self.member.pk).update(custom_fields={"shift": "night", "steward": True})
        Person.objects.filter(pk=self.stranger.pk).update(custom_fields={"secret_east_field": "x"})
        data = self.ok("GET", "metadata/custom_fields")
        self.assertEqual([f["name"] for f in data["action_network:custom_fields"]], ["shift", "steward"])


class SignupTests(ApiTestCase):
    def signup(self, body: dict, status: int = 201, **kwargs: object) -> dict:
        return self.ok("POST", "people", body, status=status, **kwargs)

    def test_new_person_is_added_to_the_tokens_group_and_subscribed(self) -> None:
        data = self.signup({"person": {"given_name": "Ana", "family_name": "Reyes",
                                       "email_addresses": [{"address": "Ana@Example.org"}],
                                       "postal_addresses": [{"postal_code": "98101", "address_lines": ["1 Pike St"]}],
                                       "languages_spoken": ["es"], "custom_fields": {"shift": "night"}},
                            "add_tags": ["rally"]})
        person = Person.objects.get(public_id=data["identifiers"][0].split(":")[1])
        self.assertEqual(data["created_date"], data["modified_date"])
        self.assertEqual((person.given_name, person.language, person.locality), ("Ana", "es", "Seattle"))
        self.assertTrue(Membership.objects.filter(person=person, group=self.local).exists())
        email = EmailAddress.objects.get(person=person)
        self.assertEqual((email.address, email.status), ("ana@example.org", Subscription.SUBSCRIBED))
        event = ConsentEvent.objects.get(person=person)
        self.assertEqual((event.source, event.action, event.recorded_by), ("api", "opt_in", self.organizer))
        self.assertEqual(data["custom_fields"], {"shift": "night"})
        self.assertEqual(list(person.taggings.values_list("tag__name", flat=True)), ["rally"])

    def test_existing_person_is_matched_by_email_and_updated(self) -> None:
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            data = self.signup({"person": {"given_name": "María", "email_addresses": [{"address": "maria@example.org"}]},
                                "add_tags": ["steward"]}, status=200)
        self.assertEqual(data["identifiers"][0], f"action_network:{self.member.public_id}")
        self.assertNotEqual(data["created_date"], data["modified_date"])  # clients read this as "updated"
        self.member.refresh_from_db()
        self.assertEqual(self.member.given_name, "María")
        self.assertEqual(self.member.family_name, "Lopez")  # not sent, not erased
        self.assertEqual(Person.objects.filter(emails__address="maria@example.org").count(), 1)

    def test_existing_person_is_matched_by_phone_when_no_email_matches(self) -> None:
        data = self.signup({"person": {"email_addresses": [{"address": "maria.new@example.org"}],
                                       "phone_numbers": [{"number": "(206) 555-0123"}]}}, status=200)
        self.assertEqual(data["identifiers"][0], f"action_network:{self.member.public_id}")
        self.assertEqual(sorted(e["address"] for e in data["email_addresses"]),
                         ["maria.new@example.org", "maria@example.org"])

    def test_existing_subscription_changes_only_when_a_status_is_given(self) -> None:
        """No status: unchanged. A status subscribes an address with no consent on record, but an
        address the person unsubscribed stays unsubscribed: only their own opt-in restores it."""
        self.signup({"person": {"email_addresses": [{"address": "maria@example.org"}]}}, status=200)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.NO_CONSENT)
        self.signup({"person": {"email_addresses": [{"address": "maria@example.org", "status": "subscribed"}]}},
                    status=200)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.SUBSCRIBED)
        self.signup({"person": {"email_addresses": [{"address": "maria@example.org", "status": "unsubscribed"}]}},
                    status=200)
        data = self.signup({"person": {"email_addresses": [{"address": "maria@example.org", "status": "subscribed"}]}},
                           status=200)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.UNSUBSCRIBED)
        self.assertEqual(data["email_addresses"][0]["status"], "unsubscribed")

    def test_texts_need_an_explicit_subscribed_status(self) -> None:
        """A phone alone is stored without consent; with status subscribed the opt-in is in the ledger."""
        self.signup({"person": {"phone_numbers": [{"number": "2065550150"}]}})
        self.assertEqual(PhoneNumber.objects.get(number="+12065550150").sms_status, Subscription.NO_CONSENT)
        self.signup({"person": {"phone_numbers": [{"number": "2065550151", "status": "subscribed"}]}})
        self.assertEqual(PhoneNumber.objects.get(number="+12065550151").sms_status, Subscription.SUBSCRIBED)
        self.assertTrue(ConsentEvent.objects.filter(address="+12065550151", channel="sms", source="api").exists())

    def test_add_and_remove_tags(self) -> None:
        self.signup({"person": {"email_addresses": [{"address": "maria@example.org"}]}, "add_tags": ["a", "b"]},
                    status=200)
        self.signup({"person": {"email_addresses": [{"address": "maria@example.org"}]}, "remove_tags": ["a"]},
                    status=200)
        self.assertEqual(list(self.member.taggings.values_list("tag__name", flat=True)), ["b"])

    def test_someone_known_only_to_another_group_is_a_new_person_here(self) -> None:
        """Knowing an email opens nothing: the answer is 201, a new record of the local's, exactly as
        for an address nobody has; the worker center's record is not joined, changed or audited."""
        data = self.signup({"person": {"given_name": "Z", "email_addresses": [{"address": "zelda@example.org"}]}},
                           status=201)
        self.assertNotEqual(data["identifiers"][0], f"action_network:{self.stranger.public_id}")
        self.assertNotIn("Quintero", json.dumps(data))
        self.assertNotIn("60608", json.dumps(data))
        self.assertEqual(list(self.stranger.memberships.values_list("group__name", flat=True)), ["Eastside Workers"])
        self.assertEqual(audit_summaries(self.stranger, group=self.other), [])
        mine = Person.objects.get(public_id=data["identifiers"][0].split(":")[1])
        self.assertEqual(list(mine.memberships.values_list("group__name", "status")), [("Local 8", "supporter")])
        # Asked again, the local's own record answers: 200.
        again = self.signup({"person": {"email_addresses": [{"address": "zelda@example.org"}]}}, status=200)
        self.assertEqual(again["identifiers"][0], data["identifiers"][0])

    def test_people_show_members_and_supporters_apart_in_the_groups_the_token_sees(self) -> None:
        """A record the worker center also holds shows only the local's membership to the local."""
        from turnout.people.models import Membership

        Membership.objects.create(person=self.member, group=self.other, status="supporter")
        data = self.ok("GET", f"people/{self.member.public_id}")
        self.assertEqual(data["memberships"], [{"group": "local-8", "group_name": "Local 8", "status": "member"}])
        new = self.signup({"person": {"email_addresses": [{"address": "s@example.org"}]}}, status=201)
        self.assertEqual([m["status"] for m in new["memberships"]], ["supporter"])
        listed = self.ok("GET", "people")["_embedded"]["osdi:people"]
        self.assertTrue(all("memberships" in person for person in listed))

    def test_membership_status_says_what_a_new_person_is(self) -> None:
        data = self.signup({"person": {"email_addresses": [{"address": "new@example.org"}],
                                       "membership_status": "member"}}, status=201)
        person = Person.objects.get(public_id=data["identifiers"][0].split(":")[1])
        self.assertEqual(person.memberships.get().status, "member")
        response = self.api("POST", "people", {"person": {"email_addresses": [{"address": "n2@example.org"}],
                                                          "membership_status": "boss"}})
        self.assertEqual(response.status_code, 400)

    def test_putting_another_groups_address_on_my_person_reveals_nothing(self) -> None:
        """The old oracle: PUT with an address held only by another group answers 200 and adds it here;
        one on another of my group's people is refused, naming nothing I cannot see."""
        response = self.api("PUT", f"people/{self.member.public_id}",
                            {"email_addresses": [{"address": "zelda@example.org"}]})
        self.assertEqual(response.status_code, 200, response.content[:300])
        self.assertTrue(self.member.emails.filter(address="zelda@example.org").exists())
        self.assertEqual(self.stranger.emails.get().address, "zelda@example.org")
        neighbour = make_person(self.local, given_name="Nadia", email="nadia@example.org")
        response = self.api("PUT", f"people/{self.member.public_id}",
                            {"email_addresses": [{"address": "nadia@example.org"}]})
        self.assertEqual(response.status_code, 409)
        self.assertFalse(self.member.emails.filter(address="nadia@example.org").exists())
        self.assertTrue(neighbour.emails.filter(address="nadia@example.org").exists())

    def test_a_signup_cannot_rewrite_another_groups_member(self) -> None:
        """Another group's signup with Maria's email makes that group's own record: Maria is not renamed,
        moved, re-subscribed, untagged or joined. An opt-out from any group is honoured everywhere."""
        from turnout.people.services import add_tag, record_consent

        add_tag(person=self.member, group=self.local, name="local-steward")
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_out",
                       source="form")
        Person.objects.filter(pk=self.member.pk).update(custom_fields={"shift": "night"})
        theirs = self.ok("POST", "people", {"person": {
            "given_name": "Hijacked", "family_name": "Other", "languages_spoken": ["es"],
            "email_addresses": [{"address": "maria@example.org", "status": "subscribed"}],
            "postal_addresses": [{"postal_code": "60608"}], "custom_fields": {"shift": "day", "east": "yes"}},
            "remove_tags": ["local-steward"]}, key=self.outsider_key, status=201)
        self.assertNotIn("98101", json.dumps(theirs))
        self.member.refresh_from_db()
        self.assertEqual((self.member.given_name, self.member.family_name, self.member.postal_code),
                         ("Maria", "Lopez", "98101"))
        self.assertEqual(self.member.custom_fields, {"shift": "night"})
        self.assertEqual(self.member.emails.get().status, Subscription.UNSUBSCRIBED)
        self.assertTrue(self.member.taggings.filter(tag__name="local-steward").exists())
        self.assertEqual(list(self.member.memberships.values_list("group__name", flat=True)), ["Local 8"])
        # Their new record of the address starts unsubscribed: the opt-out holds for every record.
        self.assertEqual(theirs["email_addresses"][0]["status"], "unsubscribed")
        # An opt-out from any group is honoured everywhere.
        PhoneNumber.objects.filter(number="+12065550123").update(sms_status=Subscription.SUBSCRIBED)
        self.ok("POST", "people", {"person": {"phone_numbers": [{"number": "+12065550123", "status": "unsubscribed"}]}},
                key=self.outsider_key, status=201)
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)

    def test_bad_input_is_400_with_a_message_and_nothing_saved(self) -> None:
        before = Person.objects.count()
        bad = [
            ({"person": {"given_name": "No contact"}}, "email address or a phone"),
            ({"person": {"email_addresses": [{"address": "not-an-email"}]}},
             "person.email_addresses[0].address must be an email address"),
            ({"person": {"email_addresses": [{"address": "a@example.org", "status": "maybe"}]}},
             "person.email_addresses[0].status must be one of: subscribed, unsubscribed"),
            ({"person": {"email_addresses": "a@example.org", "given_name": "x" * 101}}, "longer than 100"),
            ({"person": {"email_addresses": [{"address": "a@example.org"}], "postal_addresses": [{"postal_code": "00000"}]}},
             "Unknown ZIP"),
            ({"person": {"email_addresses": [{"address": "a@example.org"}], "custom_fields": {"x": {"nested": 1}}}},
             "must be text"),
            ({"person": {"phone_numbers": [{"number": "12"}]}}, "phone number"),
            ({"person": "Ana"}, "must be an object"),
        ]
        for body, message in bad:
            response = self.api("POST", "people", body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(message, response.json()["error"], body)
        self.assertEqual(Person.objects.count(), before)
        response = self.api("POST", "people", {"person": {"email_addresses": [{"address": "nul@example.org"}],
                                                           "given_name": "a\u0000b"}})
        self.assertEqual(response.status_code, 400)
        self.assertIn("NUL", response.json()["error"])
        response = self.api("POST", "people", raw=b'{"person": {"email_addresses": ["n@example.org"], '
                                                  b'"custom_fields": {"x": NaN}}}')
        self.assertEqual(response.status_code, 400)
        self.assertIn("not valid JSON", response.json()["error"])
        response = self.api("POST", "people", raw=b"[1, 2]")
        self.assertEqual(response.status_code, 400)
        response = self.api("POST", "people", raw=b"{not json")
        self.assertEqual(response.status_code, 400)

    def test_form_encoded_and_query_string_bodies(self) -> None:
        """Clients that claim JSON but send a form body or only query parameters still work."""
        response = self.api("POST", "people", raw=b"email_address=form%40example.org&given_name=Form")
        self.assertEqual(response.status_code, 201, response.content)
        response = self.api("POST", "/api/v2/people?email_address=query%40example.org&given_name=Query")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Person.objects.get(emails__address="query@example.org").given_name, "Query")

    def test_background_processing_answers_the_full_person(self) -> None:
        data = self.signup({"person": {"email_addresses": [{"address": "bg@example.org"}]}},
                           QUERY_STRING="background_processing=true")
        self.assertTrue(data["identifiers"][0].startswith("action_network:"))

    def test_read_only_token_cannot_sign_people_up(self) -> None:
        response = self.api("POST", "people", {"person": {"email_addresses": [{"address": "v@example.org"}]}},
                            key=self.viewer_key)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(EmailAddress.objects.filter(address="v@example.org").exists())


class UpdateTests(ApiTestCase):
    def test_put_changes_names_custom_fields_and_status(self) -> None:
        Person.objects.filter(pk=self.member.pk).update(custom_fields={"keep": "me"})
        data = self.ok("PUT", f"people/action_network:{self.member.public_id}",
                       {"given_name": "Mari", "custom_fields": {"shift": "day"},
                        "email_addresses": [{"address": "maria@example.org", "status": "unsubscribed"}]})
        self.assertEqual(data["given_name"], "Mari")
        self.assertEqual(data["custom_fields"], {"keep": "me", "shift": "day"})
        self.assertEqual(data["email_addresses"][0]["status"], "unsubscribed")
        self.assertTrue(ConsentEvent.objects.filter(person=self.member, action="opt_out", source="api").exists())

    def test_put_refuses_an_email_on_another_of_the_groups_people(self) -> None:
        """And changes nothing else of the request either: all of it or none of it."""
        neighbour = make_person(self.local, given_name="Nadia", email="nadia@example.org")
        response = self.api("PUT", f"people/{self.member.public_id}",
                            {"given_name": "Changed", "email_addresses": [{"address": "nadia@example.org"}]})
        self.assertEqual(response.status_code, 409)  # a well-formed request the person's state refuses
        self.member.refresh_from_db()
        self.assertEqual(self.member.given_name, "Maria")
        response = self.api("PUT", f"people/{self.member.public_id}",
                            {"given_name": "Changed", "postal_addresses": [{"postal_code": "00000"}]})
        self.assertEqual(response.status_code, 400)
        self.member.refresh_from_db()
        self.assertEqual(self.member.given_name, "Maria")
        self.assertEqual(EmailAddress.objects.get(address="nadia@example.org").person, neighbour)

    def test_put_with_a_json_body_that_is_not_an_object(self) -> None:
        response = self.api("PUT", f"people/{self.member.public_id}", raw=json.dumps("x").encode())
        self.assertEqual(response.status_code, 400)


class CrossGroupTests(ApiTestCase):
    """A token from one local cannot read, change, tag or page through another group's people."""

    def test_by_id(self) -> None:
        for path in (f"people/{self.stranger.public_id}", f"people/{self.stranger.public_id}/taggings",
                     f"people/{self.stranger.public_id}/attendances"):
            self.assertEqual(self.api("GET", path).status_code, 404, path)
        self.assertEqual(self.api("PUT", f"people/{self.stranger.public_id}", {"given_name": "Hacked"}).status_code, 404)
        self.stranger.refresh_from_db()
        self.assertEqual(self.stranger.given_name, "Zelda")

    def test_by_paging_and_filter(self) -> None:
        everyone = self.ok("GET", "people")
        self.assertEqual([p["given_name"] for p in everyone["_embedded"]["osdi:people"]], ["Maria"])
        for text in ("email_address eq 'zelda@example.org'", f"identifier eq '{self.stranger.public_id}'",
                     "given_name ne 'nobody'"):
            data = self.ok("GET", "people", QUERY_STRING=f"filter={text}")
            self.assertNotIn("Zelda", json.dumps(data), text)

    def test_by_tagging(self) -> None:
        tag = self.ok("POST", "tags", {"name": "east-only"}, status=201, key=self.outsider_key)
        tag_id = tag["identifiers"][0].split(":")[1]
        self.ok("POST", f"tags/{tag_id}/taggings",
                {"_links": {"osdi:person": {"href": f"https://x/api/v2/people/{self.stranger.public_id}"}}},
                status=201, key=self.outsider_key)
        # Their tag is not this token's to see, let alone to tag with: every path answers 404.
        response = self.api("POST", f"tags/{tag_id}/taggings",
                            {"_links": {"osdi:person": {"href": f"https://x/api/v2/people/{self.member.public_id}"}}})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.api("GET", f"tags/{tag_id}/taggings").status_code, 404)
        self.assertEqual(self.api("GET", f"tags/{tag_id}").status_code, 404)
        self.assertFalse(self.member.taggings.exists())
        theirs = self.ok("GET", f"tags/{tag_id}/taggings", key=self.outsider_key)
        tagging_id = theirs["_embedded"]["osdi:taggings"][0]["identifiers"][0].split(":")[1]
        self.assertEqual(self.api("GET", f"tags/{tag_id}/taggings/{tagging_id}").status_code, 404)
        self.assertEqual(self.api("DELETE", f"tags/{tag_id}/taggings/{tagging_id}").status_code, 404)
        self.assertEqual(self.stranger.taggings.count(), 1)

    def test_by_signup_response(self) -> None:
        """The outsider's own people stay out of this local's collection after the outsider signs one up."""
        self.ok("POST", "people", {"person": {"email_addresses": [{"address": "east2@example.org"}]}}, status=201,
                key=self.outsider_key)
        data = self.ok("GET", "people")
        self.assertNotIn("east2@example.org", json.dumps(data))


class OpenApiTests(ApiTestCase):
    def test_the_document_is_valid_openapi_and_public(self) -> None:
        from openapi_spec_validator import validate

        response = self.client.get("/api/v2/openapi.json")
        self.assertEqual(response.status_code, 200)
        spec = response.json()
        validate(spec)
        self.assertEqual(spec["servers"][0]["url"], "http://testserver/api/v2")
        for path in ("/people", "/people/{person_id}", "/tags/{tag_id}/taggings/{tagging_id}", "/lists/{list_id}/items",
                     "/metadata/custom_fields", "/donations"):
            self.assertIn(path, spec["paths"])

    def test_the_docs_page_lists_every_endpoint(self) -> None:
        page = self.client.get("/api/v2/docs")
        self.assertContains(page, "/people/{person_id}/taggings")
        self.assertContains(page, "OSDI-API-Token")
        self.assertContains(page, "Person signup helper")


class EveryEndpointTests(ApiTestCase):
    def test_an_outsiders_token_gets_nothing_of_the_local_from_any_endpoint(self) -> None:
        """Every /api/v2/ route, every method, filled with the local's ids, called with another group's token."""
        from turnout.people.services import add_tag, save_list
        from turnout.people.tests.test_visibility import all_routes

        tagging = add_tag(person=self.member, group=self.local, name="local8-stewards")
        saved = save_list(actor=self.organizer, group=self.local, name="local8-phonebank",
                          people=Person.objects.filter(pk=self.member.pk))
        from turnout.messaging.models import Message

        message = Message.objects.create(group=self.local, channel="sms", body="local8-secret-rally")
        values = {"person_id": self.member.public_id, "tag_id": tagging.tag.public_id, "tagging_id": tagging.public_id,
                  "list_id": saved.public_id, "item_id": saved.items.get().public_id, "message_id": message.public_id}
        # (A signup with the member's own email address joins them: SignupTests covers what that may change.)
        body = {"person": {"email_addresses": [{"address": "probe@example.org"}], "given_name": "Hacked"},
                "name": "x", "_links": {"osdi:person": {"href": f"https://x/people/{self.member.public_id}"}},
                "given_name": "Hacked", "custom_fields": {"hacked": "yes"}}
        visited = 0
        for name, route, _pattern in all_routes():
            if not name.startswith("api_v2:"):
                continue
            path = "/" + route.replace("^", "").replace("$", "").replace("/?", "")
            for key, value in values.items():
                path = path.replace(f"(?P<{key}>[^/]+)", str(value))
            for method in ("GET", "POST", "PUT", "DELETE"):
                response = self.api(method, path, body, key=self.outsider_key)
                self.assertLess(response.status_code, 500, f"{method} {path}")
                text = response.content.decode()
                for secret in (str(self.member.public_id), "Lopez", "555-0123", "local8-phonebank",
                               "local8-secret-rally"):
                    self.assertNotIn(secret, text, f"{method} {path} showed {secret}")
                visited += 1
        self.assertGreater(visited, 80)
        self.member.refresh_from_db()
        self.assertEqual((self.member.given_name, self.member.custom_fields), ("Maria", {}))
        self.assertTrue(self.member.taggings.exists())
        message.refresh_from_db()
        self.assertEqual((message.status, message.body), ("draft", "local8-secret-rally"))
