"""Encryption keys: made by a command, written owner-only by the demo, warned about when missing,
and the blind index that follows the first key."""

from __future__ import annotations

import io
import os
import stat
import tempfile
from pathlib import Path
from unittest import mock

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import SimpleTestCase, override_settings

from turnout.__main__ import prepare_demo_directory
from turnout.core.sealing import blind_index, blind_indexes, open_sealed, seal
from turnout.site.tests.helpers import turnout

A, B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class KeyTests(SimpleTestCase):
    def test_generate_encryption_key_prints_a_new_key_each_time(self) -> None:
        """Each run prints one Fernet key, and never the same one twice."""
        printed = []
        for _ in range(2):
            out = io.StringIO()
            call_command("generate_encryption_key", stdout=out)
            printed.append(out.getvalue().strip())
        for key in printed:
            Fernet(key)  # a valid key, or this raises
        self.assertNotEqual(printed[0], printed[1])

    def test_the_demo_writes_an_owner_only_key_once_and_the_deploy_check_is_satisfied(self) -> None:
        """`turnout demo` makes var/encryption_key readable by its owner alone, keeps it on the next
        run, and the settings read it: the deploy check no longer warns."""
        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {"TURNOUT_VAR_DIR": tmp}):
            prepare_demo_directory()
            key_file = Path(tmp) / "encryption_key"
            key = key_file.read_text().strip()
            Fernet(key)
            self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)
            self.assertEqual(stat.S_IMODE((Path(tmp) / "secret_key").stat().st_mode), 0o600)
            prepare_demo_directory()
            self.assertEqual(key_file.read_text().strip(), key)
            result = turnout("check", "--deploy", env={"TURNOUT_VAR_DIR": tmp, "TURNOUT_ENCRYPTION_KEY": "",
                                                       "TURNOUT_ENCRYPTION_KEY_FILE": ""}, timeout=60)
        self.assertNotIn("turnout.W001", result.stderr)

    def test_a_bad_key_is_named_not_a_crash_deep_inside(self) -> None:
        result = turnout("check", env={"TURNOUT_ENCRYPTION_KEY": "not-a-key"}, timeout=60)
        self.assertIn("TURNOUT_ENCRYPTION_KEY", result.stderr + result.stdout)

    def test_the_blind_index_follows_the_first_key_and_lookups_try_every_key(self) -> None:
        """Equal values index equally under one key; another first key indexes differently, and
        while the old key is still listed a lookup matches what it indexed."""
        with override_settings(ENCRYPTION_KEYS=[A]):
            under_a = blind_index("worker")
            self.assertEqual(blind_index("worker"), under_a)
            self.assertNotEqual(blind_index("worker 2"), under_a)
            token = seal(b"Rosa")
        with override_settings(ENCRYPTION_KEYS=[B, A]):
            self.assertNotEqual(blind_index("worker"), under_a)
            self.assertEqual(blind_indexes("worker")[:2], [blind_index("worker"), under_a])
            self.assertEqual(open_sealed(token), b"Rosa")
        with override_settings(ENCRYPTION_KEYS=[B]):
            self.assertNotIn(under_a, blind_indexes("worker"))
