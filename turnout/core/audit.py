"""Writing to and reading the append-only audit log.

An entry about a person is sealed with that person's own key (a SubjectKey): its summary,
detail, target id and address are readable while the person is on file, and unreadable once
they are erased, because erasure deletes the key. Nothing in the log is rewritten to forget
them. What counts as "about a person" is the target's `audit_subject` (a Person names itself;
a card, a request, a tagging name the person they are about), or the `subject` a caller passes.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from cryptography.fernet import Fernet, InvalidToken
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.core.bulk import insert_rows
from turnout.core.models import AuditEntry, SubjectKey
from turnout.core.net import client_ip
from turnout.core.sealing import blind_index, blind_indexes


def subject_of(target: Any) -> Any:
    """The person an entry about `target` is about, or None."""
    return getattr(target, "audit_subject", None) if target is not None else None


def searched(querystring: str) -> str:
    """A search as the log keeps it: which filters were used, not the words typed, which are often
    a person's name, email or number and would outlive their erasure in the log."""
    return "&".join(f"{quote_plus(k)}={'…' if k == 'q' and v else quote_plus(v)}"
                    for k, v in parse_qsl(querystring, keep_blank_values=True))


def filtered(expression: str) -> str:
    """An API filter as the log keeps it: its fields and operators, with every quoted value left out."""
    return re.sub(r"'(?:[^']|'')*'", "'…'", expression)


def owner_of(subject: Any) -> str:
    return f"{subject._meta.model_name}:{subject.public_id}"


def key_for(subject: Any) -> SubjectKey:
    """The person's key, made on the first entry about them."""
    key = keys_of(subject).order_by("id").first()
    if key is None:
        owner = owner_of(subject)
        key = SubjectKey.objects.create(owner=owner, owner_index=blind_index(owner), key=Fernet.generate_key().decode())
    return key


def keys_of_owner(owner: str) -> Any:
    return SubjectKey.objects.filter(owner_index__in=blind_indexes(owner))


def keys_of(subject: Any) -> Any:
    """Every key of a person (a merge may have given them several): what erasure deletes."""
    return keys_of_owner(owner_of(subject))


def move_keys(*, merged: Any, into: Any) -> None:
    """A merge: the merged record's entries become the kept record's history."""
    owner = owner_of(into)
    for key in keys_of(merged):
        key.owner, key.owner_index = owner, blind_index(owner)
        key.save(update_fields=["owner", "owner_index"])


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
    target_id = str(getattr(target, "public_id", "") or getattr(target, "pk", "")) if target is not None else ""
    entry = _entry(actor, request, action=action, target_type=target._meta.model_name if target is not None else "",
                   group=group)
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


def record_many(entries: Iterable[dict[str, Any]], *, new_subjects: bool = False) -> int:
    """Append many entries at once (a worker settling a batch of forms): each dict takes `record`'s
    keyword arguments but `request`. Each entry about a person is sealed with that person's own key,
    as `record` seals it; the keys are found, or made, and the entries written, in a few set-based
    statements. `new_subjects`: every entry is the first about its person, made a moment ago in
    this transaction with a new public id, so no key can exist yet and none is looked for. Returns
    how many were written."""
    items = list(entries)
    subjects = [item.get("subject") if item.get("subject") is not None else subject_of(item.get("target"))
                for item in items]
    keys = _keys_for({owner_of(s) for s in subjects if s is not None}, look=not new_subjects)
    now = timezone.now()
    rows: list[tuple[Any, ...]] = []
    for item, subject in zip(items, subjects, strict=True):
        target, actor = item.get("target"), item.get("actor")
        user = actor if getattr(actor, "is_authenticated", False) else None
        target_id = str(getattr(target, "public_id", "") or getattr(target, "pk", "")) if target is not None else ""
        summary, detail = str(item.get("summary", ""))[:300], item.get("detail") or {}
        group = item.get("group")
        row = [now, user.pk if user else None, user.email if user else "command line", item["action"],
               target._meta.model_name if target is not None else "", group.pk if group is not None else None]
        if subject is None:
            rows.append((*row, target_id, summary, detail, None, ""))
        else:
            key = keys[owner_of(subject)]
            sealed = key[1].encrypt(json.dumps({"target_id": target_id, "summary": summary, "detail": detail,
                                                 "ip": None}).encode()).decode()
            rows.append((*row, "", "", {}, key[0], sealed))
    insert_rows(AuditEntry, ["at", "actor", "actor_label", "action", "target_type", "group", "target_id", "summary",
                             "detail", "subject", "sealed"], rows)
    return len(rows)


def _keys_for(owners: set[str], *, look: bool = True) -> dict[str, tuple[uuid.UUID, Fernet]]:
    """Each owner's (subject id, key): the first key made, as `key_for` picks it, or a new one
    (every one new, without looking, when `look` is False)."""
    if not owners:
        return {}
    found: dict[str, tuple[uuid.UUID, Fernet]] = {}
    if look:
        kept: dict[str, tuple[uuid.UUID, Fernet]] = getattr(_made_here, "keys", {})
        found = {owner: kept[owner] for owner in owners if owner in kept}
        indexes = {index: owner for owner in owners - set(found) for index in blind_indexes(owner)}
        if indexes:
            for key in SubjectKey.objects.filter(owner_index__in=list(indexes)).order_by("id"):
                found.setdefault(indexes[key.owner_index], (key.subject, Fernet(key.key.encode())))
    made: list[tuple[Any, ...]] = []
    now = timezone.now()
    # Sealed as the fields seal them (a plain insert would store them as they are).
    seal_owner = SubjectKey._meta.get_field("owner").get_db_prep_save  # type: ignore[union-attr]
    seal_key = SubjectKey._meta.get_field("key").get_db_prep_save  # type: ignore[union-attr]
    for owner in sorted(owners - set(found)):
        secret = Fernet.generate_key()
        subject = uuid.uuid4()
        made.append((subject, seal_owner(owner, connection), blind_index(owner), seal_key(secret.decode(), connection),
                     now))
        found[owner] = (subject, Fernet(secret))
    insert_rows(SubjectKey, ["subject", "owner", "owner_index", "key", "created_at"], made)
    if not look:
        _made_here.keys = dict(found)
        transaction.on_commit(_forget_made_keys)
    return found


# The keys this thread has just made for a batch of new people (`record_many(new_subjects=True)`),
# so that the batch's next entries about them (the act's own, a moment later in the same
# transaction) are sealed without looking the keys up again. They are forgotten once the
# transaction commits, so no secret outlives its batch in memory and a later merge's older key
# is found as `key_for` finds it. A batch whose transaction rolled back leaves them until the next
# batch replaces them: keys of people never stored, under public ids made for them alone, which
# nothing asks for again.
_made_here = threading.local()


def _forget_made_keys() -> None:
    _made_here.keys = {}


def record_erasure(*, actor: Any, subject: Any, request: HttpRequest | None = None) -> AuditEntry:
    """The one plain line an erasure leaves, carrying the subject id of the keys it destroyed, so
    the sealed history before it still reads as one person's without saying whose."""
    entry = _entry(actor, request, action=AuditEntry.Action.ERASE, target_type="person", subject=subject,
                   summary="Erased a person at their request", ip_address=client_ip(request))
    entry.save()
    return entry


def _entry(actor: Any, request: HttpRequest | None, **fields: Any) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(actor=user, **fields,
                      actor_label=user.email if user else ("anonymous visitor" if request is not None else "command line"))


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
