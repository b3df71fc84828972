"""Outgoing webhooks: Action Network-style payloads, signed, retried with backoff.

A change to a person queues one delivery per webhook of the person's groups (and the
groups above them). Several changes in a row coalesce into the delivery still waiting
for its first attempt: the payload is built from the person as they are when it is
first sent, then kept, so every retry sends the same bytes the log shows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from turnout.accounts.models import Group, Role, User
from turnout.api.models import Webhook, WebhookDelivery
from turnout.core import audit, bulk
from turnout.core.models import AuditEntry
from turnout.people.models import Membership, Person
from turnout.people.signals import people_changed, person_changed, person_erasing

SIGNATURE_HEADER = "X-Turnout-Signature"
# Attempt n (1-based) failed: wait BACKOFF[n-1] before the next; after the last, give up.
BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)]


def sign(body: bytes, secret: str) -> str:
    """The signature header value: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@transaction.atomic
def register_webhook(*, actor: User, group: Group, url: str, description: str = "") -> Webhook:
    """Register a URL to hear about a group's people; the secret is generated here."""
    webhook = Webhook.objects.create(group=group, url=url, description=description,
                                     secret=secrets.token_hex(32), created_by=actor)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=webhook,
                 summary=f"Registered webhook {url}", group=group)
    return webhook


@transaction.atomic
def set_webhook_active(*, actor: User, webhook: Webhook, active: bool) -> Webhook:
    """Pause or resume a webhook; paused hooks queue nothing."""
    webhook.is_active = active
    webhook.save(update_fields=["is_active"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=webhook,
                 summary=("Resumed" if active else "Paused") + f" webhook {webhook.url}", group=webhook.group)
    return webhook


@transaction.atomic
def delete_webhook(*, actor: User, webhook: Webhook) -> None:
    """Remove a webhook and its delivery log."""
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, target=webhook,
                 summary=f"Removed webhook {webhook.url}", group=webhook.group)
    webhook.delete()


def webhooks_for_groups(group_ids: list[int]) -> list[Webhook]:
    """Active webhooks of these groups and of every group above them."""
    paths = Group.objects.filter(pk__in=group_ids).values_list("path", flat=True)
    ancestor_ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    return list(Webhook.objects.filter(is_active=True, group_id__in=ancestor_ids))


def queue_for_subject(*, event: str, subject: str, group_ids: list[int]) -> list[WebhookDelivery]:
    """Create a delivery per webhook unless one for the same subject is still waiting to be sent."""
    from turnout.api.tasks import deliver_webhook

    queued = []
    for webhook in webhooks_for_groups(group_ids):
        waiting = WebhookDelivery.objects.filter(
            webhook=webhook, status=WebhookDelivery.Status.PENDING, attempts=0, payload__subject=subject
        )
        if waiting.exists():
            continue
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event=event, payload={"subject": subject}, next_attempt_at=timezone.now()
        )
        deliver_webhook.enqueue(delivery_id=delivery.pk)
        queued.append(delivery)
    return queued


@receiver(person_erasing)
def _person_erasing(sender: Any, person: Person, **kwargs: Any) -> list[type[WebhookDelivery]]:
    """Deliveries about an erased person go with them, sent or not: no payload keeps their
    details, and no retry sends them after the erasure."""
    WebhookDelivery.objects.filter(payload__subject=f"person:{person.public_id}").delete()
    return [WebhookDelivery]


@receiver(pre_delete, sender=Person)
def _person_deleted(sender: Any, instance: Person, **kwargs: Any) -> None:
    """A merge deletes the other record: deliveries about it (already built with its details) go too."""
    WebhookDelivery.objects.filter(payload__subject=f"person:{instance.public_id}").delete()


def _active_query() -> QuerySet[Webhook, tuple[Any, ...]]:
    return Webhook.objects.filter(is_active=True).order_by().values_list("pk")[:1]


def _any_active() -> bool:
    """Whether any webhook listens. Every batch of a crowd's sign-ups asks, so the look is
    compiled once (`bulk.fixed_rows`)."""
    return bool(bulk.fixed_rows(_active_query))


