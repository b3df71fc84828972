"""Contact results on a person's record (talked, wrong number, do not contact…), and what the
codes with an effect do: one service for texting today, and for calls and doors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from turnout.accounts.models import Group
from turnout.messaging import optouts
from turnout.people.models import BUILT_IN_CODES, ConsentEvent, ContactResult, Person, ResultCode
from turnout.people.services import remove_phone


def built_in() -> list[ResultCode]:
    """Turnout's own codes, made where missing (a database emptied since its migrations ran)."""
    codes = list(ResultCode.objects.filter(group__isnull=True))
    if len(codes) < len(BUILT_IN_CODES):
        for key, label, effect in BUILT_IN_CODES:
            ResultCode.objects.get_or_create(group=None, key=key, defaults={"label": label, "effect": effect})
        codes = list(ResultCode.objects.filter(group__isnull=True))
    return codes


def codes_for(group: Group) -> list[ResultCode]:
    """Turnout's own codes, then the group's."""
    return built_in() + list(ResultCode.objects.filter(group=group))


@transaction.atomic
def record(*, person: Person, group: Group, code: ResultCode, channel: str, source: str = "", source_label: str = "",
           by: str = "", number: str = "", at: datetime | None = None) -> ContactResult:
    """Write the result on the person's record (one per `source`: recording again replaces it) and
    apply its effect: a wrong number (`number`, the one tried) leaves this record; "do not
    contact" (and "deceased") opts out every number and address of the person, as their own STOP
    would. `at`: when the attempt was made (a door recorded offline), else now. Refuses another
    group's code (ValueError)."""
    if code.group_id not in (None, group.pk):
        raise ValueError("That result code belongs to another group.")
    fields = {"group": group, "code": code, "channel": channel, "source_label": source_label[:200], "by": by[:100],
              "at": at or timezone.now()}
    if source:
        result, _made = ContactResult.objects.update_or_create(person=person, source=source[:80], defaults=fields)
    else:
        result = ContactResult.objects.create(person=person, **fields)
    why = f"{code.label}, recorded by {by}" if by else code.label
    if code.effect == ResultCode.Effect.WRONG_NUMBER and number:
        # The number is someone else's: it leaves this record (and what is queued to it for this
        # person), while whoever owns it keeps their own records and consent.
        remove_phone(person=person, number=number, group=group, why=why)
        optouts.suppress_queued(channel="sms", address=number, people=[person.pk], why="wrong number")
    elif code.effect == ResultCode.Effect.DO_NOT_CONTACT:
        for phone in person.phones.values_list("number", flat=True):
            optouts.opt_out(channel="sms", address=phone, source=ConsentEvent.Source.RESULT, detail=code.label,
                            why="do not contact", person_id=person.pk, text=why)
        for address in person.emails.values_list("address", flat=True):
            optouts.opt_out(channel="email", address=address, source=ConsentEvent.Source.RESULT, detail=code.label,
                            why="do not contact", person_id=person.pk, text=why)
    return result


@transaction.atomic
def record_many(entries: list[dict[str, Any]]) -> int:
    """`record` for many results at once (a canvasser's sync): each entry `record`'s keyword
    arguments, with a `source` each. Results with no effect are written in a few statements; those
    with one go through `record`, one by one, for their opt-outs. How many."""
    plain = [e for e in entries if not e["code"].effect]
    for entry in entries:
        if entry["code"].group_id not in (None, entry["group"].pk):
            raise ValueError("That result code belongs to another group.")
        if entry["code"].effect:
            record(**entry)
    if not plain:
        return len(entries)
    by_source = {(e["person"].pk, e["source"][:80]): e for e in plain}  # the latest of one source wins
    existing = {(r.person_id, r.source): r for r in ContactResult.objects.filter(
        person_id__in={person for person, _source in by_source}, source__in={s for _p, s in by_source})}
    changed, made = [], []
    for key, entry in by_source.items():
        values = {"group": entry["group"], "code": entry["code"], "channel": entry["channel"],
                  "source_label": entry.get("source_label", "")[:200], "by": entry.get("by", "")[:100],
                  "at": entry.get("at") or timezone.now()}
        if key in existing:
            result = existing[key]
            for name, value in values.items():
                setattr(result, name, value)
            changed.append(result)
        else:
            made.append(ContactResult(person=entry["person"], source=key[1], **values))
    ContactResult.objects.bulk_create(made)
    ContactResult.objects.bulk_update(changed, ["group", "code", "channel", "source_label", "by", "at"])
    return len(entries)
