"""Tags, taggings, lists and items through the API."""

from __future__ import annotations

from turnout.api.tests.base import ApiTestCase
from turnout.people.models import Membership, Tag, Tagging
from turnout.people.services import add_tag, save_list
from turnout.site.testing import make_person


def bare(resource: dict) -> str:
    return resource["identifiers"][0].split(":", 1)[1]


class TagTests(ApiTestCase):
    def test_create_a_tag_once(self) -> None:
        first = self.ok("POST", "tags", {"name": "Rally 2026"}, status=201)
        again = self.ok("POST", "tags", {"name": "Rally 2026"}, status=200)
        self.assertEqual(first["identifiers"], again["identifiers"])
        self.assertEqual(self.ok("GET", f"tags/{bare(first)}")["name"], "Rally 2026")
        self.assertEqual(self.ok("GET", f"tags/action_network:{bare(first)}")["name"], "Rally 2026")
        self.assertEqual([t["name"] for t in self.ok("GET", "tags")["_embedded"]["osdi:tags"]], ["Rally 2026"])

    def test_tag_needs_a_name(self) -> None:
        for body in ({}, {"name": ""}, {"name": ["a"]}, {"name": "x" * 101}):
            self.assertEqual(self.api("POST", "tags", body).status_code, 400, body)

    def test_tagging_by_href_from_any_host_is_deduplicated_per_person(self) -> None:
        """Parsons and osdi send hrefs built with Action Network's host; the last path segment is the id."""
        tag = self.ok("POST", "tags", {"name": "steward"}, status=201)
        body = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{self.member.public_id}"}}}
        created = self.ok("POST", f"tags/{bare(tag)}/taggings", body, status=201)
        again = self.ok("POST", f"tags/{bare(tag)}/taggings", body, status=200)
        self.assertEqual(created["identifiers"], again["identifiers"])
        self.assertEqual(Tagging.objects.filter(person=self.member).count(), 1)
        self.assertTrue(created["_links"]["osdi:person"]["href"].endswith(str(self.member.public_id)))
        listed = self.ok("GET", f"tags/{bare(tag)}/taggings")
        self.assertEqual(listed["total_records"], 1)
        self.assertEqual(self.ok("GET", f"people/{self.member.public_id}/taggings")["total_records"], 1)

    def test_tagging_by_person_id_or_email_when_links_are_lost(self) -> None:
        tag = self.ok("POST", "tags", {"name": "query-string"}, status=201)
        self.ok("POST", f"/api/v2/tags/{bare(tag)}/taggings?action_network:person_id={self.member.public_id}",
                status=201)
        other = make_person(self.local, email="by-email@example.org")
        self.ok("POST", f"tags/{bare(tag)}/taggings", {"email_address": "by-email@example.org"}, status=201)
        self.assertEqual(set(Tagging.objects.filter(tag__name="query-string").values_list("person", flat=True)),
                         {self.member.pk, other.pk})
        for body in ({}, {"_links": {"osdi:person": {"href": "https://x/people/not-a-uuid"}}},
                     {"action_network:person_id": "00000000-0000-0000-0000-000000000000"}):
            response = self.api("POST", f"tags/{bare(tag)}/taggings", body)
            self.assertEqual(response.status_code, 400)
            self.assertEqual(response.json(), {"error": "You must specify a valid person id"})

    def test_delete_a_tagging_answers_a_notice(self) -> None:
        tagging = add_tag(person=self.member, group=self.local, name="leaving")
        tag_id = Tag.objects.get(name="leaving").public_id
        response = self.api("DELETE", f"tags/{tag_id}/taggings/{tagging.public_id}", raw=b"null")
        self.assertEqual(response.status_code, 200)
        self.assertIn("notice", response.json())
        self.assertFalse(Tagging.objects.filter(pk=tagging.pk).exists())
        self.assertEqual(self.api("DELETE", f"tags/{tag_id}/taggings/{tagging.public_id}").status_code, 404)

    def test_read_only_token_cannot_tag(self) -> None:
        tag = self.ok("POST", "tags", {"name": "ro"}, status=201)
        response = self.api("POST", f"tags/{bare(tag)}/taggings",
                            {"action_network:person_id": str(self.member.public_id)}, key=self.viewer_key)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.api("POST", "tags", {"name": "x"}, key=self.viewer_key).status_code, 403)


