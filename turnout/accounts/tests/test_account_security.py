"""The account's own doors: two-factor on every staff page, a fresh confirmation (and an email)
for what hands an account to someone else, lockouts that hold one guesser, limited reset emails."""

from __future__ import annotations

import time

import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from turnout.accounts.models import ApiToken, User
from turnout.accounts.tests.test_login import current_code
from turnout.core.models import AuditEntry
from turnout.site.testing import PASSWORD, TurnoutTestCase

PROXY = "10.0.0.2"


class SecondFactorTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.device = TOTPDevice.objects.create(user=self.admin, name="phone", confirmed=True)

    def password_only(self, email: str = "admin@example.org") -> None:
        response = self.client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})
        self.assertEqual(response.status_code, 302)

    def give_code(self, next_url: str = "/") -> object:
        with time_machine.travel(time.time() + 31, tick=False):  # a code not used before
            self.device.refresh_from_db()
            return self.client.post(f"{reverse('accounts:verify')}?next={next_url}",
                                    {"token": current_code(self.device), "next": next_url})

    def test_a_password_alone_opens_no_account_page(self) -> None:
        """After the password only, the account pages send the admin to the code, and nothing changes."""
        self.password_only()
        verify = reverse("accounts:verify")
        for path in ("/accounts/preferences/", "/accounts/two-factor/", "/accounts/password/"):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertTrue(response["Location"].startswith(verify), path)
        token = self.client.post("/accounts/tokens/", {"name": "exfiltrate", "group": self.council.pk})
        self.assertTrue(token["Location"].startswith(verify))
        self.client.post("/accounts/two-factor/", {"token": "123456"})
        self.client.post("/accounts/two-factor/remove/")
        self.assertFalse(ApiToken.objects.exists())
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.admin)), [self.device])
        self.assertEqual(mail.outbox, [])

    def test_logging_in_and_out_still_work_before_the_code(self) -> None:
        self.password_only()
        self.assertEqual(self.client.get(reverse("accounts:verify")).status_code, 200)
        self.assertRedirects(self.client.post(reverse("accounts:logout")), reverse("accounts:login"))

    def test_a_token_needs_a_fresh_code_keeps_what_was_typed_and_is_emailed(self) -> None:
        self.password_only()
        self.give_code()
        with time_machine.travel(time.time() + 11 * 60, tick=False):
            response = self.client.post("/accounts/tokens/", {"name": "Parsons sync", "group": self.council.pk})
            self.assertTrue(response["Location"].startswith(reverse("accounts:verify")))
            self.assertFalse(ApiToken.objects.exists())
            confirm = self.client.get(response["Location"])
            self.assertContains(confirm, "Confirm it is you")
            self.device.refresh_from_db()
            back = self.client.post(response["Location"], {
                "token": current_code(self.device), "next": confirm.context["next"]})
            form = self.client.get(back["Location"])
            self.assertContains(form, 'value="Parsons sync"')
            with self.captureOnCommitCallbacks(execute=True):
                made = self.client.post("/accounts/tokens/", {"name": "Parsons sync", "group": self.council.pk})
        self.assertContains(made, "it is shown only this once")
        self.assertEqual([m.to for m in mail.outbox], [["admin@example.org"]])
        self.assertIn("API token", mail.outbox[0].subject)
        self.assertNotIn(made.context["new_key"], mail.outbox[0].body)

    def test_replacing_the_authenticator_needs_the_old_code_and_is_emailed(self) -> None:
        self.password_only()
        self.give_code()
        with time_machine.travel(time.time() + 11 * 60, tick=False):
            self.assertTrue(self.client.get("/accounts/two-factor/")["Location"].startswith(reverse("accounts:verify")))
            self.device.refresh_from_db()
            self.client.post(reverse("accounts:verify"), {"token": current_code(self.device), "next": "/"})
            page = self.client.get("/accounts/two-factor/")
            self.assertContains(page, "stops working")
            new = TOTPDevice.objects.get(user=self.admin, confirmed=False)
            with self.captureOnCommitCallbacks(execute=True):
                done = self.client.post("/accounts/two-factor/", {"token": current_code(new)})
        self.assertRedirects(done, "/")
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.admin)), [new])
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("no longer works", mail.outbox[0].body)

    def test_admins_cannot_turn_two_factor_off(self) -> None:
        self.password_only()
        self.give_code()
        self.client.post("/accounts/two-factor/remove/")
        self.assertTrue(TOTPDevice.objects.filter(user=self.admin).exists())


