"""Signals other apps listen to, so messaging needs to know nothing about them."""

from django.dispatch import Signal

# An ordinary text (no STOP/START/HELP) from a known person, sent inside the transaction that
# stores it, with `inbound=`. A receiver that acted on it returns True; the text then stays out
# of the inbox's unhandled list.
sms_reply = Signal()
