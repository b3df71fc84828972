"""Staff see only the groups where they hold a role: every page and export is visited as an outsider."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from turnout.accounts.models import StaffRole
from turnout.actions.models import (
    Endorsement,
    Form,
    Petition,
    PetitionSignature,
    Resolution,
    Submission,
    WorkingGroup,
    WorkingGroupMember,
)
from turnout.api.webhooks import register_webhook
from turnout.core.models import AuditEntry
from turnout.events.models import Event, EventCampaign, Rsvp
from turnout.hubs.models import Hub
from turnout.mobilization.models import Activation, Member, Network, Plan, Pledge
from turnout.organizing.models import Campaign as OrganizingCampaign
from turnout.organizing.models import Card, Employer, Request, Unit, Worker, Workplace
from turnout.people.models import ImportJob, Person
from turnout.site.testing import TurnoutTestCase

PUBLIC = {"accounts:login", "accounts:logout", "accounts:password_reset", "accounts:password_reset_done",
          "accounts:password_reset_confirm", "accounts:password_reset_complete", "accounts:accept_invitation",
          "set_language", "health", "accounts:verify", "accounts:two_factor_setup", "accounts:preferences",
          # Public event pages: anyone may see a public event (events/tests cover drafts and members-only).
          "find_events", "public_event", "public_event_ics", "public_rsvp", "public_rsvp_cancel", "public_rsvp_ics",
          "public_campaign", "public_network", "public_pledge", "embed_event", "embed_pledge",
          # Public actions and their embeds (actions/tests cover closed and unpublished ones).
          "public_form", "embed_form", "public_petition", "embed_petition", "public_working_group",
          "embed_working_group", "public_resolution", "public_resolution_document", "public_endorsement_document",
          "public_hub", "public_hub_file", "qr_svg", "qr_print",
          # Organizing's public pages show no one's data (organizing/tests cover what they store).
          "public_intake", "public_card",
          # Host tools answer to the secret in the link (events/tests/test_host.py).
          "event_host", "event_host_sync", "event_host_text", "event_host_sw",
          # Volunteer texters' pages answer to the secret in their link (texting/tests).
          "texter_join", "texter_inbox", "texter_changed", "texter_take", "texter_send", "texter_reply",
          "texter_opt_out", "texter_answer", "texter_flag"}


def all_routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    """Every named route: (name, route template, pattern)."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += all_routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            routes.append((namespace + entry.name, prefix + str(entry.pattern), entry))
    return routes


