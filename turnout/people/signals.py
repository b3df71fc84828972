"""Signals other apps listen to; sent by people.services after the change is saved."""

from django.dispatch import Signal

# Sent with person=<Person> and created=<bool> whenever a service adds or changes a person.
person_changed = Signal()

# Sent with people=<list of Person> and created=<bool> when a batch (a worker settling a crowd's
# forms) adds many people at once: what `person_changed` says of each, said once for them all.
people_changed = Signal()

# Sent with person=<Person> inside erase_person's transaction, before the person is deleted: each
# app removes what it holds about them that a cascade would not reach (files, payloads, rows
# linked by a sealed reference). Receivers must not fail quietly: an exception stops the erasure.
person_erasing = Signal()

# Sent with keep=<Person> and other=<Person> inside merge_people before `other` is deleted: each
# app moves what it holds of `other` that the merge itself does not move.
people_merging = Signal()