class ConfirmWithoutAnAppTests(TurnoutTestCase):
    def test_an_organizer_without_an_app_confirms_with_the_password(self) -> None:
        """Right after logging in the password counts as fresh; later a token asks for it again."""
        self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": PASSWORD})
        self.assertContains(self.client.post("/accounts/tokens/", {"name": "now", "group": self.local.pk}),
                            "it is shown only this once")
        with time_machine.travel(time.time() + 11 * 60, tick=False):
            later = self.client.post("/accounts/tokens/", {"name": "later", "group": self.local.pk})
            self.assertTrue(later["Location"].startswith(reverse("accounts:verify")))
            wrong = self.client.post(later["Location"], {"password": "nope", "next": "/accounts/preferences/"})
            self.assertContains(wrong, "That is not your password.")
            right = self.client.post(later["Location"], {"password": PASSWORD, "next": "/accounts/preferences/"})
            self.assertRedirects(right, "/accounts/preferences/")
            self.assertContains(self.client.post("/accounts/tokens/", {"name": "later", "group": self.local.pk}),
                                "it is shown only this once")
        self.assertEqual(sorted(ApiToken.objects.values_list("name", flat=True)), ["later", "now"])

    def test_guessing_the_password_on_the_confirmation_page_is_locked_out_like_a_login(self) -> None:
        """A stolen session cannot try passwords without limit where a token is confirmed."""
        self.login(self.organizer)
        session = self.client.session
        session.pop("turnout_confirmed_at", None)
        session.save()
        confirm = f"{reverse('accounts:verify')}?confirm=1&next=/accounts/preferences/"
        for _attempt in range(4):
            self.assertContains(self.client.post(confirm, {"password": "guess"}), "That is not your password.")
        self.assertEqual(self.client.post(confirm, {"password": "guess"}).status_code, 429)
        self.assertContains(self.client.post(confirm, {"password": PASSWORD}), "Too many failed logins",
                            status_code=429)
        self.assertTrue(AuditEntry.objects.filter(action="login_failed", summary__contains="organizer@example.org").exists())
        self.client.post("/accounts/tokens/", {"name": "stolen", "group": self.local.pk})
        self.assertFalse(ApiToken.objects.exists())

    def test_changing_the_password_needs_the_old_one_and_is_emailed(self) -> None:
        self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": PASSWORD})
        wrong = self.client.post("/accounts/password/", {"old_password": "nope", "new_password1": "a-new-long-password-8",
                                                         "new_password2": "a-new-long-password-8"})
        self.assertContains(wrong, "old password was entered incorrectly")
        with self.captureOnCommitCallbacks(execute=True):
            done = self.client.post("/accounts/password/", {
                "old_password": PASSWORD, "new_password1": "a-new-long-password-8",
                "new_password2": "a-new-long-password-8"})
        self.assertRedirects(done, "/accounts/preferences/")
        self.assertTrue(User.objects.get(pk=self.organizer.pk).check_password("a-new-long-password-8"))
        self.assertEqual([m.to for m in mail.outbox], [["organizer@example.org"]])
        self.assertIn("password was changed", mail.outbox[0].subject)

    def test_an_organizer_turns_two_factor_off_with_a_fresh_code(self) -> None:
        device = TOTPDevice.objects.create(user=self.organizer, name="phone", confirmed=True)
        self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": PASSWORD})
        with time_machine.travel(time.time() + 31, tick=False):
            device.refresh_from_db()
            self.client.post(reverse("accounts:verify"), {"token": current_code(device), "next": "/"})
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post("/accounts/two-factor/remove/")
        self.assertFalse(TOTPDevice.objects.filter(user=self.organizer).exists())
        self.assertIn("turned off", mail.outbox[0].subject)


