"""Signals other apps listen to, so messaging needs to know nothing about them."""

from django.dispatch import Signal

# An ordinary text (no STOP/START/HELP) from a known person, sent by a worker soon after the
# text is stored (inside the transaction that marks it offered), with `inbound=`. A receiver
# that acted on it returns True; the text then stays out of the inbox's unhandled list.
sms_reply = Signal()
