"""Contact results on a person's record (talked, wrong number, do not contact…), and what the
codes with an effect do across every channel, as an opt-out does: one service for texting
today, and for calls and doors."""

from __future__ import annotations

from django.db import transaction

from turnout.accounts.models import Group
from turnout.messaging import optouts
from turnout.people.models import ConsentEvent, ContactResult, Person, ResultCode


def codes_for(group: Group) -> list[ResultCode]:
    """Turnout's own codes, then the group's."""
    return list(ResultCode.objects.filter(group__isnull=True)) + list(ResultCode.objects.filter(group=group))


@transaction.atomic
def record(*, person: Person, group: Group, code: ResultCode, channel: str, source: str = "", source_label: str = "",
           by: str = "", number: str = "") -> ContactResult:
    """Write the result on the person's record and apply its effect: a wrong number is opted out
    on every record that holds it (`number`, the one tried); "do not contact" (and "deceased")
    opts out every number and address of the person. Refuses another group's code (ValueError)."""
    if code.group_id not in (None, group.pk):
        raise ValueError("That result code belongs to another group.")
    result = ContactResult.objects.create(person=person, group=group, code=code, channel=channel, source=source[:80],
                                          source_label=source_label[:200], by=by[:100])
    why = f"{code.label}, recorded by {by}" if by else code.label
    if code.effect == ResultCode.Effect.WRONG_NUMBER and number:
        optouts.opt_out(channel="sms", address=number, source=ConsentEvent.Source.RESULT, detail=code.label,
                        why="wrong number", person_id=person.pk, text=why)
    elif code.effect == ResultCode.Effect.DO_NOT_CONTACT:
        for phone in person.phones.values_list("number", flat=True):
            optouts.opt_out(channel="sms", address=phone, source=ConsentEvent.Source.RESULT, detail=code.label,
                            why="do not contact", person_id=person.pk, text=why)
        for address in person.emails.values_list("address", flat=True):
            optouts.opt_out(channel="email", address=address, source=ConsentEvent.Source.RESULT, detail=code.label,
                            why="do not contact", person_id=person.pk, text=why)
    return result
