"""Door knocking end to end: an organizer launches a campaign for people with addresses, cuts their
households into turfs (by count along the streets or the map, or drawn on the map) in walking order,
gives each to a canvasser; the canvasser's phone downloads the turf and syncs its results exactly
once, even when a sync is cut off and sent again, and even after the turf was given to someone else."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from turnout.messaging import results as contact_results
from turnout.people.models import ContactResult, Person, ResultCode
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person
from turnout.texting import doors, services
from turnout.texting.models import (
    Conversation,
    DoorResult,
    SurveyResponse,
    Texter,
    TextingCampaign,
    Turf,
)

NOON_PACIFIC = datetime(2031, 3, 12, 19, 0, tzinfo=UTC)
SCRIPT = "Hi {first_name}, I'm {texter_first_name}, a member of Local 8. Can we count on your vote Tuesday?"


def code(key: str) -> ResultCode:
    return next(c for c in contact_results.built_in() if c.key == key)


def resident(group, name: str, address: str, *, lat: float | None = None, lng: float | None = None,
             unit: str = "") -> Person:
    person = make_person(group, given_name=name, postal_code="98101")
    person.address_line1, person.address_line2 = address, unit
    if lat is not None:
        person.latitude, person.longitude = lat, lng
    person.save()
    return person


class DoorCase(TurnoutTestCase):
    def setUp(self) -> None:
        self.travel_to(NOON_PACIFIC)
        self.member.address_line1 = "102 Pine St"
        self.member.save()
        # Pine St: both sides; Oak Ave; two people in one household.
        self.people = [resident(self.local, name, address) for name, address in (
            ("Ana", "101 Pine St"), ("Ben", "103 Pine St"), ("Cy", "104 Pine St"), ("Di", "105 Pine St"),
            ("Ed", "201 Oak Ave"), ("Flo", "201 Oak Ave"), ("Gus", "203 Oak Ave"))]
        self.nowhere = make_person(self.local, given_name="NoAddress", postal_code="98101")

    def launched(self) -> TextingCampaign:
        self.login(self.organizer)
        made = self.client.post("/texting/new/", {"channel": "door", "title": "Strike vote doors",
                                                  "from_group": self.local.pk, "script": SCRIPT, "script_es": ""})
        self.assertEqual(made.status_code, 302, made.content[:3000])
        campaign = TextingCampaign.objects.get()
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        campaign.refresh_from_db()
        self.assertEqual(campaign.status, "live")
        return campaign

    def join(self, campaign: TextingCampaign, name: str) -> tuple[Texter, str]:
        self.login(self.organizer)
        page = self.client.post(f"/texting/{campaign.public_id}/invite/", follow=True)
        link = re.search(r'data-testid="invite-link">([^<]+)<', page.content.decode()).group(1)
        self.client.logout()
        self.assertContains(self.client.get(link.replace("http://testserver", "")), "Start canvassing")
        joined = self.client.post(link.replace("http://testserver", ""), {"name": name, "email": ""})
        return Texter.objects.get(name=name), joined["Location"]

    def walk(self, turf: Turf) -> list[str]:
        return list(Conversation.objects.filter(turf=turf).order_by("walk_order", "pk")
                    .values_list("person__address_line1", flat=True))


class DoorTests(DoorCase):
    def test_a_campaign_visits_everyone_with_an_address_and_cuts_turfs_along_the_streets(self) -> None:
        self.login(self.organizer)
        self.assertContains(self.client.get("/texting/new/?channel=door"), "What canvassers say at the door")
        campaign = self.launched()
        self.assertEqual(campaign.contacts, 8)  # not the one with no address
        page = self.client.get(campaign.get_absolute_url())
        self.assertContains(page, "7 households are in no turf yet.")
        cut = self.client.post(f"/texting/{campaign.public_id}/turfs/cut/", {"doors": "5"}, follow=True)
        self.assertContains(cut, "Cut 2 turfs.")
        oak, pine = Turf.objects.order_by("pk")  # by ZIP, then street: Oak Ave before Pine St
        self.assertEqual((oak.doors, pine.doors), (2, 5))  # seven households: Oak Ave's two, Pine St's five
        self.assertEqual(self.walk(oak), ["201 Oak Ave", "201 Oak Ave", "203 Oak Ave"])
        # Up the odd side, back down the even side.
        self.assertEqual(self.walk(pine), ["101 Pine St", "103 Pine St", "105 Pine St", "104 Pine St",
                                           "102 Pine St"])
        self.assertEqual(pine.name, "2. Pine St")
        again = self.client.post(f"/texting/{campaign.public_id}/turfs/cut/", {"doors": "5"})
        self.assertContains(again, "Every household is in a turf already.", status_code=400)
        self.assertContains(self.client.post(f"/texting/{campaign.public_id}/turfs/cut/", {"doors": "1"}),
                            "Ensure this value is greater than or equal to 5.", status_code=400)

    def test_households_with_their_own_coordinates_are_cut_along_the_map(self) -> None:
        Person.objects.filter(pk__in=[p.pk for p in self.people] + [self.member.pk]).delete()
        # Ten households in Seattle, ten in Tacoma, interleaved by street name.
        for n in range(10):
            resident(self.local, f"S{n}", f"{100 + n} {'AB'[n % 2]} St", lat=47.61 + n * 0.001, lng=-122.33)
            resident(self.local, f"T{n}", f"{100 + n} {'AB'[n % 2]} Ave", lat=47.25 + n * 0.001, lng=-122.44)
        campaign = self.launched()
        self.assertEqual(doors.cut(actor=self.organizer, campaign=campaign, doors=10), 2)
        for turf in Turf.objects.all():
            towns = set(Conversation.objects.filter(turf=turf).values_list("person__given_name", flat=True))
            self.assertEqual(len({name[0] for name in towns}), 1, towns)  # all Seattle or all Tacoma

    def test_a_turf_drawn_on_the_map_takes_the_households_inside_it(self) -> None:
        Person.objects.filter(pk__in=[p.pk for p in self.people]).delete()
        inside = [resident(self.local, f"In{n}", f"{10 + n} Elm St", lat=47.6 + n * 0.0005, lng=-122.3)
                  for n in range(3)]
        resident(self.local, "Out", "99 Far Rd", lat=47.7, lng=-122.2)
        campaign = self.launched()
        square = [[47.59, -122.31], [47.59, -122.29], [47.61, -122.29], [47.61, -122.31]]
        nothing = [[40.0, -100.0], [40.0, -99.9], [40.1, -99.9]]
        refused = self.client.post(f"/texting/{campaign.public_id}/turfs/draw/", {"area": json.dumps(nothing)})
        self.assertContains(refused, "No household without a turf lies inside the area you drew.", status_code=400)
        self.assertContains(refused, "[[40.0, -100.0]", status_code=400)  # the corners drawn stay on the map
        drawn = self.client.post(f"/texting/{campaign.public_id}/turfs/draw/",
                                 {"area": json.dumps(square), "name": "Elm St"}, follow=True)
        self.assertContains(drawn, "Cut the turf Elm St: 3 households.")
        turf = Turf.objects.get()
        self.assertEqual(turf.area, square)
        self.assertEqual(set(Conversation.objects.filter(turf=turf).values_list("person_id", flat=True)),
                         {p.pk for p in inside})
        bad = self.client.post(f"/texting/{campaign.public_id}/turfs/draw/", {"area": "[[1, 2]]"})
        self.assertContains(bad, "click at least three corners", status_code=400)

    # --- the canvasser's phone -------------------------------------------------------------------

    def test_a_canvasser_downloads_only_their_turf_with_first_names_and_addresses(self) -> None:
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        oak, pine = Turf.objects.order_by("pk")
        ann, own = self.join(campaign, "Ann Canvasser")
        self.assertContains(self.client.get(own), "No turf yet")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        page = self.client.get(own)
        self.assertContains(page, pine.name)
        self.assertNotContains(page, oak.name)
        data = self.client.get(f"{own}turfs/{pine.public_id}.json").json()
        self.assertEqual([h["address"] for h in data["households"]][:3], ["101 Pine St", "103 Pine St",
                                                                          "105 Pine St"])
        self.assertEqual(data["households"][0]["people"][0]["name"], "Ana")
        self.assertIn("Hi Ana, I'm Ann, a member of Local 8.", data["households"][0]["people"][0]["script"])
        text = json.dumps(data)
        for private in ("Worker", "example.org", "+1"):  # no family name, email or number
            self.assertNotIn(private, text)
        self.assertIn("talked", json.dumps(data["results"]).lower())
        self.assertEqual(self.client.get(f"{own}turfs/{oak.public_id}.json").status_code, 409)
        self.assertIn(f"Canvasser Ann Canvasser downloaded the turf {pine.name}: 5 households",
                      audit_summaries(campaign))

    def results_for(self, turf: Turf, *, revision: int | None = None, key: str = "talked",
                    choices: list[int] | None = None) -> list[dict]:
        return [{"client_id": str(uuid.uuid4()), "contact": c.pk, "result": code(key).pk, "choices": choices or [],
                 "recorded_at": (NOON_PACIFIC - timedelta(minutes=5)).isoformat(),
                 "revision": revision or turf.revision}
                for c in Conversation.objects.filter(turf=turf).order_by("walk_order")]

    def sync(self, own: str, results: list[dict]) -> dict:
        response = self.client.post(f"{own}sync/", json.dumps({"results": results}), content_type="application/json")
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_results_sync_exactly_once_through_a_cut_off_and_retried_sync(self) -> None:
        campaign = self.launched()
        question = services.add_question(actor=self.organizer, campaign=campaign, prompt="Vote yes?",
                                         choices="Yes | vote-yes\nNo")
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        pine = Turf.objects.order_by("pk").last()
        ann, own = self.join(campaign, "Ann Canvasser")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        yes = question.choices.get(label="Yes").pk
        results = self.results_for(pine, choices=[yes])
        # The first half reached Turnout, but the phone never heard back: it sends everything again.
        first = self.sync(own, results[:3])
        self.assertEqual(len(first["accepted"]), 3)
        again = self.sync(own, results)
        self.assertEqual((sorted(again["accepted"]), again["flagged"], again["refused"]),
                         (sorted(r["client_id"] for r in results), [], []))
        self.sync(own, results)  # and once more, for luck
        self.assertEqual(DoorResult.objects.count(), 5)
        self.assertEqual(ContactResult.objects.filter(channel="door").count(), 5)
        self.assertEqual(SurveyResponse.objects.count(), 5)
        self.assertEqual(set(Conversation.objects.filter(turf=pine).values_list("attempts", flat=True)), {1})
        person = Conversation.objects.filter(turf=pine).first().person
        self.assertTrue(person.taggings.filter(tag__name="vote-yes").exists())
        result = ContactResult.objects.get(person=person)
        self.assertEqual((result.code.key, result.by, result.at), ("talked", "Ann Canvasser",
                                                                 NOON_PACIFIC - timedelta(minutes=5)))
        page = self.client.get(campaign.get_absolute_url())  # logged out: the console is not the canvasser's
        self.assertEqual(page.status_code, 302)
        self.login(self.organizer)
        board = self.client.get(campaign.get_absolute_url()).content.decode()
        self.assertRegex(board, r'data-testid="knocked">5<')
        self.assertRegex(board, r'data-testid="turf-knocked">5<')
        export = self.client.get(f"/texting/{campaign.public_id}/export.csv").content.decode()
        self.assertEqual(export.count("Ann Canvasser"), 5)  # each door with its canvasser and result
        self.assertEqual(export.count("Talked"), 5)

    def test_results_from_a_turf_given_to_someone_else_are_kept_and_flagged(self) -> None:
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        pine = Turf.objects.order_by("pk").last()
        ann, own = self.join(campaign, "Ann Canvasser")
        bo, bo_link = self.join(campaign, "Bo Canvasser")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        self.client.get(f"{own}turfs/{pine.public_id}.json")  # downloaded, then walked offline
        results = self.results_for(pine)  # recorded offline, on revision 1
        self.login(self.organizer)
        self.client.post(f"/texting/{campaign.public_id}/turfs/{pine.public_id}/assign/",
                         {"canvasser": [str(bo.public_id)]})
        pine.refresh_from_db()
        self.assertEqual(pine.revision, 2)
        self.client.logout()
        answer = self.sync(own, results)
        self.assertEqual((len(answer["flagged"]), answer["accepted"]), (5, []))
        self.assertEqual(DoorResult.objects.filter(flagged=True).count(), 5)
        # Kept, but not written on the records until the organizer has checked them.
        self.assertFalse(ContactResult.objects.filter(channel="door").exists())
        self.login(self.organizer)
        page = self.client.get(campaign.get_absolute_url())
        self.assertContains(page, "Results from a turf given to someone else")
        first = DoorResult.objects.order_by("pk").first()
        applied = self.client.post(f"/texting/{campaign.public_id}/turfs/flagged/", {"result": [first.pk]},
                                   follow=True)
        self.assertContains(applied, "Wrote 1 result on the records.")
        self.assertEqual(ContactResult.objects.get(channel="door").person, first.conversation.person)
        # The rest the new canvasser knocked again since: set aside, kept but never written.
        rest = list(DoorResult.objects.filter(flagged=True).values_list("pk", flat=True))
        aside = self.client.post(f"/texting/{campaign.public_id}/turfs/flagged/", {"result": rest, "set_aside": "1"},
                                 follow=True)
        self.assertContains(aside, "Set aside 4 results: they are kept, not written on the records.")
        self.assertNotContains(aside, "Results from a turf given to someone else")
        self.client.post(f"/texting/{campaign.public_id}/turfs/flagged/", {"result": rest})  # a stale form
        self.assertEqual(ContactResult.objects.filter(channel="door").count(), 1)
        self.assertEqual(DoorResult.objects.filter(set_aside_at__isnull=False).count(), 4)
        self.client.logout()
        again = self.sync(own, results)  # the phone sends them again: acknowledged, still set aside
        self.assertEqual(len(again["accepted"]), 5)
        self.assertEqual(ContactResult.objects.filter(channel="door").count(), 1)
        self.login(self.organizer)
        # A canvasser removed meanwhile still syncs what their phone kept: flagged, not lost.
        self.client.logout()
        self.client.get(f"{bo_link}turfs/{pine.public_id}.json")
        services.remove_texter(actor=self.organizer, texter=bo)
        bo_results = self.results_for(pine, key="not_home")
        late = self.client.post(f"{bo_link}sync/", json.dumps({"results": bo_results}),
                                content_type="application/json").json()
        self.assertEqual(len(late["flagged"]), 5)
        # A door of a turf a canvasser never had is refused: no writing on strangers' records.
        oak = Turf.objects.order_by("pk").first()
        stray = self.sync(own, self.results_for(oak))
        self.assertEqual(len(stray["refused"]), len(self.results_for(oak)))
        self.assertIn("not in a turf you were given", stray["refused"][0]["reason"])

    def walked_offline(self) -> tuple[TextingCampaign, Turf, Turf, str, list[dict]]:
        """Two turfs cut; Ann's phone downloads Pine St and records its five doors with no signal."""
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        oak, pine = Turf.objects.order_by("pk")
        ann, own = self.join(campaign, "Ann Canvasser")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        self.client.get(f"{own}turfs/{pine.public_id}.json")
        return campaign, oak, pine, own, self.results_for(pine)

    def test_a_door_merged_away_after_the_download_still_syncs_to_the_kept_record(self) -> None:
        from turnout.people.services import merge_people

        campaign, oak, _pine, own, results = self.walked_offline()
        ana, ben = self.people[0], self.people[1]  # both on Pine St
        ed = self.people[4]  # on Oak Ave, in a turf Ann never had
        ben_door = Conversation.objects.get(campaign=campaign, person=ben).pk
        merge_people(actor=self.organizer, keep=ana, other=ben)  # meanwhile: one person, two records
        merge_people(actor=self.organizer, keep=ed, other=self.people[3])  # Di, Pine St, into Ed's record
        answer = self.sync(own, results)
        self.assertEqual((len(answer["accepted"]), len(answer["flagged"]), answer["refused"]), (4, 1, []))
        self.assertEqual(DoorResult.objects.get(flagged=True).flag_reason,
                         "The person was merged with a record in another turf.")
        self.assertEqual(DoorResult.objects.filter(conversation__person=ana).count(), 2)  # Ana's and Ben's
        self.assertEqual(ContactResult.objects.filter(person=ana, channel="door").count(), 1)
        # A stranger's phone cannot reach the kept record through the merged door's id.
        bo, bo_link = self.join(campaign, "Bo Canvasser")
        doors.assign(actor=self.organizer, turf=oak, canvassers=[bo])
        self.client.get(f"{bo_link}turfs/{oak.public_id}.json")
        stray = self.sync(bo_link, [{**next(r for r in results if r["contact"] == ben_door),
                                     "client_id": str(uuid.uuid4())}])
        self.assertIn("not in a turf you were given", stray["refused"][0]["reason"])

    def test_a_turf_dissolved_and_drawn_again_keeps_what_its_canvasser_sends(self) -> None:
        campaign, oak, pine, own, results = self.walked_offline()
        self.login(self.organizer)
        page = self.client.post(f"/texting/{campaign.public_id}/turfs/{pine.public_id}/dissolve/", follow=True)
        self.assertContains(page, f"Dissolved {pine.name}: 5 doors are in no turf again.")
        self.assertContains(page, "5 households are in no turf yet.")
        self.assertFalse(Turf.objects.filter(pk=pine.pk).exists())
        twice = self.client.post(f"/texting/{campaign.public_id}/turfs/{pine.public_id}/dissolve/", follow=True)
        self.assertEqual(twice.status_code, 404)  # a second click: the turf is gone, nothing else is
        self.assertIn(f"Dissolved the turf {pine.name}: 5 doors back to no turf", audit_summaries(campaign))
        self.client.logout()
        self.assertNotContains(self.client.get(own), pine.name)  # no longer Ann's to download
        answer = self.sync(own, results[:2])  # what the phone kept: flagged, not lost
        self.assertEqual(len(answer["flagged"]), 2)
        self.assertEqual(DoorResult.objects.filter(flag_reason="The turf was dissolved.").count(), 2)
        # Cut again and given to Bo: the rest of Ann's phone is still kept, flagged for the organizer.
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        bo, bo_link = self.join(campaign, "Bo Canvasser")
        doors.assign(actor=self.organizer, turf=Turf.objects.exclude(pk=oak.pk).get(), canvassers=[bo])
        self.client.logout()
        late = self.sync(own, results)  # the first two again (kept once), and three more
        self.assertEqual((len(late["accepted"]), len(late["flagged"]), late["refused"]), (2, 3, []))
        self.assertFalse(ContactResult.objects.filter(channel="door").exists())
        # A phone that never had the doors still cannot write them.
        stray = self.sync(bo_link, [{**results[0], "client_id": str(uuid.uuid4())}])
        self.assertEqual(len(stray["accepted"]), 1)  # Bo holds the new turf: his to write
        _cy, cy_link = self.join(campaign, "Cy Canvasser")
        self.client.logout()
        refused = self.sync(cy_link, [{**results[1], "client_id": str(uuid.uuid4())}])
        self.assertIn("not in a turf you were given", refused["refused"][0]["reason"])
        # The first turf dissolved and cut again: a number of its own, not the one still in use.
        doors.dissolve(actor=self.organizer, turf=oak)
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        self.assertEqual(sorted(n.split(".")[0] for n in campaign.turfs.values_list("name", flat=True)), ["2", "3"])

    def test_bad_input_to_a_sync_is_a_clear_error_and_nothing_is_written(self) -> None:
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        pine = Turf.objects.order_by("pk").last()
        ann, own = self.join(campaign, "Ann Canvasser")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        not_json = self.client.post(f"{own}sync/", "results=1", content_type="application/json")
        self.assertEqual(not_json.status_code, 400)
        self.assertIn("Send the results as JSON", not_json.json()["error"])
        stranger = make_person(self.other, given_name="Zed")
        bad = self.sync(own, [{"client_id": str(uuid.uuid4()), "contact": 999999, "result": code("talked").pk},
                              {"client_id": "not-an-id", "contact": 1, "result": 1},
                              {"client_id": str(uuid.uuid4()), "contact": stranger.pk, "result": 424242}])
        self.assertEqual(len(bad["refused"]), 3)
        self.assertIn("not one of this campaign's", bad["refused"][0]["reason"])
        self.assertFalse(DoorResult.objects.exists())
        too_many = self.client.post(f"{own}sync/", json.dumps({"results": [{}] * 501}),
                                    content_type="application/json")
        self.assertEqual(too_many.status_code, 400)
        question = services.add_question(actor=self.organizer, campaign=campaign, prompt="Vote yes?",
                                         choices="Yes\nNo")
        yes, no = question.choices.values_list("pk", flat=True)
        contact = Conversation.objects.filter(turf=pine).first()
        odd = self.sync(own, [
            {"client_id": str(uuid.uuid4()), "contact": contact.pk, "result": code("talked").pk, "choices": [yes, no]},
            {"client_id": str(uuid.uuid4()), "contact": contact.pk, "result": code("talked").pk, "choices": "yes"},
            {"client_id": str(uuid.uuid4()), "contact": contact.pk, "result": code("talked").pk,
             "recorded_at": "2026-13-45T99:00:00+25:00"},
            ["not", "a", "result"], 7])
        self.assertEqual((len(odd["refused"]), len(odd["accepted"])), (4, 1))  # an impossible date: now
        deep = self.client.post(f"{own}sync/", "[" * 100_000, content_type="application/json")
        self.assertEqual(deep.status_code, 400)

    def test_texting_acts_are_refused_on_a_door_campaign(self) -> None:
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        _ann, own = self.join(campaign, "Ann Canvasser")
        self.assertFalse(Texter.objects.get().message_id)  # no texts to send
        taken = self.client.post(f"{own}take/", {"size": "100"}, follow=True)
        self.assertContains(taken, "Your organizer gives you turfs to walk")
        self.assertFalse(Conversation.objects.filter(status="assigned").exists())
        contact = Conversation.objects.first()
        for action in ("send", "reply", "opt-out", "result", "answer", "flag"):
            response = self.client.post(f"{own}c/{contact.pk}/{action}/", {"body": "hi", "code": "1", "choice": "1"})
            self.assertEqual(response.status_code, 302, action)  # a clear message on the page, never a 500
        self.login(self.organizer)
        moved = self.client.post(f"/texting/{campaign.public_id}/reassign/", {"conversation": [contact.pk]},
                                 follow=True)
        self.assertContains(moved, "move with their turf")
        huge = self.client.post(f"/texting/{campaign.public_id}/turfs/draw/",
                                {"area": "[[1" + "0" * 400 + ", 2], [3, 4], [5, 6]]"})
        self.assertContains(huge, "click at least three corners", status_code=400)

    def test_a_street_s_direction_is_part_of_its_name(self) -> None:
        homes = doors._households([(n, f"{line.lower()}||98101", line, "98101", None, None)
                                   for n, line in enumerate(("100 N Main St", "100 South Main Street", "12B Oak Ave"))])
        self.assertEqual([(h.number, h.street) for h in homes], [(100, "n main st"), (100, "s main st"),
                                                                 (12, "oak ave")])

    def test_one_door_written_two_ways_is_one_household(self) -> None:
        # Two residents of one flat, imported from two lists that spell the address differently.
        hal = resident(self.local, "Hal", "201 Oak Avenue.", unit="Apt. #2", lat=47.6101, lng=-122.3301)
        resident(self.local, "Ida", "201 oak ave", unit="apt 2", lat=47.6101, lng=-122.3301)
        resident(self.local, "Jo", "205 Oak Avenue")
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=20)
        households = dict(Conversation.objects.filter(campaign=campaign).values_list("person__given_name",
                                                                                     "household"))
        self.assertEqual(households["Hal"], households["Ida"])
        self.assertEqual(households["Hal"], "201 oak ave|apt 2|98101")
        self.assertNotEqual(households["Ida"], households["Ed"])  # 201 Oak Ave, no flat number
        turf = Turf.objects.get()
        ann, own = self.join(campaign, "Ann Canvasser")
        doors.assign(actor=self.organizer, turf=turf, canvassers=[ann])
        walk = self.client.get(f"{own}turfs/{turf.public_id}.json").json()["households"]
        flat = next(h for h in walk if "Hal" in [p["name"] for p in h["people"]])
        self.assertEqual(sorted(p["name"] for p in flat["people"]), ["Hal", "Ida"])
        # The supervisor's map draws the flat once, knocked once either resident's door was.
        Conversation.objects.filter(campaign=campaign, person=hal).update(result=code("talked"))
        drawn = doors.map_points(campaign, list(doors.progress(campaign)))["doors"]
        self.assertEqual(drawn, [[47.6101, -122.3301, 0, True]])
        # Oak Avenue and oak ave are one street: its odd side walked up in one run.
        odd_oak = [h["address"] for h in walk if h["address"].lower().startswith(("201", "203", "205"))]
        self.assertEqual([a.split()[0] for a in odd_oak], ["201", "201", "203", "205"])


