"""What organizing does when something it does not own goes: a person erased or merged away, and
a card deleted however it went (a unit or campaign cascade included).

A card names its signer only through a sealed reference, so no cascade reaches it from the person:
these receivers delete what an erased person signed, and the scan that shows their signature."""

from __future__ import annotations

import os
from contextlib import suppress
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from turnout.organizing import services
from turnout.organizing.models import Assessment, Card, Conversation, Unit, Worker
from turnout.people.models import Person
from turnout.people.signals import people_merging, person_erasing


@receiver(person_erasing)
def forget_erased_person(*, person: Person, **kwargs: Any) -> list[type[Model]]:
    services.forget_person(person=person)
    return [Card, Worker, Assessment, Conversation, Unit]  # what erasure's scrub must clean


@receiver(people_merging, dispatch_uid="turnout.organizing.merge")
def move_merged_roster(*, keep: Person, other: Person, **kwargs: Any) -> None:
    """A merge keeps the merged record's roster rows and the cards they signed (legal evidence):
    a row moves to the kept record, or, where the kept record is already on that unit, its cards
    are signed over to the kept record's row."""
    services.move_roster(keep=keep, other=other)


@receiver(pre_delete, sender=Person)
def forget_deleted_person(*, instance: Person, **kwargs: Any) -> None:
    # A merge deletes the other record, whose roster rows go by cascade; their cards would stay
    # behind, counted for nobody. (After an erasure there is nothing left to find.)
    services.forget_person(person=instance)


@receiver(post_delete, sender=Card)
def remove_scan(*, instance: Card, **kwargs: Any) -> None:
    """Delete a deleted card's scan and its folder once the deletion commits (a rollback keeps both)."""
    storage, name = instance.scan.storage, instance.scan.name
    if not name:
        return

    def remove() -> None:
        storage.delete(name)
        with suppress(NotImplementedError, OSError):  # storage without folders, or something else inside
            os.rmdir(os.path.dirname(storage.path(name)))

    transaction.on_commit(remove)
