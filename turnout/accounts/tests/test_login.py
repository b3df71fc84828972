"""Staff login: argon2, lockout, two-factor (required for admins), invitations, password reset."""

from __future__ import annotations

import re
import time

import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from turnout import settings as deployed
from turnout.accounts.models import Invitation, StaffRole, User
from turnout.core.models import AuditEntry
from turnout.site.testing import PASSWORD, TurnoutTestCase, make_staff


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


class LoginTests(TurnoutTestCase):
    def log_in(self, email: str, password: str = PASSWORD) -> object:
        return self.client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR="198.51.100.7")

    def test_passwords_are_hashed_with_argon2(self) -> None:
        """As deployed (the suite hashes with a quicker hasher), a staff password is stored with
        argon2, and logging in with it works."""
        with override_settings(PASSWORD_HASHERS=deployed.PASSWORD_HASHERS):
            make_staff("argon@example.org", self.local)
            self.assertTrue(User.objects.get(email="argon@example.org").password.startswith("argon2$"))
            self.assertRedirects(self.log_in("argon@example.org"), "/")

    def test_an_organizer_logs_in_and_the_login_is_audited(self) -> None:
        response = self.log_in("organizer@example.org")
        self.assertRedirects(response, "/")
        self.assertContains(self.client.get("/"), "Hello, Olivia")
        entry = AuditEntry.objects.get(action="login")
        self.assertEqual((entry.actor, entry.ip_address), (self.organizer, "198.51.100.7"))

    def test_a_wrong_password_says_so_and_keeps_the_email(self) -> None:
        response = self.log_in("organizer@example.org", "wrong")
        self.assertContains(response, "That email and password do not match")
        self.assertContains(response, 'value="organizer@example.org"')
        self.assertEqual(AuditEntry.objects.filter(action="login_failed").count(), 1)

    def test_repeated_failures_lock_the_account_even_for_the_right_password(self) -> None:
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            self.log_in("organizer@example.org", "guess")
        response = self.log_in("organizer@example.org")
        self.assertContains(response, "Too many failed logins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_admins_must_set_up_two_factor_before_anything_else(self) -> None:
        self.log_in("admin@example.org")
        response = self.client.get(reverse("people:list"))
        self.assertRedirects(response, reverse("accounts:two_factor_setup"), fetch_redirect_response=False)
        page = self.client.get(reverse("accounts:two_factor_setup"))
        self.assertContains(page, "<svg")
        device = TOTPDevice.objects.get(user=self.admin, confirmed=False)
        wrong = self.client.post(reverse("accounts:two_factor_setup"), {"token": "000000" if current_code(device) != "000000" else "111111"})
        self.assertContains(wrong, "That code is not right")
        # A wrong code throttles the device for a moment (django-otp's brute-force guard).
        with time_machine.travel(time.time() + 5, tick=False):
            device.refresh_from_db()
            done = self.client.post(reverse("accounts:two_factor_setup"), {"token": current_code(device)})
        self.assertRedirects(done, "/")
        self.assertEqual(self.client.get(reverse("people:list")).status_code, 200)

    def test_staff_with_a_device_enter_a_code_after_their_password(self) -> None:
        device = TOTPDevice.objects.create(user=self.organizer, name="phone", confirmed=True)
        self.log_in("organizer@example.org")
        response = self.client.get(reverse("people:list"))
        self.assertRedirects(response, reverse("accounts:verify") + "?next=/people/", fetch_redirect_response=False)
        self.assertContains(self.client.post(reverse("accounts:verify"), {"token": "12"}), "That code is not right")
        with time_machine.travel(time.time() + 5, tick=False):
            device.refresh_from_db()
            ok = self.client.post(reverse("accounts:verify"), {"token": current_code(device), "next": "/people/"})
        self.assertRedirects(ok, "/people/")

    def test_an_idle_session_expires(self) -> None:
        self.assertLessEqual(settings.SESSION_COOKIE_AGE, 8 * 3600)
        self.assertTrue(settings.SESSION_SAVE_EVERY_REQUEST)
        self.log_in("organizer@example.org")
        self.client.session.set_expiry(-1)
        session = self.client.session
        session.set_expiry(-1)
        session.save()
        self.assertRedirects(self.client.get("/people/"), "/accounts/login/?next=/people/")


class InvitationTests(TurnoutTestCase):
    def test_an_admin_invites_a_new_organizer_who_joins_with_a_password(self) -> None:
        self.login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("accounts:group", args=["local-8"]),
                                        {"invite": "1", "email": "New.Steward@example.org", "role": "organizer"})
        self.assertRedirects(response, reverse("accounts:group", args=["local-8"]))
        self.assertEqual(len(mail.outbox), 1)
        link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
        path = link.split("127.0.0.1:8000")[-1]
        self.client.logout()
        form = self.client.get(path)
        self.assertContains(form, "Join Local 8")
        short = self.client.post(path, {"first_name": "Nia", "password1": "short", "password2": "short"})
        self.assertContains(short, "too short")
        self.assertContains(short, 'value="Nia"')
        joined = self.client.post(path, {"first_name": "Nia", "password1": "union-strong-2026!", "password2": "union-strong-2026!"})
        self.assertRedirects(joined, "/")
        user = User.objects.get(email="new.steward@example.org")
        self.assertEqual(StaffRole.objects.get(user=user).role, "organizer")
        self.assertIsNotNone(Invitation.objects.get().accepted_at)
        self.assertEqual(self.client.get(path).status_code, 404)  # used links do not work twice

    def test_forged_invitation_links_are_refused(self) -> None:
        self.assertEqual(self.client.get(reverse("accounts:accept_invitation", args=["forged"])).status_code, 404)

    def test_only_admins_can_invite(self) -> None:
        self.login(self.organizer)
        response = self.client.post(reverse("accounts:group", args=["local-8"]), {"invite": "1", "email": "x@example.org", "role": "admin"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Invitation.objects.exists())


class PasswordResetTests(TurnoutTestCase):
    def test_a_reset_link_sets_a_new_password(self) -> None:
        self.client.post(reverse("accounts:password_reset"), {"email": "organizer@example.org"})
        self.assertEqual(len(mail.outbox), 1)
        path = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
        form_page = self.client.get(path, follow=True)
        self.assertContains(form_page, "Choose a new password")
        self.client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-new-long-password-8", "new_password2": "a-new-long-password-8"})
        self.assertTrue(User.objects.get(email="organizer@example.org").check_password("a-new-long-password-8"))

    def test_unknown_addresses_get_the_same_answer_and_no_email(self) -> None:
        response = self.client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
        self.assertRedirects(response, reverse("accounts:password_reset_done"))
        self.assertEqual(mail.outbox, [])


class LanguageTests(TurnoutTestCase):
    def test_a_staffer_who_chose_spanish_sees_the_console_in_spanish(self) -> None:
        self.organizer.language = "es"
        self.organizer.save(update_fields=["language"])
        self.login(self.organizer)
        response = self.client.get("/people/")
        self.assertContains(response, "Agregar una persona")
        self.assertContains(response, '<html lang="es">')