class GroupTagTests(ApiTestCase):
    """A token sees, makes and uses only the tags of its user's groups."""

    def setUp(self) -> None:
        Membership.objects.create(person=self.member, group=self.other)  # Maria is in both groups
        self.theirs = add_tag(person=self.member, group=self.other, name="fired-for-organizing").tag

    def test_an_organizer_never_sees_another_groups_tag(self) -> None:
        self.assertEqual(self.ok("GET", "tags")["total_records"], 0)
        self.assertEqual(self.ok("GET", "tags", QUERY_STRING="filter=created_date gt '2000-01-01'")["total_records"], 0)
        for path in (f"tags/{self.theirs.public_id}", f"tags/{self.theirs.public_id}/taggings"):
            self.assertEqual(self.api("GET", path).status_code, 404, path)
        tagging = self.member.taggings.get()
        self.assertEqual(self.api("GET", f"tags/{self.theirs.public_id}/taggings/{tagging.public_id}").status_code, 404)
        self.assertEqual(self.ok("GET", f"people/{self.member.public_id}/taggings")["total_records"], 0)
        theirs = self.ok("GET", "tags", key=self.outsider_key)["_embedded"]["osdi:tags"]
        self.assertEqual([t["name"] for t in theirs], ["fired-for-organizing"])

    def test_two_groups_can_both_have_volunteer(self) -> None:
        ours = self.ok("POST", "tags", {"name": "volunteer"}, status=201)
        theirs = self.ok("POST", "tags", {"name": "volunteer"}, status=201, key=self.outsider_key)
        self.assertNotEqual(ours["identifiers"], theirs["identifiers"])
        self.assertEqual(Tag.objects.get(public_id=bare(ours)).group, self.local)
        self.assertEqual(Tag.objects.get(public_id=bare(theirs)).group, self.other)
        self.assertEqual([t["name"] for t in self.ok("GET", "tags")["_embedded"]["osdi:tags"]], ["volunteer"])

    def test_tagging_resolves_only_among_visible_tags(self) -> None:
        body = {"action_network:person_id": str(self.member.public_id)}
        self.assertEqual(self.api("POST", f"tags/{self.theirs.public_id}/taggings", body).status_code, 404)
        self.ok("POST", "people", {"person": {"email_addresses": [{"address": "maria@example.org"}]},
                                   "add_tags": ["fired-for-organizing"], "remove_tags": ["fired-for-organizing"]})
        self.ok("POST", "people", {"person": {"email_addresses": [{"address": "maria@example.org"}]},
                                   "add_tags": ["fired-for-organizing"]})
        ours = Tag.objects.get(group=self.local)
        self.assertEqual(set(self.member.taggings.values_list("tag", flat=True)), {ours.pk, self.theirs.pk})
        self.ok("POST", "people", {"person": {"email_addresses": [{"address": "maria@example.org"}]},
                                   "remove_tags": ["fired-for-organizing"]})
        self.assertEqual(list(self.member.taggings.values_list("tag", flat=True)), [self.theirs.pk])
        target = {"type": "sms", "body": "Rally", "targets": [{"href": f"https://x/api/v2/tags/{self.theirs.public_id}"}]}
        self.assertEqual(self.api("POST", "messages", target).status_code, 400)

    def test_a_viewer_of_a_group_may_read_its_tag_but_not_tag_with_it(self) -> None:
        from turnout.accounts.models import Role, StaffRole

        StaffRole.objects.create(user=self.organizer, group=self.other, role=Role.VIEWER)
        self.assertEqual(self.ok("GET", f"tags/{self.theirs.public_id}")["name"], "fired-for-organizing")
        response = self.api("POST", f"tags/{self.theirs.public_id}/taggings",
                            {"action_network:person_id": str(self.member.public_id)})
        self.assertEqual(response.status_code, 403)


class ListTests(ApiTestCase):
    def test_lists_and_their_items(self) -> None:
        extra = make_person(self.local, given_name="Listed")
        saved = save_list(actor=self.organizer, group=self.local, name="Phone bank", people=self.member.__class__.objects.filter(
            pk__in=[self.member.pk, extra.pk, self.stranger.pk]))
        lists = self.ok("GET", "lists")
        self.assertEqual([item["name"] for item in lists["_embedded"]["osdi:lists"]], ["Phone bank"])
        self.assertEqual(self.ok("GET", f"lists/{saved.public_id}")["name"], "Phone bank")
        items = self.ok("GET", f"lists/{saved.public_id}/items")
        # The stranger is on the list's rows but not visible to this token.
        people = {i["_links"]["osdi:person"]["href"].rsplit("/", 1)[1] for i in items["_embedded"]["osdi:items"]}
        self.assertEqual(people, {str(self.member.public_id), str(extra.public_id)})
        item_id = bare(items["_embedded"]["osdi:items"][0])
        self.assertEqual(self.ok("GET", f"lists/{saved.public_id}/items/{item_id}")["item_type"], "osdi:person")

    def test_another_groups_list_is_not_found(self) -> None:
        theirs = save_list(actor=self.outsider, group=self.other, name="East list",
                           people=self.member.__class__.objects.filter(pk=self.stranger.pk))
        self.assertEqual(self.ok("GET", "lists")["total_records"], 0)
        self.assertEqual(self.api("GET", f"lists/{theirs.public_id}").status_code, 404)
        self.assertEqual(self.api("GET", f"lists/{theirs.public_id}/items").status_code, 404)
