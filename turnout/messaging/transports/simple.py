"""Development and test transports: print, append to a file, or keep in memory."""

from __future__ import annotations

import json
import os
import sys
import uuid

from django.conf import settings
from django.utils import timezone

from turnout.core import files
from turnout.messaging.transports import OutgoingSms, SmsTransport

# Texts sent through the memory transport, like django.core.mail.outbox; tests clear it.
outbox: list[OutgoingSms] = []


class MemoryTransport(SmsTransport):
    def send(self, sms: OutgoingSms) -> str:
        outbox.append(sms)
        return f"memory-{uuid.uuid4()}"


class ConsoleTransport(SmsTransport):
    def send(self, sms: OutgoingSms) -> str:
        sys.stdout.write(f"SMS to {sms.to} from {sms.sender or '(default)'}: {sms.body}\n")
        return f"console-{uuid.uuid4()}"


class FileTransport(SmsTransport):
    """One JSON line per text in var/sms/outbox.jsonl."""

    def send(self, sms: OutgoingSms) -> str:
        provider_id = f"file-{uuid.uuid4()}"
        folder = files.private_folder(settings.VAR_DIR / "sms")  # numbers and what was said to them
        with os.fdopen(files.create_private(folder / "outbox.jsonl", append=True), "a", encoding="utf-8") as out:
            out.write(json.dumps({"id": provider_id, "delivery": sms.delivery_id, "to": sms.to, "from": sms.sender,
                                  "body": sms.body, "at": timezone.now().isoformat()}) + "\n")
        return provider_id
