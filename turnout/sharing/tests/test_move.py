"""Share links made while they lived in turnout.actions keep working after the move to
turnout.sharing: every code and every credit is still there, and a code still credits its owner."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from turnout.people.models import Person
from turnout.sharing.models import Referral
from turnout.sharing.services import credit, leaderboard


class ShareLinksMoveTests(TransactionTestCase):
    before = [("actions", "0001_initial")]
    after = [("sharing", "0001_initial")]

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_codes_and_credits_survive_and_a_code_still_credits_its_owner(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        OldShareCode, OldReferral = old.get_model("actions", "ShareCode"), old.get_model("actions", "Referral")
        rosa = Person.objects.create(given_name="Rosa", family_name="Parks")
        ana = Person.objects.create(given_name="Ana", family_name="Lopez")
        OldShareCode.objects.create(person_id=rosa.pk, code="rosa-code")
        OldReferral.objects.create(referrer_id=rosa.pk, person_id=ana.pk, kind="petition", action_id=7)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)

        self.assertEqual(rosa.share_code.code, "rosa-code")  # type: ignore[attr-defined]
        self.assertEqual(list(Referral.objects.values_list("referrer", "person", "kind", "action_id")),
                         [(rosa.pk, ana.pk, "petition", 7)])
        luis = Person.objects.create(given_name="Luis", family_name="Reyes")
        self.assertIsNotNone(credit(code="rosa-code", person=luis, kind="petition", action_id=7))
        credit(code="rosa-code", person=ana, kind="petition", action_id=7)  # credited once per action
        self.assertEqual([(person.given_name, n) for person, n in leaderboard("petition", 7)], [("Rosa", 2)])
