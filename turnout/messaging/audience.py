"""Who a message goes to: the console's people filters, re-run with the sender's rights, and a preview."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from turnout.accounts.models import Group, Role, User
from turnout.messaging import segments
from turnout.messaging.models import Message
from turnout.people.forms import PeopleFilterForm
from turnout.people.models import ListItem, Person, Tagging
from turnout.people.services import people_filter

FILTER_KEYS = ("q", "tag", "group", "status", "zip", "miles", "list", "source")


@dataclass(frozen=True)
class Source:
    """People another part of Turnout gathers (an event's attendees, a network's members, a
    campaign's roster), offered as an audience: the apps above messaging register theirs (`register`)."""

    key: str  # "event": the first part of an audience's "source" value, "event:<public id>"
    label: Any  # what the choices are, for the menu ("Going to an event"; a lazy translation)
    # The records of this kind the user may choose, as (public id, label), newest first.
    choices: Callable[[User], list[tuple[str, str]]]
    # Who the chosen record (its public id, a well-formed UUID) gathers, as a condition on Person;
    # None when it is not the user's to choose.
    people: Callable[[User, str], Q | None]
    # Where each person the chosen record gathers is found, when it is not their home (a workplace's
    # department and shift): {person id: place}, for walking them; None: at home.
    places: Callable[[str], dict[int, str]] | None = None
    # Where walking them (door knocking at their places) is written back, as the record's own: an
    # organizing campaign's conversations and assessments (`Walk`); None: on the person's record alone.
    walked: Callable[[str, list[Walk]], None] | None = None
    # The scale a canvasser may assess each of them on, as (score, label): organizing's support.
    scale: Sequence[tuple[int, Any]] = ()


@dataclass(frozen=True)
class Walk:
    """One door of a walk, as a canvasser recorded it, for the source to write as its own (`Source.walked`)."""

    person_id: int
    at: datetime
    by: str  # the canvasser, as they named themselves
    result: str  # the result code's label ("Talked", "Not home")
    talked: bool  # the result is Turnout's "talked"
    score: int | None = None  # on the source's `scale`
    next_step: str = ""
    answers: list[str] = field(default_factory=list)  # "question: answer"
    campaign: str = ""  # the door-knocking campaign's title


SOURCES: dict[str, Source] = {}
MAX_CHOICES = 200  # the newest records a source's menu offers


def register(source: Source) -> None:
    SOURCES[source.key] = source


def source_choices(user: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every source's records the user may choose, grouped by source, for a select's choices."""
    return [(str(source.label), [(f"{source.key}:{pk}", label) for pk, label in source.choices(user)])
            for source in SOURCES.values()]


def _chosen(value: str) -> tuple[Source, str] | None:
    """The source and record an audience's "source" value ("event:<public id>") names; None when
    the source is unknown or the id is not a UUID."""
    key, _sep, pk = (value or "").partition(":")
    source = SOURCES.get(key)
    try:
        chosen = uuid.UUID(pk)
    except ValueError:
        return None
    return (source, str(chosen)) if source else None


def source_places(value: str) -> dict[int, str] | None:
    """Where the people an audience's "source" gathers are found, when it is not at home (`Source.places`)."""
    found = _chosen(value)
    return found[0].places(found[1]) if found and found[0].places else None


def source_walks(value: str) -> Source | None:
    """The source an audience's "source" value names when walking its people is written back to it."""
    found = _chosen(value)
    return found[0] if found and found[0].walked else None


def source_walked(value: str, walks: list[Walk]) -> None:
    """Hand a walk's doors to the source they were gathered from (`Source.walked`), if it takes them."""
    found = _chosen(value)
    if found and found[0].walked and walks:
        found[0].walked(found[1], walks)


def source_condition(user: User, value: str) -> Q | None:
    """Who an audience's "source" value ("event:<public id>") gathers; None when unknown or not the user's."""
    found = _chosen(value)
    return found[0].people(user, found[1]) if found else None


def targets_condition(targets: list[dict[str, str]], user: User) -> Q:
    """People tagged with any of the target tags, on any of the target lists, or gathered by any of
    the target sources (an event, a network, an organizing campaign: `Source`) (API audiences)."""
    condition = Q(pk__in=[])
    for target in targets:
        if target.get("kind") == "tag":
            condition |= Q(Exists(Tagging.objects.filter(person=OuterRef("pk"), tag__public_id=target["id"])))
        elif target.get("kind") == "list":
            condition |= Q(Exists(ListItem.objects.filter(person=OuterRef("pk"), person_list__public_id=target["id"])))
        elif (found := source_condition(user, f"{target.get('kind')}:{target.get('id')}")) is not None:
            condition |= found
    return condition


def audience_params(data: Any) -> dict[str, str]:
    """The filter values worth keeping from a form or query string."""
    return {key: str(data.get(key)) for key in FILTER_KEYS if data.get(key) not in (None, "")}


def people_for(user: User, params: dict[str, Any]) -> QuerySet[Person]:
    """Everyone the filters match among people the user may message (organizer role)."""
    people = Person.objects.visible_to(user, Role.ORGANIZER)
    if "targets" in params:
        return people.filter(targets_condition(params["targets"], user))  # type: ignore[arg-type]
    if not params:
        return people
    if params.get("source"):
        condition = source_condition(user, str(params["source"]))
        if condition is None:
            return people.none()
        people = people.filter(condition)
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
