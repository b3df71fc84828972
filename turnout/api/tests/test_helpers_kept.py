"""The record helpers read their token on every request and keep their page for a few seconds: a
revoked token, a role taken away or a deactivated user is refused on the very next request, a page
closed or limited in any process is refused or seated one by one at once, and a kept page is never
seen through another group's token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from turnout.accounts.models import ApiToken, Role, StaffRole, User
from turnout.accounts.services import revoke_api_token, set_role
from turnout.actions import services as actions
from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api.tests.base import ApiTestCase
from turnout.core.models import AuditEntry
from turnout.events.models import Event, Rsvp
from turnout.people.models import ConsentEvent, Person


def body(email: str) -> dict[str, Any]:
    return {"person": {"given_name": "Rosa", "family_name": "Park", "email_addresses": [{"address": email}],
                       "postal_addresses": [{"postal_code": "98101"}]}}


class HelpersKeptTests(ApiTestCase):
    def setUp(self) -> None:
        self.event = Event.objects.create(group=self.local, title="Rally at Westlake", time_zone="America/Los_Angeles",
                                          starts_at=timezone.now() + timedelta(days=3), postal_code="98101")
        self.form = Form.objects.create(group=self.local, title="Join the campaign")
        self.petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat now.")
        self.paths = {"attendance": f"events/{self.event.public_id}/attendances",
                      "submission": f"forms/{self.form.public_id}/submissions",
                      "signature": f"petitions/{self.petition.public_id}/signatures"}

    def send(self, kind: str, email: str, **kwargs: Any) -> Any:
        return self.api("POST", self.paths[kind], body(email), **kwargs)

    def test_a_revoked_token_is_refused_on_its_next_request(self) -> None:
        """A token that has just recorded attendance is refused on its next request once revoked."""
        self.assertEqual(self.send("attendance", "first@example.org").status_code, 201)
        revoke_api_token(actor=self.organizer, token=ApiToken.objects.get(pk=self.token.pk))
        for kind in ("attendance", "submission", "signature"):
            self.assertEqual(self.send(kind, f"{kind}@example.org").status_code, 401)
        self.assertEqual(self.api("GET", "").status_code, 401)
        self.assertFalse(Person.objects.filter(emails__address__in=[
            "attendance@example.org", "submission@example.org", "signature@example.org"]).exists())

    def test_a_role_change_takes_effect_on_the_next_request(self) -> None:
        """An organizer made a viewer can no longer record on the next request; with no role at all the
        token is refused; made organizer again, it records at once."""
        self.assertEqual(self.send("submission", "first@example.org").status_code, 201)
        set_role(actor=self.admin, user=self.organizer, group=self.local, role=Role.VIEWER)
        self.assertEqual(self.send("submission", "second@example.org").status_code, 403)
        self.assertEqual(self.api("GET", f"forms/{self.form.public_id}").status_code, 200)
        set_role(actor=self.admin, user=self.organizer, group=self.local, role=None)
        self.assertEqual(self.send("submission", "third@example.org").status_code, 403)
        self.assertEqual(self.api("GET", "").status_code, 403)
        set_role(actor=self.admin, user=self.organizer, group=self.local, role=Role.ORGANIZER)
        self.assertEqual(self.send("submission", "fourth@example.org").status_code, 201)
        self.assertEqual(Submission.objects.filter(form=self.form).count(), 2)

    def test_a_role_held_above_reaches_the_page(self) -> None:
        """A council admin's token for the local records on the local's pages, as the role tree says."""
        from turnout.accounts.services import create_api_token

        _token, key = create_api_token(actor=None, user=self.admin, group=self.local, name="council")
        self.assertEqual(self.send("signature", "council@example.org", key=key).status_code, 201)
        StaffRole.objects.filter(user=self.admin).delete()
        self.assertEqual(self.send("signature", "council2@example.org", key=key).status_code, 403)

    def test_a_deactivated_user_is_refused_on_the_next_request(self) -> None:
        self.assertEqual(self.send("signature", "first@example.org").status_code, 201)
        User.objects.filter(pk=self.organizer.pk).update(is_active=False)
        self.assertEqual(self.send("signature", "second@example.org").status_code, 401)

    def test_a_page_closed_after_it_was_kept_is_refused_at_once(self) -> None:
        """A form or petition closed by another process (a plain update, no signal here) refuses the
        next request, and its refusal signs nobody up."""
        self.assertEqual(self.send("submission", "first@example.org").status_code, 201)
        self.assertEqual(self.send("signature", "first@example.org").status_code, 201)
        Form.objects.filter(pk=self.form.pk).update(is_open=False)
        Petition.objects.filter(pk=self.petition.pk).update(is_open=False)
        self.assertEqual(self.send("submission", "second@example.org").status_code, 409)
        self.assertEqual(self.send("signature", "third@example.org").status_code, 409)
        self.assertFalse(Person.objects.filter(emails__address__in=["second@example.org", "third@example.org"])
                         .exists())
        Form.objects.filter(pk=self.form.pk).update(is_open=True)
        self.assertEqual(self.send("submission", "second@example.org").status_code, 201)

    def test_an_event_given_a_limit_after_it_was_kept_counts_its_seats(self) -> None:
        """An event that takes a limit of one seat after a request kept it seats the next person and
        waitlists the one after, as its own page would."""
        self.assertEqual(self.send("attendance", "first@example.org").status_code, 201)
        Event.objects.filter(pk=self.event.pk).update(capacity=2)
        self.assertEqual(self.send("attendance", "second@example.org").status_code, 201)
        self.assertEqual(self.send("attendance", "third@example.org").status_code, 201)
        statuses = dict(Rsvp.objects.filter(event=self.event).values_list("person__emails__address", "status"))
        self.assertEqual(statuses, {"first@example.org": Rsvp.Status.GOING, "second@example.org": Rsvp.Status.GOING,
                                    "third@example.org": Rsvp.Status.WAITLIST})

    def test_a_page_deleted_after_it_was_kept_is_not_found(self) -> None:
        self.assertEqual(self.send("attendance", "first@example.org").status_code, 201)
        Rsvp.objects.filter(event=self.event).delete()
        Event.objects.filter(pk=self.event.pk).delete()
        self.assertEqual(self.send("attendance", "second@example.org").status_code, 404)
        self.assertFalse(Person.objects.filter(emails__address="second@example.org").exists())

    def test_a_kept_page_is_not_seen_through_another_groups_token(self) -> None:
        """Each page is kept once for the process; every token is still checked against its group:
        the outsider's token finds none of the local's pages, before or after they were kept."""
        for kind in ("attendance", "submission", "signature"):
            self.assertEqual(self.send(kind, f"before-{kind}@example.org", key=self.outsider_key).status_code, 404)
            self.assertEqual(self.send(kind, f"local-{kind}@example.org").status_code, 201)
            self.assertEqual(self.send(kind, f"after-{kind}@example.org", key=self.outsider_key).status_code, 404)
            self.assertEqual(self.send(kind, f"viewer-{kind}@example.org", key=self.viewer_key).status_code, 403)
        self.assertEqual(set(Person.objects.filter(emails__address__contains="-").values_list(
            "emails__address", flat=True)), {"local-attendance@example.org", "local-submission@example.org",
                                             "local-signature@example.org"})

    def test_a_helper_sign_up_keeps_the_rules_it_had(self) -> None:
        """A new person recorded by a helper: a supporter of the token's group, the email's yes on the
        ledger from the API, an audit entry naming the staffer, and a repeat answered 200 with the
        first resource."""
        first = self.send("signature", "new@example.org")
        self.assertEqual(first.status_code, 201)
        person = Person.objects.get(emails__address="new@example.org")
        self.assertEqual(list(person.memberships.values_list("group", "status")), [(self.local.pk, "supporter")])
        self.assertEqual(list(ConsentEvent.objects.filter(person=person).values_list("channel", "action", "source")),
                         [("email", "opt_in", ConsentEvent.Source.API)])
        entry = AuditEntry.objects.filter(target_type="person", action=AuditEntry.Action.CREATE, subject__isnull=False)
        self.assertEqual(entry.filter(actor=self.organizer).count(), 1)
        again = self.send("signature", "new@example.org")
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["identifiers"], first.json()["identifiers"])
        self.assertEqual(PetitionSignature.objects.filter(petition=self.petition).count(), 1)

    def test_a_form_changed_after_it_was_kept_tags_and_answers_as_saved(self) -> None:
        """Tags and an autoresponse added to a form by another process (as the console changes it,
        with no signal to this one) apply to the very next new person recorded through the API."""
        self.assertEqual(self.send("submission", "first@example.org").status_code, 201)
        actions.update_form(actor=self.organizer, form=Form.objects.get(pk=self.form.pk),
                            fields={"tags": "contract-2026", "autoresponse_body": "Welcome aboard."})
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(self.send("submission", "second@example.org").status_code, 201)
        second = Person.objects.get(emails__address="second@example.org")
        self.assertEqual(list(second.taggings.values_list("tag__name", flat=True)), ["contract-2026"])
        from django_tasks_db.models import DBTaskResult

        self.assertTrue(DBTaskResult.objects.filter(task_path="turnout.actions.tasks.send_autoresponses").exists())

    def test_a_page_takes_a_batch_only_as_its_row_says_now(self) -> None:
        """Whether a batch may take a page's acts is read from the page's row in the batch's
        transaction, not from the copy the request holds: an open form or petition and an event with
        no limit take it; one closed or limited since (the copy still open, unlimited) does not, and
        its acts go the one-by-one way, which refuses or seats them."""
        from turnout.api import helpers
        from turnout.people.signup import PublicSignup

        def as_now(target: Event | Form | Petition) -> Event | Form | Petition | None:
            return helpers._as_now(helpers.Arrival(
                kind="x", target=target, group=self.local, actor=self.organizer, detail="sync",
                signup=PublicSignup(given_name="Rosa", email="rosa@example.org", source="api")))

        def takes(target: Event | Form | Petition) -> bool:
            return as_now(target) is not None

        kept = {"event": Event.objects.get(pk=self.event.pk), "form": Form.objects.get(pk=self.form.pk),
                "petition": Petition.objects.get(pk=self.petition.pk)}
        self.assertEqual([takes(page) for page in kept.values()], [True, True, True])
        with self.assertNumQueries(1):  # a copy as saved is checked in one question, not read again
            self.assertEqual(as_now(kept["form"]).tag_names(), self.form.tag_names())  # type: ignore[union-attr]
        # A form or petition is taken as saved now: its autoresponse as edited since the request's copy.
        actions.update_form(actor=self.organizer, form=Form.objects.get(pk=self.form.pk),
                            fields={"autoresponse_body": "Edited since"})
        actions.update_petition(actor=self.organizer, petition=Petition.objects.get(pk=self.petition.pk),
                                fields={"title": "Renamed since"})
        now_form, now_petition = as_now(kept["form"]), as_now(kept["petition"])
        assert isinstance(now_form, Form) and isinstance(now_petition, Petition)
        self.assertEqual((now_form.autoresponse_body, now_petition.title), ("Edited since", "Renamed since"))
        self.assertEqual(now_form.group, self.local)
        Event.objects.filter(pk=self.event.pk).update(capacity=50)
        Form.objects.filter(pk=self.form.pk).update(is_open=False)
        Petition.objects.filter(pk=self.petition.pk).update(is_open=False)
        self.assertEqual([takes(page) for page in kept.values()], [False, False, False])
        self.assertFalse(takes(Form.objects.get(pk=self.form.pk)))  # a copy that says closed: no question asked