class WorkplaceWalkTests(DoorCase):
    def walk_the_shop(self) -> tuple[TextingCampaign, Turf, str]:
        from turnout.organizing.models import Area, Campaign, Employer, Unit, Worker, Workplace

        employer = Employer.objects.create(group=self.local, name="Bean Street Coffee")
        workplace = Workplace.objects.create(group=self.local, employer=employer, name="Pike", postal_code="98101")
        self.organizing = Campaign.objects.create(group=self.local, name="Bean Street Workers", union_name="Local 8")
        self.unit = Unit.objects.create(campaign=self.organizing, workplace=workplace)
        kitchen = Area.objects.create(workplace=workplace, kind="department", name="Kitchen")
        counter = Area.objects.create(workplace=workplace, kind="department", name="Counter")
        night = Area.objects.create(workplace=workplace, kind="shift", name="Night")
        # Workers at work, most with no home address on file: the walk goes through the workplace.
        self.staff = [make_person(self.local, given_name=name) for name in ("Kim", "Lee", "Mo")]
        Worker.objects.create(unit=self.unit, person=self.staff[0], department=kitchen, shift=night)
        Worker.objects.create(unit=self.unit, person=self.staff[1], department=kitchen, shift=night)
        Worker.objects.create(unit=self.unit, person=self.staff[2], department=counter)
        Worker.objects.create(unit=self.unit, person=self.people[0], eligible=False)  # the manager: never
        self.login(self.organizer)
        made = self.client.post("/texting/new/", {"channel": "door", "title": "Walk the shop", "from_group": self.local.pk,
                                                  "script": SCRIPT, "source": f"roster:{self.organizing.public_id}"})
        self.assertEqual(made.status_code, 302, made.content[:2000])
        campaign = TextingCampaign.objects.get()
        self.assertContains(self.client.get(campaign.get_absolute_url()), "3 people will be visited")
        self.client.post(f"/texting/{campaign.public_id}/launch/")
        campaign.refresh_from_db()
        self.assertEqual(campaign.contacts, 3)
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        turf = Turf.objects.get()
        ann, own = self.join(campaign, "Ann Coworker")
        doors.assign(actor=self.organizer, turf=turf, canvassers=[ann])
        return campaign, turf, own

    def test_a_roster_is_walked_through_the_workplace_by_department_and_shift(self) -> None:
        _campaign, turf, own = self.walk_the_shop()
        data = self.client.get(f"{own}turfs/{turf.public_id}.json").json()
        self.assertEqual([(h["address"], [p["name"] for p in h["people"]]) for h in data["households"]],
                         [("Pike · Counter", ["Mo"]), ("Pike · Kitchen · Night", ["Kim", "Lee"])])
        # The canvasser assesses each coworker on the organizers' own 1 to 5.
        self.assertEqual([s["score"] for s in data["scale"]], [1, 2, 3, 4, 5])
        self.assertIn("Leader", data["scale"][0]["label"])

    def test_the_walk_s_results_become_the_campaign_s_conversations_and_assessments(self) -> None:
        from turnout.organizing.models import Assessment, Worker
        from turnout.organizing.models import Conversation as OneOnOne

        campaign, turf, own = self.walk_the_shop()
        question = services.add_question(actor=self.organizer, campaign=campaign, prompt="Come to the meeting?",
                                         choices="Yes\nNo")
        yes = question.choices.get(label="Yes").pk
        self.client.logout()
        self.client.get(f"{own}turfs/{turf.public_id}.json")
        kim, lee, mo = (Conversation.objects.get(campaign=campaign, person=p) for p in self.staff)
        at = (NOON_PACIFIC - timedelta(minutes=5)).isoformat()

        def door(contact: Conversation, key: str, **more) -> dict:
            return {"client_id": str(uuid.uuid4()), "contact": contact.pk, "result": code(key).pk, "recorded_at": at,
                    **more}

        bad = self.client.post(f"{own}sync/", json.dumps({"results": [
            door(kim, "talked", score=9), door(kim, "not_home", score=5), door(kim, "talked", score="2")]}),
            content_type="application/json").json()
        self.assertEqual(len(bad["refused"]), 3)  # off the scale; a door nobody opened; a score as text
        self.assertIn("a number on this campaign's scale, given only with \"Talked\"", bad["refused"][1]["reason"])
        sent = [door(kim, "talked", score=1, next_step="Bring Lee to the meeting", choices=[yes]),
                door(lee, "talked"), door(mo, "not_home")]
        with self.captureOnCommitCallbacks(execute=True):
            answer = self.client.post(f"{own}sync/", json.dumps({"results": sent}),
                                      content_type="application/json").json()
        self.assertEqual(len(answer["accepted"]), 3)
        self.assertFalse(OneOnOne.objects.exists())  # written once the sync has committed, by the worker
        self.run_worker()
        self.assertEqual(OneOnOne.objects.count(), 3)
        # Sent again (the phone never heard back): still one conversation per door.
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"{own}sync/", json.dumps({"results": sent}), content_type="application/json")
        self.run_worker()
        self.assertEqual(doors.write_walks(campaign_id=campaign.pk), 0)  # a task run twice writes nothing twice
        self.assertEqual(OneOnOne.objects.count(), 3)
        one_on_ones = {c.worker.person.given_name: c for c in OneOnOne.objects.select_related("worker__person")}
        self.assertEqual({name: c.outcome for name, c in one_on_ones.items()},
                         {"Kim": "supportive", "Lee": "talked", "Mo": "not_reached"})
        self.assertEqual(one_on_ones["Kim"].next_step, "Bring Lee to the meeting")
        self.assertIn("Come to the meeting?: Yes", one_on_ones["Kim"].notes)
        self.assertIn("Not home", one_on_ones["Mo"].notes)
        self.assertEqual(one_on_ones["Kim"].by_label, "Ann Coworker (door knocking: Walk the shop)")
        kim_worker = Worker.objects.get(person=self.staff[0])
        self.assertEqual((kim_worker.support, Assessment.objects.get().score), (1, 1))
        self.unit.refresh_from_db()
        self.assertEqual(self.unit.support_counts, [1, 0, 0, 0, 0])
        # The organizer sees it where they track the campaign: the worker's page.
        self.login(self.organizer)
        page = self.client.get(f"/organizing/workers/{kim_worker.public_id}/")
        self.assertContains(page, "Bring Lee to the meeting")
        self.assertContains(page, "Ann Coworker (door knocking: Walk the shop)")

    def test_flagged_results_written_by_the_organizer_become_conversations_too(self) -> None:
        from turnout.organizing.models import Conversation as OneOnOne
        from turnout.organizing.models import Worker

        campaign, turf, own = self.walk_the_shop()
        self.client.logout()
        self.client.get(f"{own}turfs/{turf.public_id}.json")
        bo, _bo_link = self.join(campaign, "Bo Coworker")
        doors.assign(actor=self.organizer, turf=turf, canvassers=[bo])  # given away meanwhile
        kim = Conversation.objects.get(campaign=campaign, person=self.staff[0])
        late = {"client_id": str(uuid.uuid4()), "contact": kim.pk, "result": code("talked").pk, "score": 4,
                "recorded_at": (NOON_PACIFIC - timedelta(minutes=5)).isoformat()}
        self.client.logout()
        answer = self.client.post(f"{own}sync/", json.dumps({"results": [late]}), content_type="application/json")
        self.assertEqual(len(answer.json()["flagged"]), 1)
        self.assertFalse(OneOnOne.objects.exists())  # not until the organizer says so
        self.login(self.organizer)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/texting/{campaign.public_id}/turfs/flagged/", {"result": [DoorResult.objects.get().pk]})
        self.run_worker()
        self.assertEqual(OneOnOne.objects.get().outcome, "opposed")
        self.assertEqual(Worker.objects.get(person=self.staff[0]).support, 4)

    def test_a_walk_of_homes_takes_no_assessment(self) -> None:
        campaign = self.launched()
        doors.cut(actor=self.organizer, campaign=campaign, doors=5)
        pine = Turf.objects.order_by("pk").last()
        ann, own = self.join(campaign, "Ann Canvasser")
        doors.assign(actor=self.organizer, turf=pine, canvassers=[ann])
        self.assertEqual(self.client.get(f"{own}turfs/{pine.public_id}.json").json()["scale"], [])
        contact = Conversation.objects.filter(turf=pine).first()
        answer = self.client.post(f"{own}sync/", json.dumps({"results": [
            {"client_id": str(uuid.uuid4()), "contact": contact.pk, "result": code("talked").pk, "score": 2}]}),
            content_type="application/json").json()
        self.assertIn("a number on this campaign's scale", answer["refused"][0]["reason"])
        self.assertFalse(DoorResult.objects.exists())
