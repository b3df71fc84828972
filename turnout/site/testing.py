"""Test helpers: an organizer, a member and an outsider from another group, and small builders."""

from __future__ import annotations

import itertools
from typing import Any

from django.test import TestCase

from turnout.accounts.models import Group, Role, StaffRole, User
from turnout.people.models import EmailAddress, Membership, Person, PhoneNumber

PASSWORD = "correct horse battery staple"  # noqa: S105
_counter = itertools.count(1)


def make_group(name: str, parent: Group | None = None, kind: str = Group.Kind.LOCAL) -> Group:
    slug = name.lower().replace(" ", "-").replace("&", "and")
    return Group.objects.create(name=name, slug=slug, parent=parent, kind=kind)


def make_staff(email: str, group: Group | None = None, role: str = Role.ORGANIZER, **extra: Any) -> User:
    user = User.objects.create_user(email, PASSWORD, **extra)
    if group is not None:
        StaffRole.objects.create(user=user, group=group, role=role)
    return user


def make_person(group: Group, *, given_name: str = "Pat", family_name: str | None = None, email: str | None = None,
                phone: str | None = None, postal_code: str = "", status: str = Membership.Status.MEMBER) -> Person:
    n = next(_counter)
    person = Person(given_name=given_name, family_name=family_name or f"Worker{n}")
    if postal_code:
        assert person.set_postal_code(postal_code)
    person.save()
    EmailAddress.objects.create(person=person, address=email or f"person{n}@example.org", is_primary=True)
    if phone:
        PhoneNumber.objects.create(person=person, number=phone, is_primary=True)
    Membership.objects.create(person=person, group=group, status=status)
    return person


class TurnoutTestCase(TestCase):
    """A council with a local below it, and a separate worker center whose data is off limits."""

    council: Group
    local: Group
    other: Group
    organizer: User
    admin: User
    outsider: User
    member: Person
    stranger: Person

    @classmethod
    def setUpTestData(cls) -> None:
        cls.council = make_group("Metro Council", kind=Group.Kind.COUNCIL)
        cls.local = make_group("Local 8", parent=cls.council)
        cls.other = make_group("Eastside Workers", kind=Group.Kind.WORKER_CENTER)
        cls.organizer = make_staff("organizer@example.org", cls.local, Role.ORGANIZER, first_name="Olivia")
        cls.admin = make_staff("admin@example.org", cls.council, Role.ADMIN)
        cls.outsider = make_staff("outsider@example.org", cls.other, Role.ADMIN)
        cls.member = make_person(cls.local, given_name="Maria", family_name="Lopez", email="maria@example.org",
                                 phone="+12065550123", postal_code="98101")
        cls.stranger = make_person(cls.other, given_name="Zelda", family_name="Quintero",
                                   email="zelda@example.org", phone="+13125550199", postal_code="60608")

    def travel_to(self, moment: Any) -> None:
        """Freeze the clock at `moment` for the rest of the test."""
        import time_machine

        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def run_worker(self) -> None:
        """What `turnout worker` does: run due tasks, and the tasks they queue, until none is due."""
        while True:
            with self.captureOnCommitCallbacks(execute=True):
                if not run_due_tasks():
                    return

    def settle_forms(self) -> int:
        """What the worker does with the public forms, petitions and pledges a page took and kept
        (`people.intake`): settle every waiting one, running what each settled act queues on commit."""
        from turnout.actions.services import settle_waiting
        from turnout.mobilization.services import settle_pledges

        with self.captureOnCommitCallbacks(execute=True):
            return settle_waiting() + settle_pledges()

    def login(self, user: User) -> None:
        """Log in without two-factor (tests of two-factor log in through the pages)."""
        self.client.force_login(user)
        if user.staff_roles.filter(role=Role.ADMIN).exists() or user.is_superuser:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _created = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
            session = self.client.session
            session["otp_device_id"] = device.persistent_id
            session.save()


def run_due_tasks() -> int:
    """Do what `turnout worker` would: run every task in the database queue that is due now."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    while (result := DBTaskResult.objects.ready().first()) is not None:
        result.claim("test-worker")
        result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.set_successful(None)
        ran += 1
    return ran


def audit_summaries(target: Any = None, **lookup: Any) -> list[str]:
    """What the audit log says, as an admin reads it (sealed entries opened), oldest first: about
    `target` (entries whose target it is, or, for a person, every entry about them) and/or
    matching `lookup`."""
    from turnout.core import audit
    from turnout.core.models import AuditEntry

    entries = audit.opened(AuditEntry.objects.filter(**lookup).order_by("id"))
    if target is None:
        return [e.shown_summary for e in entries]
    subjects = set()
    if getattr(target, "audit_subject", None) is target:
        subjects = set(audit.keys_of(target).values_list("subject", flat=True))
    return [e.shown_summary for e in entries
            if e.shown_target_id == str(target.public_id) or (e.subject in subjects and e.sealed)]


def start_previewed_import(client: Any, job: Any, **choices: str) -> Any:
    """Press "Import" on an upload's column preview, as the page offers it, changing the choices
    given (`read_as_<n>="custom"`, `name_<n>="Shift"`…); the response to that POST."""
    from django.urls import reverse

    preview = client.get(reverse("people:import_detail", args=[job.public_id]))
    assert preview.status_code == 200, preview.status_code
    form = preview.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(choices)
    return client.post(reverse("people:import_columns", args=[job.public_id]), data)
