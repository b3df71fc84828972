"""Writing to and reading the append-only audit log.

An entry about a person is sealed with that person's own key (a SubjectKey): its summary,
detail, target id and address are readable while the person is on file, and unreadable once
they are erased, because erasure deletes the key. Nothing in the log is rewritten to forget
them. What counts as "about a person" is the target's `audit_subject` (a Person names itself;
a card, a request, a tagging name the person they are about), or the `subject` a caller passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.http import HttpRequest
from django.utils.translation import gettext as _

from turnout.core.models import AuditEntry, SubjectKey
from turnout.core.net import client_ip


def subject_of(target: Any) -> Any:
    """The person an entry about `target` is about, or None."""
    return getattr(target, "audit_subject", None) if target is not None else None


def key_for(subject: Any) -> SubjectKey:
    """The person's key, made on the first entry about them."""
    owner_type = subject._meta.model_name
    key = SubjectKey.objects.filter(owner_type=owner_type, owner_public=subject.public_id).order_by("id").first()
    if key is None:
        key = SubjectKey.objects.create(owner_type=owner_type, owner_public=subject.public_id,
                                        key=Fernet.generate_key().decode())
    return key


def keys_of(subject: Any) -> Any:
    """Every key of a person (a merge may have given them several): what erasure deletes."""
    return SubjectKey.objects.filter(owner_type=subject._meta.model_name, owner_public=subject.public_id)


def move_keys(*, merged: Any, into: Any) -> None:
    """A merge: the merged record's entries become the kept record's history."""
    keys_of(merged).update(owner_public=into.public_id)


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    group: Any = None,
    subject: Any = None,
) -> AuditEntry:
    """Append one entry; `actor` is a staff user or None for an operator's command."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    target_id = str(getattr(target, "public_id", "") or getattr(target, "pk", "")) if target is not None else ""
    entry = AuditEntry(
        actor=user,
        actor_label=user.email if user else ("anonymous visitor" if request is not None else "command line"),
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        group=group,
    )
    subject = subject if subject is not None else subject_of(target)
    if subject is None:
        entry.target_id, entry.summary, entry.detail = target_id, summary[:300], detail or {}
        entry.ip_address = client_ip(request)
    else:
        key = key_for(subject)
        entry.subject = key.subject
        entry.sealed = Fernet(key.key.encode()).encrypt(json.dumps({
            "target_id": target_id, "summary": summary[:300], "detail": detail or {}, "ip": client_ip(request),
        }).encode()).decode()
    entry.save()
    return entry


def opened(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries with what a reader sees set on each: `shown_summary`, `shown_target_id`,
    `shown_detail`, `shown_ip` and `erased` (sealed for a person whose key is gone)."""
    entries = list(entries)
    subjects = {e.subject for e in entries if e.subject}
    keys = {k.subject: k.key for k in SubjectKey.objects.filter(subject__in=subjects)} if subjects else {}
    for entry in entries:
        entry.erased = False
        if not entry.sealed:
            entry.shown_summary, entry.shown_target_id = entry.summary, entry.target_id
            entry.shown_detail, entry.shown_ip = entry.detail, entry.ip_address
            continue
        data: dict[str, Any] = {}
        key = keys.get(entry.subject) if entry.subject else None
        if key is not None:
            try:
                data = json.loads(Fernet(key.encode()).decrypt(entry.sealed.encode()))
            except (InvalidToken, ValueError):
                data = {}
        entry.erased = not data
        entry.shown_summary = data.get("summary", "") if data else _("(about a person since erased)")
        entry.shown_target_id = data.get("target_id", "")
        entry.shown_detail = data.get("detail", {})
        entry.shown_ip = data.get("ip")
    return entries
