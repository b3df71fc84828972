"""Who may see which organizing records, and the counts organizers steer by: a unit's card
thresholds, a campaign's roll-up across hundreds of shops, and who should take a new request.

Access: a campaign's staff are the organizers of its group (and the groups above); volunteers
see only the units they are assigned to, and the requests they organize or mentor. A locked
campaign (a lost phone, a leak) is seen by the group's admins alone, volunteers included out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, overload

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from turnout.accounts.models import Group, Role, User
from turnout.accounts.permissions import has_role
from turnout.core.geo import distance_miles
from turnout.organizing.models import (
    Campaign,
    Card,
    Industry,
    Request,
    Stage,
    StageChange,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)


def staff_groups(user: Any) -> QuerySet[Group]:
    return Group.objects.visible_to(user, Role.ORGANIZER)


def _campaign_access(user: Any, prefix: str = "") -> Q:
    """Campaigns the user runs as staff: organizers while open, admins always."""
    return (Q(**{f"{prefix}group__in": staff_groups(user), f"{prefix}locked_at__isnull": True})
            | Q(**{f"{prefix}group__in": Group.objects.visible_to(user, Role.ADMIN)}))


def staffed_campaigns(user: Any) -> QuerySet[Campaign]:
    """Campaigns the user runs as staff (see `runs`)."""
    if not getattr(user, "is_authenticated", False):
        return Campaign.objects.none()
    return Campaign.objects.filter(_campaign_access(user))


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns the user runs, or has at least one unit of (volunteers, while the campaign is open)."""
    if not getattr(user, "is_authenticated", False):
        return Campaign.objects.none()
    volunteer = Q(units__volunteers=user, locked_at__isnull=True)
    return Campaign.objects.filter(Q(pk__in=Campaign.objects.filter(_campaign_access(user)).values("pk"))
                                   | Q(pk__in=Campaign.objects.filter(volunteer).values("pk")))


def units_for(user: Any) -> QuerySet[Unit]:
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    staff = Unit.objects.filter(_campaign_access(user, "campaign__")).values("pk")
    assigned = Unit.objects.filter(volunteers=user, campaign__locked_at__isnull=True).values("pk")
    return Unit.objects.filter(Q(pk__in=staff) | Q(pk__in=assigned))


def workers_for(user: Any) -> QuerySet[Worker]:
    return Worker.objects.filter(unit__in=units_for(user))


def workplaces_for(user: Any) -> QuerySet[Workplace]:
    """Staff see their groups' workplaces; volunteers the workplaces of their units."""
    if not getattr(user, "is_authenticated", False):
        return Workplace.objects.none()
    return Workplace.objects.filter(Q(group__in=staff_groups(user))
                                    | Q(pk__in=units_for(user).values("workplace_id"))).distinct()


def requests_for(user: Any) -> QuerySet[Request]:
    if not getattr(user, "is_authenticated", False):
        return Request.objects.none()
    return Request.objects.filter(Q(group__in=staff_groups(user)) | Q(organizer__user=user)
                                  | Q(mentor__user=user))


def runs(user: Any, campaign: Campaign) -> bool:
    """Staff of this campaign: may change its settings, assign volunteers, export and lock."""
    if campaign.locked:
        return has_role(user, campaign.group, Role.ADMIN)
    return has_role(user, campaign.group, Role.ORGANIZER)


# --- thresholds and the roll-up ------------------------------------------------------------------


@dataclass
class Threshold:
    """Cards signed (still valid) over the eligible roster, against the lines that matter."""

    eligible: int
    cards: int
    expired: int
    supermajority: int
    lines: list[tuple[str, int, int, int]] = field(default_factory=list)  # (label, percent, needed, still to go)

    @property
    def percent(self) -> int:
        return round(100 * self.cards / self.eligible) if self.eligible else 0