class OutsiderTests(TurnoutTestCase):
    """The outsider is an admin of a worker center with no link to the council or its local."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.webhook = register_webhook(actor=cls.organizer, group=cls.local, url="https://local8-crm.example.org/hook")
        cls.job = ImportJob.objects.create(group=cls.local, original_name="local8-members.csv", file_path="/nonexistent",
                                           error_sample=[[2, "email", "maria@example.org is bad"]])
        cls.role = StaffRole.objects.get(user=cls.organizer)
        cls.campaign = EventCampaign.objects.create(group=cls.local, title="Local 8 day of action")
        cls.event = Event.objects.create(group=cls.local, title="Local 8 rally", postal_code="98101",
                                         time_zone="America/Los_Angeles", starts_at=timezone.now(),
                                         campaign=cls.campaign)
        Rsvp.objects.create(event=cls.event, person=cls.member)
        cls.network = Network.objects.create(group=cls.local, name="Local 8 rapid response")
        Member.objects.create(network=cls.network, person=cls.member)
        cls.activation = Activation.objects.create(network=cls.network, title="Local 8 rally call", body="Rally")
        cls.pledge = Pledge.objects.create(group=cls.local, title="Local 8 pledge", text="We will.")
        cls.plan = Plan.objects.create(group=cls.local, name="Local 8 plan", condition="x", subject="x", body="x")
        cls.form = Form.objects.create(group=cls.local, title="Local 8 sign-up")
        Submission.objects.create(form=cls.form, person=cls.member, answers={"Shift": "Local 8 night"})
        cls.petition = Petition.objects.create(group=cls.local, title="Local 8 petition", petition_text="x")
        PetitionSignature.objects.create(petition=cls.petition, person=cls.member)
        cls.resolution = Resolution.objects.create(group=cls.local, title="Local 8 resolution", text="x",
                                                   passed_by="Local 8")
        cls.endorsement = Endorsement.objects.create(resolution=cls.resolution, organization="Local 8 friends",
                                                     kind="local", contact_name="Maria",
                                                     contact_email="maria@example.org")
        cls.working_group = WorkingGroup.objects.create(group=cls.local, name="Local 8 safety committee")
        WorkingGroupMember.objects.create(working_group=cls.working_group, person=cls.member)
        cls.hub = Hub.objects.create(group=cls.local, slug="local-8-hub", title="Local 8 hub")
        employer = Employer.objects.create(group=cls.local, name="Local 8 Coffee")
        cls.workplace = Workplace.objects.create(group=cls.local, employer=employer, name="Local 8 store",
                                                 postal_code="98101")
        cls.organizing = OrganizingCampaign.objects.create(group=cls.local, name="Local 8 drive", employer=employer,
                                                           union_name="Local 8")
        cls.unit = Unit.objects.create(campaign=cls.organizing, workplace=cls.workplace)
        cls.worker = Worker.objects.create(unit=cls.unit, person=cls.member)
        cls.card = Card.objects.create(unit=cls.unit, worker=cls.worker, kind="electronic", signed_name="Maria Lopez",
                                       signed_at=timezone.now(), text="Local 8 card", employer_name="Local 8 Coffee")
        cls.request = Request.objects.create(group=cls.local, person=cls.member, employer_name="Local 8 Coffee",
                                             postal_code="98101", industry="food")
        AuditEntry.objects.create(action="view", actor=cls.organizer, actor_label=cls.organizer.email,
                                  target_type="person", target_id=str(cls.member.public_id), group=cls.local)

    def fill(self, route: str) -> str:
        values = {"<uuid:public_id>": str(self.member.public_id), "<slug:slug>": self.local.slug,
                  "<int:role_id>": str(self.role.pk), "<str:kind>": "email"}
        if "imports/<uuid:public_id>" in route:
            values["<uuid:public_id>"] = str(self.job.public_id)
        if "webhooks/<uuid:public_id>" in route:
            values["<uuid:public_id>"] = str(self.webhook.public_id)
        for prefix, record in (("mobilize/networks/<uuid", self.network), ("mobilize/activations/<uuid", self.activation),
                               ("mobilize/pledges/<uuid", self.pledge), ("mobilize/plans/<uuid", self.plan)):
            if route.startswith(prefix):
                values["<uuid:public_id>"] = str(record.public_id)
        for prefix, record in (("actions/forms/<uuid", self.form), ("actions/petitions/<uuid", self.petition),
                               ("actions/resolutions/<uuid", self.resolution),
                               ("actions/endorsements/<uuid", self.endorsement),
                               ("actions/working-groups/<uuid", self.working_group), ("actions/hubs/<uuid", self.hub)):
            if route.startswith(prefix):
                values["<uuid:public_id>"] = str(record.public_id)
        for prefix, record in (("organizing/requests/<uuid", self.request), ("organizing/workplaces/<uuid",
                                                                             self.workplace),
                               ("organizing/campaigns/<uuid", self.organizing), ("organizing/units/<uuid", self.unit),
                               ("organizing/workers/<uuid", self.worker), ("organizing/cards/<uuid", self.card)):
            if route.startswith(prefix):
                values["<uuid:public_id>"] = str(record.public_id)
        if route.startswith("events/campaigns/<uuid"):
            values["<uuid:public_id>"] = str(self.campaign.public_id)
        elif route.startswith("events/<uuid"):
            values["<uuid:public_id>"] = str(self.event.public_id)
        path = "/" + route
        for key, value in values.items():
            path = path.replace(key, value)
        return path.replace("^", "").replace("$", "")

    def assert_nothing_of_the_local(self, response: Any, path: str, typed: dict[str, str] | None = None) -> None:
        body = response.content.decode(errors="replace")
        for secret in ("Maria", "maria@example.org", "555-0123", "Local 8", "local8-members", "organizer@example.org",
                       "local8-crm"):
            if secret in (typed or {}).values():
                continue  # a form may show the outsider what they typed themselves
            self.assertNotIn(secret, body, f"{path} showed {secret!r} to an outsider")

    def test_every_staff_page_and_export_shows_an_outsider_nothing_of_another_group(self) -> None:
        self.login(self.outsider)
        visited = 0
        for name, route, _pattern in all_routes():
            if name in PUBLIC or name.startswith(("api_v2:", "anymail:")):
                # The API answers to tokens, email providers' reports to their shared secret, not
                # to sessions: turnout/api/tests and messaging/tests/test_email_providers cover them.
                continue
            path = self.fill(route)
            for method in ("get", "post"):
                data = {"name": "x", "other": str(self.member.public_id), "role": "admin", "confirm": "Maria Lopez",
                        "channel": "email", "address": "maria@example.org", "action": "opt_out",
                        "email": "x@example.org"} if method == "post" else {}
                response = getattr(self.client, method)(path, data)
                self.assertIn(response.status_code, {200, 302, 403, 404, 405}, f"{method} {path}")
                self.assert_nothing_of_the_local(response, f"{method} {path}", data)
                visited += 1
        self.assertGreater(visited, 30)
        # Nothing the outsider posted changed the local's data.
        self.member.refresh_from_db()
        self.assertTrue(Person.objects.filter(pk=self.member.pk).exists())
        self.assertFalse(self.member.taggings.exists())
        self.assertEqual(self.member.emails.get().status, "none")
        self.assertEqual(StaffRole.objects.get(pk=self.role.pk).role, "organizer")
        self.assertEqual((Activation.objects.get().status, Plan.objects.get().status), ("draft", "armed"))
        self.assertEqual(Member.objects.count(), 1)

    def test_search_filters_and_export_never_reach_another_group(self) -> None:
        self.login(self.outsider)
        for query in ({"q": "Maria"}, {"q": "555-0123"}, {"zip": "98101", "miles": "50"}, {"group": "local-8"}):
            self.assertEqual(self.client.get("/people/", query).context["page"].paginator.count, 0, query)
            self.assertEqual(len(self.client.get("/people/export.csv", query).content.decode().splitlines()), 1, query)
        self.assert_nothing_of_the_local(self.client.get("/people/export.csv"), "export")
        self.assertIn("Zelda", self.client.get("/people/").content.decode())

    def test_a_role_reaches_every_group_below_it(self) -> None:
        self.login(self.admin)
        body = self.client.get("/people/").content.decode()
        self.assertIn("Maria", body)
        self.assertNotIn("Zelda", body)

    def test_the_audit_log_shows_an_admin_only_their_own_groups(self) -> None:
        self.login(self.outsider)
        self.assertNotIn("organizer@example.org", self.client.get("/audit/").content.decode())
        self.login(self.admin)
        self.assertIn("organizer@example.org", self.client.get("/audit/").content.decode())
        self.login(self.organizer)
        self.assertEqual(self.client.get("/audit/").status_code, 403)
