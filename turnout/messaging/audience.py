"""Who a message goes to: the console's people filters, re-run with the sender's rights, and a preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from turnout.accounts.models import Group, Role, User
from turnout.messaging import segments
from turnout.messaging.models import Message
from turnout.people.forms import PeopleFilterForm
from turnout.people.models import ListItem, Person, Tagging
from turnout.people.services import people_filter

FILTER_KEYS = ("q", "tag", "group", "status", "zip", "miles", "list")


def targets_condition(targets: list[dict[str, str]]) -> Q:
    """People tagged with any of the target tags or on any of the target lists (API messages)."""
    condition = Q(pk__in=[])
    for target in targets:
        if target.get("kind") == "tag":
            condition |= Q(Exists(Tagging.objects.filter(person=OuterRef("pk"), tag__public_id=target["id"])))
        elif target.get("kind") == "list":
            condition |= Q(Exists(ListItem.objects.filter(person=OuterRef("pk"), person_list__public_id=target["id"])))
    return condition


def audience_params(data: Any) -> dict[str, str]:
    """The filter values worth keeping from a form or query string."""
    return {key: str(data.get(key)) for key in FILTER_KEYS if data.get(key) not in (None, "")}


def people_for(user: User, params: dict[str, Any]) -> QuerySet[Person]:
    """Everyone the filters match among people the user may message (organizer role)."""
    people = Person.objects.visible_to(user, Role.ORGANIZER)
    if "targets" in params:
        return people.filter(targets_condition(params["targets"]))  # type: ignore[arg-type]
    if not params:
        return people
    form = PeopleFilterForm(params, user=user)
    if not form.is_valid():
        return people.none()
    data = form.cleaned_data
    return people_filter(people, q=data["q"], tag=data["tag"], group=data["group"], status=data["status"],
                         near=data.get("near"), miles=data.get("miles") or 0, person_list=data.get("list"),
                         reader_groups=Group.objects.visible_to(user, Role.ORGANIZER))


@dataclass
class Preview:
    matched: int
    reachable: int  # numbers or addresses it goes to: each once, however many people here hold it
    no_consent: int
    no_address: int
    encoding: str
    segments: int
    encoding_es: str
    segments_es: int
    shared: int = 0  # people with consent whose number or address goes to someone else here
    # The text as one of the people it goes to gets it (merge fields filled), in each language.
    sample: str = ""
    sample_es: str = ""
    sample_name: str = ""
    sample_name_es: str = ""


def preview(message: Message, people: QuerySet[Person]) -> Preview:
    """The real recipient count after consent, each number or address once (as the outbox sends),
    and what each text costs in segments."""
    from turnout.messaging.outbox import first_text_footer, reach, render

    matched = people.count()
    with_address, consenting, reachable = reach(message.channel, people)
    # The worst case: a first text carries the footer naming the organization.
    english = segments.count(message.body + first_text_footer(message.group.public_name))
    spanish = segments.count((message.body_es or message.body) + first_text_footer(message.group.public_name))
    someone = people.exclude(language="es").order_by("pk").first() or Person(given_name="Alex", family_name="Doe")
    alguien = people.filter(language="es").order_by("pk").first() or Person(given_name="Ana", family_name="López",
                                                                             language="es")
    return Preview(matched=matched, reachable=reachable, no_consent=with_address - consenting,
                   no_address=matched - with_address, shared=consenting - reachable, encoding=english.encoding,
                   segments=english.segments, encoding_es=spanish.encoding, segments_es=spanish.segments,
                   sample=render(message, someone), sample_es=render(message, alguien),
                   sample_name=someone.display_name, sample_name_es=alguien.display_name)