def needed(eligible: int, percent: int) -> int:
    """Cards for `percent` of the unit; majority means more than half."""
    if percent == 50:
        return eligible // 2 + 1
    return -(-eligible * percent // 100)


def threshold(unit: Unit) -> Threshold:
    """A unit's counts: its eligible workers, and the cards that count (each eligible worker's
    newest, by the plaintext `counts` flag) signed since the campaign's cutoff, or before it."""
    campaign = unit.campaign
    cutoff = campaign.card_cutoff()
    eligible = Worker.objects.filter(unit=unit, eligible=True).count()
    cards = Card.objects.filter(unit=unit, counts=True).aggregate(
        valid=Count("pk", filter=Q(signed_at__gte=cutoff)), expired=Count("pk", filter=Q(signed_at__lt=cutoff)))
    result = Threshold(eligible=eligible, cards=cards["valid"], expired=cards["expired"],
                       supermajority=campaign.supermajority)
    result.lines = lines(eligible, result.cards, campaign.supermajority)
    return result


def lines(eligible: int, cards: int, supermajority: int) -> list[tuple[str, int, int, int]]:
    """The lines that matter for `eligible` workers holding `cards` valid cards: 30% to file, a
    majority, the campaign's supermajority; each (label, percent, cards needed, still to go)."""
    return [(label, percent, needed(eligible, percent), max(0, needed(eligible, percent) - cards))
            for label, percent in (("30%", 30), ("majority", 50), (f"{supermajority}%", supermajority))]


def unit_rows(campaign: Campaign) -> list[Any]:
    """Every unit of the campaign with its counts: one query grouped over the roster, one over the
    cards that count (joining both in one query would multiply rows), and each unit's tally of
    scores for `n_low`."""
    cutoff = campaign.card_cutoff()
    eligible = Q(workers__eligible=True)
    units: list[Any] = list(campaign.units.select_related("workplace", "workplace__employer").annotate(
        n_workers=Count("workers", filter=eligible),
        n_committee=Count("workers", filter=Q(workers__on_committee=True)),
        n_uncovered=Count("workers", filter=eligible & Q(workers__on_committee=False,
                                                         workers__contact__isnull=True)),
    ).order_by("workplace__name"))
    cards: dict[int, tuple[int, int]] = {
        unit_id: (valid, expired) for unit_id, valid, expired
        in Card.objects.filter(unit__campaign=campaign, counts=True).order_by().values_list("unit_id").annotate(
            valid=Count("pk", filter=Q(signed_at__gte=cutoff)), too_old=Count("pk", filter=Q(signed_at__lt=cutoff)))}
    for unit in units:
        unit.n_cards, unit.n_expired = cards.get(unit.pk, (0, 0))
        unit.n_low = unit.low
    return units


@dataclass
class Rollup:
    shops: int
    units: list[Any]
    by_stage: list[tuple[str, str, int]]
    workers: int
    cards: int
    expired: int
    low: int
    committee: int
    uncovered: int
    won: int
    lost: int
    at_30: int
    at_majority: int
    weeks: list[tuple[Any, int]]

    @property
    def percent(self) -> int:
        return round(100 * self.cards / self.workers) if self.workers else 0

    @property
    def covered_percent(self) -> int:
        return round(100 * (self.workers - self.uncovered) / self.workers) if self.workers else 0


def rollup(campaign: Campaign, *, stage: str = "", reached: int = 0) -> Rollup:
    """The campaign across all its shops: by stage, workers, cards, support, committee coverage,
    elections won and lost, cards signed week by week. `stage` or `reached` (30 or 50 percent
    carded) narrows the list of shops, not the totals."""
    units: list[Any] = unit_rows(campaign)
    stages = {s: 0 for s in Stage.values}
    for unit in units:
        stages[unit.stage] += 1
        unit.percent = round(100 * unit.n_cards / unit.n_workers) if unit.n_workers else 0
    # Elections are counted over every attempt: a shop that lost once and won later counts in both.
    results = dict(StageChange.objects.filter(unit__campaign=campaign, stage__in=(Stage.WON, Stage.LOST))
                   .values_list("stage").annotate(n=Count("unit_id", distinct=True)))
    weeks = list(Card.objects.filter(unit__campaign=campaign, pending=False).annotate(week=TruncWeek("signed_at"))
                 .values_list("week").annotate(n=Count("pk")).order_by("week"))
    return Rollup(
        shops=len(units),
        units=[u for u in units if (not stage or u.stage == stage)
               and (not reached or (u.n_workers and u.n_cards >= needed(u.n_workers, reached)))],
        by_stage=[(value, str(label), stages[value]) for value, label in Stage.choices],
        workers=sum(u.n_workers for u in units), cards=sum(u.n_cards for u in units),
        expired=sum(u.n_expired for u in units), low=sum(u.n_low for u in units),
        committee=sum(u.n_committee for u in units), uncovered=sum(u.n_uncovered for u in units),
        won=results.get(Stage.WON, 0), lost=results.get(Stage.LOST, 0),
        at_30=sum(1 for u in units if u.n_workers and u.n_cards >= needed(u.n_workers, 30)),
        at_majority=sum(1 for u in units if u.n_workers and u.n_cards >= needed(u.n_workers, 50)),
        weeks=weeks,
    )


def with_cards(workers: list[Worker]) -> None:
    """Load each worker's current card date (`Worker.card_signed_at`) for a whole list: the cards
    of their units, opened, instead of one blind-index lookup per worker."""
    newest: dict[str, Any] = {}
    for ref, signed_at in (Card.objects.filter(unit_id__in={w.unit_id for w in workers})
                           .values_list("worker_ref", "signed_at")):
        if ref not in newest or signed_at > newest[ref]:
            newest[ref] = signed_at
    for worker in workers:
        worker._card_signed_at = newest.get(str(worker.public_id))


class Roster(Sequence[Worker]):
    """Workers behind a number, in order, in parts of known size (a whole list, or one unit's),
    loaded only for the parts a page overlaps and with their card dates: what a paginator pages
    through. `load` takes [(part, first, last)] and returns those workers in order."""

    def __init__(self, parts: list[tuple[Any, int]], load: Callable[[list[tuple[Any, int, int]]], list[Worker]]):
        self.parts, self.load = parts, load

    def __len__(self) -> int:
        return sum(n for _part, n in self.parts)

    @overload
    def __getitem__(self, index: int) -> Worker: ...

    @overload
    def __getitem__(self, index: slice) -> list[Worker]: ...

    def __getitem__(self, index: int | slice) -> Worker | list[Worker]:
        if isinstance(index, int):
            return self[index:index + 1 or None][0]
        start, stop, _step = index.indices(len(self))
        wanted, offset = [], 0
        for part, n in self.parts:
            if offset >= stop:
                break
            if max(start - offset, 0) < min(stop - offset, n):
                wanted.append((part, max(start - offset, 0), min(stop - offset, n)))
            offset += n
        found = self.load(wanted) if wanted else []
        with_cards(found)
        return found

    def __iter__(self) -> Iterator[Worker]:
        return iter(self[:])


SEALED_DRILLS = ("carded", "uncarded", "expired", "low")
IN_UNIT_ORDER = ("person__family_name", "person__given_name", "pk")


def drill(campaign: Campaign, units: QuerySet[Unit], show: str, *, related: Sequence[str] = ()) -> Roster:
    """The workers of `units` behind one number of the roll-up (or a unit's page), shop by shop;
    anything else: everyone.

    Cards and scores are sealed, so "carded", "uncarded", "too old" and "assessed 1 or 2" are
    decided in Python, by opening a unit's scores and the references of its cards that count. How
    many of each unit's workers match is known without opening anything (the counted cards' dates,
    the unit's tally), so a page opens only the units it shows, however large the campaign."""
    eligible = Q(eligible=True)
    plain = {"workers": eligible, "unassessed": eligible & Q(assessed_at__isnull=True),
             "committee": Q(on_committee=True), "uncovered": eligible & Q(on_committee=False, contact__isnull=True)}
    if show not in SEALED_DRILLS:
        chosen = (Worker.objects.filter(plain.get(show, Q()), unit__in=units).select_related(*related or ["unit"])
                  .order_by("unit__workplace__name", "unit_id", *IN_UNIT_ORDER))
        return Roster([(None, chosen.count())], lambda wanted: [w for _all, lo, hi in wanted for w in chosen[lo:hi]])
    cutoff = campaign.card_cutoff()
    in_unit = dict(Worker.objects.filter(unit__in=units, eligible=True).order_by().values_list("unit_id")
                   .annotate(n=Count("pk")))
    counted = {unit_id: (valid, old) for unit_id, valid, old in Card.objects.filter(unit__in=units, counts=True)
               .order_by().values_list("unit_id").annotate(valid=Count("pk", filter=Q(signed_at__gte=cutoff)),
                                                           old=Count("pk", filter=Q(signed_at__lt=cutoff)))}
    parts = []
    for unit_id, support_counts in units.order_by("workplace__name", "pk").values_list("pk", "support_counts"):
        valid, old = counted.get(unit_id, (0, 0))
        parts.append((unit_id, {"carded": valid, "expired": old, "uncarded": in_unit.get(unit_id, 0) - valid,
                                "low": sum(support_counts[:2])}[show]))

    def matches(signed_at: Any, support: int | None) -> bool:
        if show == "low":
            return support in (1, 2)
        valid = signed_at is not None and signed_at >= cutoff
        if show == "carded":
            return valid
        if show == "uncarded":
            return not valid
        return signed_at is not None and not valid  # expired

    def load(wanted: list[tuple[Any, int, int]]) -> list[Worker]:
        """Open the scores and counted cards of the units a page overlaps; fetch whole rows only
        for the workers it shows."""
        ids = [unit_id for unit_id, _lo, _hi in wanted]
        cards = dict(Card.objects.filter(unit__in=ids, counts=True).values_list("worker_ref", "signed_at"))
        rows: dict[int, list[int]] = {unit_id: [] for unit_id in ids}
        for pk, unit_id, ref, support in (Worker.objects.filter(unit__in=ids, eligible=True).order_by(*IN_UNIT_ORDER)
                                          .values_list("pk", "unit_id", "public_id", "support")):
            if matches(cards.get(str(ref)), support):
                rows[unit_id].append(pk)
        shown = [pk for unit_id, lo, hi in wanted for pk in rows[unit_id][lo:hi]]
        found = {w.pk: w for w in Worker.objects.filter(pk__in=shown).select_related(*related or ["unit"])}
        return [found[pk] for pk in shown]

    return Roster(parts, load)


# --- matching ------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    volunteer: Volunteer
    score: float
    reasons: list[str]
    caseload: int

    @property
    def full(self) -> bool:
        """At or past their capacity: offered last, and assigned only with an override."""
        return self.caseload >= self.volunteer.capacity


def caseloads(volunteers: list[Volunteer]) -> dict[int, int]:
    """Open requests each volunteer organizes or mentors, plus the units they are assigned to."""
    ids = [v.pk for v in volunteers]
    load = dict.fromkeys(ids, 0)
    for column in ("organizer_id", "mentor_id"):
        for vid, n in (Request.objects.filter(**{f"{column}__in": ids}).exclude(status=Request.Status.CLOSED)
                       .values_list(column).annotate(n=Count("pk"))):
            load[vid] += n
    users = {v.user_id: v.pk for v in volunteers}
    for uid, n in (Unit.objects.filter(volunteers__in=users, campaign__locked_at__isnull=True)
                   .exclude(stage__in=(Stage.WON, Stage.LOST, Stage.FIRST_CONTRACT))
                   .values_list("volunteers").annotate(n=Count("pk"))):
        load[users[uid]] += n
    return load


def suggestions(request: Request, *, mentors: bool = False, limit: int = 3) -> list[Suggestion]:
    """Volunteers of the request's group (and the groups above) ranked for it: same industry,
    a shared language, near the workplace, and room in their caseload. Full caseloads last."""
    groups = request.group.ancestors_and_self()
    volunteers = [v for v in Volunteer.objects.filter(group__in=groups, active=True).select_related("user")
                  if (v.mentors if mentors else v.organizes)]
    load = caseloads(volunteers)
    ranked = []
    for volunteer in volunteers:
        score, reasons = 0.0, []
        if request.industry in volunteer.industries:
            score += 3
            reasons.append(str(Industry(request.industry).label))
        if request.language in volunteer.languages:
            score += 2 if request.language != "en" else 0.5
            reasons.append({"es": "habla español", "en": "speaks English"}.get(request.language,
                                                                             request.language))
        if None not in (request.latitude, volunteer.latitude):
            miles = distance_miles(request.latitude, request.longitude,  # type: ignore[arg-type]
                                   volunteer.latitude, volunteer.longitude)  # type: ignore[arg-type]
            score += max(0.0, 2 - miles / 25)
            reasons.append(f"{miles:.0f} mi")
        cases = load[volunteer.pk]
        score += 1 if cases < volunteer.capacity else 0
        reasons.append(f"{cases} of {volunteer.capacity} cases")
        ranked.append(Suggestion(volunteer=volunteer, score=score, reasons=reasons, caseload=cases))
    # Whoever has room comes first, however good a match a full volunteer would be.
    ranked.sort(key=lambda s: (s.full, -s.score, s.caseload, str(s.volunteer)))
    return ranked[:limit]


def caseload_of(volunteer: Volunteer) -> int:
    return caseloads([volunteer])[volunteer.pk]


@dataclass
class Waiting:
    """A card waiting for an organizer, opened for the review queue."""

    card: Card
    signer: Any
    candidate: Worker | None


def waiting_cards(campaign: Campaign) -> list[Waiting]:
    """The campaign's cards nobody has matched to a roster yet, oldest first, each with who signed
    and the roster row its name matches (if one does)."""
    cards = list(Card.objects.filter(unit__campaign=campaign, pending=True)
                 .select_related("unit__workplace").order_by("signed_at", "pk"))
    return [Waiting(card=card, signer=card.signer, candidate=card.candidate) for card in cards]



def overdue(hours: int) -> QuerySet[Request]:
    """Requests nobody has contacted within `hours` of arriving."""
    return Request.objects.filter(status=Request.Status.NEW,
                                  created_at__lt=timezone.now() - timedelta(hours=hours))


def volunteer_users(group: Group) -> QuerySet[User]:
    return User.objects.filter(organizing_profiles__group__in=group.ancestors_and_self(), is_active=True).distinct()
