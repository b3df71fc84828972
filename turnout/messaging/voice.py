"""Bridged calls through Twilio Voice: Turnout rings the volunteer's phone, then dials the member
and joins the two, showing each the organization's number (`TURNOUT_CALL_FROM`), so neither sees
the other's. One request to Twilio's Calls API with the call's TwiML inline; nothing is kept."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree

from django.conf import settings

from turnout.messaging.transports import TransportError
from turnout.messaging.transports.http import KeepAlive, post_or_retry
from turnout.messaging.transports.twilio import basic_auth

_client = KeepAlive(10)


class VoiceError(Exception):
    """Twilio did not place the call; the message says why."""


def caller_id() -> str:
    """The number both sides see: TURNOUT_CALL_FROM, else the organization's first sender number."""
    if settings.CALL_FROM:
        return str(settings.CALL_FROM)
    numbers = [sender.split(":", 1)[0].strip() for sender in settings.SMS_SENDERS]
    return next((number for number in numbers if number.startswith("+")), "")


def available() -> bool:
    """Whether Turnout can bridge calls: a Twilio account and a number to call from."""
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and caller_id())


def twiml(*, member: str, greeting: str) -> str:
    """What Twilio does once the volunteer answers: say who they are being connected to, then dial
    the member with the organization's number shown."""
    response = ElementTree.Element("Response")
    ElementTree.SubElement(response, "Say").text = greeting
    dial = ElementTree.SubElement(response, "Dial", callerId=caller_id(), timeout="30")
    ElementTree.SubElement(dial, "Number").text = member
    return ElementTree.tostring(response, encoding="unicode")


def bridge(*, volunteer: str, member: str, greeting: str) -> str:
    """Ring `volunteer`, then connect them to `member`; Twilio's call sid, or VoiceError."""
    if not available():
        raise VoiceError("Bridged calls need TURNOUT_TWILIO_ACCOUNT_SID, TURNOUT_TWILIO_AUTH_TOKEN and a number "
                         "to call from (TURNOUT_CALL_FROM).")
    form = {"To": volunteer, "From": caller_id(), "Twiml": twiml(member=member, greeting=greeting)}
    url = f"{settings.TWILIO_API_URL}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Calls.json"
    headers = {"Authorization": basic_auth(), "Content-Type": "application/x-www-form-urlencoded",
               "Accept": "application/json"}
    try:
        status, answer = post_or_retry(_client, url, urlencode(form).encode(), headers)
    except TransportError as exc:
        raise VoiceError(str(exc)) from None
    try:
        data = json.loads(answer)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if status >= 300 or not data.get("sid"):
        raise VoiceError(f"Twilio {data.get('code') or status}: {data.get('message', '')}".strip()[:300])
    return str(data["sid"])
