"""Signals other apps listen to; sent by people.services after the change is saved."""

from django.dispatch import Signal

# Sent with person=<Person> and created=<bool> whenever a service adds or changes a person.
person_changed = Signal()