@receiver(person_changed)
def _person_changed(sender: Any, person: Person, created: bool, **kwargs: Any) -> None:
    from turnout.api.tasks import queue_person_webhooks

    if not _any_active():
        return  # most installations have none: no task for every change
    event = "person.created" if created else "person.updated"
    transaction.on_commit(lambda: queue_person_webhooks.enqueue(person_id=person.pk, event=event))


@receiver(people_changed)
def _people_changed(sender: Any, people: list[Person], created: bool, **kwargs: Any) -> None:
    from turnout.api.tasks import queue_person_webhooks

    if not people or not _any_active():
        return  # one look for the whole batch
    event = "person.created" if created else "person.updated"
    ids = [person.pk for person in people]
    transaction.on_commit(lambda: [queue_person_webhooks.enqueue(person_id=pk, event=event) for pk in ids])


def queue_person(*, person_id: int, event: str) -> list[WebhookDelivery]:
    """Queue deliveries about one person for every webhook that may hear about them."""
    group_ids = list(Membership.objects.filter(person_id=person_id).values_list("group_id", flat=True))
    person = Person.objects.filter(pk=person_id).only("public_id").first()
    if person is None or not group_ids:
        return []
    return queue_for_subject(event=event, subject=f"person:{person.public_id}", group_ids=group_ids)


def _build_payload(delivery: WebhookDelivery) -> list[dict[str, Any]] | None:
    """The Action Network-shaped body: a list of one object keyed by the resource type."""
    from turnout.api import serializers

    kind, _sep, public_id = delivery.payload.get("subject", "").partition(":")
    if kind != "person":
        return None
    person = Person.objects.filter(public_id=public_id).prefetch_related("emails", "phones").first()
    if person is None:
        return None
    base = settings.BASE_URL + "/api/v2/"
    return [{
        "idempotency_key": str(delivery.public_id),
        "action_network:event": delivery.event,
        "osdi:person": serializers.person(person, base),
    }]


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt; schedule the next with backoff, or give up after the last."""
    from turnout.api.tasks import deliver_webhook

    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("webhook")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return delivery  # already sent or given up: running twice sends nothing twice
        if "raw" not in delivery.payload:
            body = _build_payload(delivery)
            if body is None:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.error = "The record was erased before it could be sent."
                delivery.save(update_fields=["status", "error"])
                return delivery
            # Kept as text: a JSON column may reorder keys, and the signature covers exact bytes.
            delivery.payload = {**delivery.payload, "raw": json.dumps(body, separators=(",", ":"))}
        delivery.attempts += 1
        delivery.save(update_fields=["payload", "attempts"])
    raw = delivery.payload["raw"].encode()
    request = urllib.request.Request(delivery.webhook.url, data=raw, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json",
        "User-Agent": "Turnout-Webhooks/1",
        SIGNATURE_HEADER: sign(raw, delivery.webhook.secret),
        "X-Turnout-Event": delivery.event,
        "X-Turnout-Delivery": str(delivery.public_id),
    })
    status_code: int | None = None
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    now = timezone.now()
    delivery.response_status = status_code
    delivery.error = error
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = WebhookDelivery.Status.DELIVERED, now, None
    elif delivery.attempts > len(BACKOFF):
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=["response_status", "error", "status", "delivered_at", "next_attempt_at"])
    if delivery.status == WebhookDelivery.Status.PENDING and delivery.next_attempt_at:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id=delivery.pk)
    return delivery


def retry_now(*, actor: User, delivery: WebhookDelivery) -> None:
    """Send a waiting or failed delivery again straight away."""
    from turnout.api.tasks import deliver_webhook

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=delivery.webhook,
                 summary="Retried a webhook delivery", group=delivery.webhook.group)
    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id=delivery.pk))


def visible_webhooks(user: User) -> Any:
    """Webhooks of groups where the user is an organizer or more."""
    return Webhook.objects.visible_to(user, Role.ORGANIZER).select_related("group")