class LockoutTests(TurnoutTestCase):
    def attempt(self, email: str, client_address: str, password: str | None = None) -> object:
        return self.client.post(reverse("accounts:login"), {"username": email, "password": password or "guess"},
                                REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_behind_the_proxy_a_guesser_locks_out_only_themselves(self) -> None:
        for _attempt in range(5):
            self.attempt("organizer@example.org", "203.0.113.66")
        self.assertContains(self.attempt("organizer@example.org", "203.0.113.66", PASSWORD),
                            "Too many failed logins", status_code=429)
        # The organizer at her own address, and a colleague through the same proxy, still get in.
        self.assertEqual(self.attempt("organizer@example.org", "198.51.100.7", PASSWORD).status_code, 302)
        self.client.logout()
        self.assertEqual(self.attempt("admin@example.org", "203.0.113.66", PASSWORD).status_code, 302)

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_a_forged_or_broken_forwarded_address_is_no_way_round(self) -> None:
        """Rotating the client-written part of X-Forwarded-For changes nothing; garbage is no 500."""
        for n in range(5):
            self.attempt("organizer@example.org", f"6.6.6.{n}, 203.0.113.66")
        self.assertEqual(self.attempt("organizer@example.org", "7.7.7.7, 203.0.113.66", PASSWORD).status_code, 429)
        response = self.attempt("admin@example.org", "not-an-ip", PASSWORD)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(AuditEntry.objects.get(action="login").ip_address, PROXY)

    def test_guessing_from_every_address_of_one_ipv6_network_counts_as_one_address(self) -> None:
        for n in range(5):
            self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": "guess"},
                             REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
        response = self.client.post(reverse("accounts:login"), {"username": "organizer@example.org",
                                                                "password": PASSWORD}, REMOTE_ADDR="2001:db8:1:2::ffff")
        self.assertEqual(response.status_code, 429)

    @override_settings(TRUSTED_PROXY_HOPS=1)
    def test_behind_a_proxy_on_a_unix_socket_the_lockout_still_holds(self) -> None:
        for _attempt in range(5):
            self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": "guess"},
                             REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.66")
        locked = self.client.post(reverse("accounts:login"), {"username": "organizer@example.org", "password": PASSWORD},
                                  REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.66")
        self.assertEqual(locked.status_code, 429)

    def test_failed_logins_reach_the_admins_of_the_staffers_groups(self) -> None:
        self.client.post(reverse("accounts:login"), {"username": "Organizer@example.org", "password": "guess"},
                         REMOTE_ADDR="203.0.113.66")
        entry = AuditEntry.objects.get(action="login_failed")
        self.assertEqual(entry.actor_label, "anonymous visitor")
        self.login(self.admin)  # an admin of the council above the organizer's local
        self.assertContains(self.client.get(reverse("accounts:audit_log")), "Attempt for organizer@example.org")
        self.client.logout()
        self.login(self.outsider)  # an admin of an unrelated group
        self.assertNotContains(self.client.get(reverse("accounts:audit_log")), "Attempt for organizer@example.org")


class PasswordResetLimitTests(TurnoutTestCase):
    def reset(self, email: str, address: str = "198.51.100.7") -> object:
        return self.client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)

    def test_one_account_gets_a_few_reset_emails_an_hour_with_the_same_answer(self) -> None:
        answers = {self.reset("organizer@example.org", f"198.51.100.{n}").status_code for n in range(22)}
        self.assertEqual(answers, {302})
        self.assertEqual(len(mail.outbox), 3)

    def test_one_address_asks_for_a_few_resets_an_hour(self) -> None:
        for n in range(10):
            self.reset(f"someone{n}@example.org")
        response = self.reset("organizer@example.org")
        self.assertContains(response, "Too many reset requests from here")
        self.assertContains(response, 'value="organizer@example.org"')
        self.assertEqual(mail.outbox, [])
        self.assertRedirects(self.reset("organizer@example.org", "198.51.100.8"), reverse("accounts:password_reset_done"))
        self.assertEqual(len(mail.outbox), 1)
