"""Peer-to-peer texting: the services every door calls (the console, the texter's pages, tasks).

A campaign is written as a draft, then launched: its audience is read once into conversations
waiting in a pool, one per number. Volunteers join by an invitation link and ask for a batch;
each first text goes out by the texter's own click, through the outbox (consent, quiet hours,
pacing, crash rules), as one delivery of the texter's own message. Replies land in the
conversation; a conversation its texter leaves unanswered goes back to the pool.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from turnout.accounts.models import Group, User
from turnout.core import audit, batching, geo, records
from turnout.core.exports import csv_writer
from turnout.core.models import AuditEntry
from turnout.messaging import audience as audience_mod
from turnout.messaging import (
    keywords,
    merge,
    optouts,
    outbox,
    pacing,
    quiet_hours,
    segments,
    sending,
    voice,
)
from turnout.messaging import results as contact_results
from turnout.messaging.models import Delivery, Message
from turnout.people.contact import InvalidContact, format_phone, normalize_phone
from turnout.people.models import ConsentEvent, Person, ResultCode
from turnout.people.services import add_tag, tag_name
from turnout.texting.models import (
    CannedResponse,
    Conversation,
    ConversationText,
    DoorResult,
    SurveyChoice,
    SurveyQuestion,
    SurveyResponse,
    Texter,
    TexterInvite,
    TextingCampaign,
    key_hash,
)

# A first text longer than this many segments is refused before launch: each segment is billed,
# and carriers filter long unsolicited texts.
MAX_SEGMENTS = 3
# What a texter may ask for at once.
MAX_BATCH = 500
INVITE_DAYS = 14
TEXTER_KEY_SALT = "turnout.texting.texter"
# A texter whose inbox has not asked for news this long is away: a reply alerts them by email,
# at most once in ALERT_EVERY.
AWAY_AFTER = timedelta(minutes=2)
ALERT_EVERY = timedelta(minutes=15)
# A reply reaches a texter's conversation only this long after the conversation's latest text.
REPLY_WINDOW = timedelta(days=7)
DISPATCH_ASKED_KEY = "turnout:texting:dispatch-asked"
# A canvasser removed, or a campaign finished, still syncs what its phones kept for this long.
SYNC_AFTER_CLOSE = timedelta(days=14)
TEXTER_FIELDS = ("texter_first_name",)
_TEXTER_FIELD = re.compile(r"\{\{\s*texter_first_name\s*\}\}|\{\s*texter_first_name\s*\}")


class TextingError(ValueError):
    """What a person asked for cannot be done; the message says why and what to do."""


class NeedsEvent(TextingError):
    """A first text with a link, and no event for it to lead to: input to correct, not a conflict."""


# --- writing and launching a campaign ------------------------------------------------------------


def check_script(text: str) -> None:
    """Refuse merge fields a first text cannot fill (UnknownMergeField); the link fields fill from
    the campaign's event (`needs_event`)."""
    merge.check(_TEXTER_FIELD.sub("", text or ""), links=True)


def needs_event(fields: dict[str, Any], campaign: TextingCampaign | None = None) -> None:
    """Refuse {event_link} or {share_link} in a campaign's first text without an event to lead to."""
    event = fields.get("event", campaign.event if campaign else None)
    script = fields.get("script", campaign.script if campaign else "")
    script_es = fields.get("script_es", campaign.script_es if campaign else "")
    if event is None and (merge.uses_links(script) or merge.uses_links(script_es)):
        raise NeedsEvent(_("Choose the event that {event_link} and {share_link} lead to."))


def fill_texter(text: str, texter_name: str) -> str:
    """The script with the texter's first name in it; the contact's own fields are filled at sending."""
    first = (texter_name.split() or [""])[0]
    return _TEXTER_FIELD.sub(lambda _m: first, text or "")


def create_campaign(*, actor: User, group: Group, fields: dict[str, Any]) -> TextingCampaign:
    check_script(fields.get("script", ""))
    check_script(fields.get("script_es", ""))
    needs_event(fields)
    campaign = TextingCampaign.objects.create(group=group, created_by=actor, **fields)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=campaign, group=group,
                 summary=f"Created the texting campaign {campaign.title}")
    return campaign


def sender_choices() -> list[str]:
    """The organization's sender numbers a campaign may text from."""
    return [sender.address for sender in pacing.senders() if sender.address]


def update_campaign(*, actor: User, campaign: TextingCampaign, fields: dict[str, Any]) -> TextingCampaign:
    if campaign.status != TextingCampaign.Status.DRAFT and (
            fields.get("script", campaign.script) != campaign.script
            or fields.get("script_es", campaign.script_es) != campaign.script_es
            or fields.get("audience", campaign.audience) != campaign.audience
            or fields.get("event", campaign.event) != campaign.event
            or fields.get("channel", campaign.channel) != campaign.channel
            or fields.get("bridged", campaign.bridged) != campaign.bridged):
        raise TextingError(_("The first text, the event, the audience and whether it texts or calls (and how) "
                             "cannot change once the campaign is launched."))
    check_script(fields.get("script", campaign.script))
    check_script(fields.get("script_es", campaign.script_es))
    needs_event(fields, campaign)
    changed = records.assign(campaign, fields)
    if changed:
        campaign.save()
        # Texters who joined the draft already: their texts lead to the event as it is now.
        Message.objects.filter(pk__in=Texter.objects.filter(campaign=campaign).values("message")).update(
            link=campaign.link)
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Changed {', '.join(changed)}")
    return campaign


def _longest_filled(text: str, link: str = "") -> str:
    """The script as the longest names likely make it (and the links as long as they are, a share
    code included), for counting segments."""
    def filled(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in merge.LINK_FIELDS:
            return link + ("?ref=" + "X" * 16 if name == "share_link" else "")
        return "X" * 12

    return merge.FIELD.sub(filled, _TEXTER_FIELD.sub("X" * 12, text))


def _says_stop(text: str) -> bool:
    words = f" {keywords.normalize(text)} "
    return any(f" {word} " in words for word in keywords.STOP_WORDS)


def launch_problems(campaign: TextingCampaign, contacts: int | None = None) -> list[str]:
    """Everything that stops the campaign from launching, each saying what to fix."""
    if campaign.volunteers_act_alone:
        return _call_problems(campaign, contacts)
    problems: list[str] = []
    name = campaign.group.public_name
    for label, text in ((_("The first text"), campaign.script), (_("The Spanish first text"), campaign.script_es)):
        if not text.strip():
            if text is campaign.script:
                problems.append(_("Write the first text."))
            continue
        try:
            check_script(text)
        except merge.UnknownMergeField as exc:
            problems.append(f"{label}: {exc}")
        if merge.uses_links(text) and not campaign.link:
            problems.append(_("%(label)s has a link: choose the event it leads to.") % {"label": label})
        if name.casefold() not in text.casefold():
            problems.append(_("%(label)s must name the organization (“%(name)s”), so people know who is texting.")
                            % {"label": label, "name": name})
        if not _says_stop(text):
            problems.append(_("%(label)s must say how to opt out, for example “Reply STOP to opt out.”")
                            % {"label": label})
        counted = segments.count(_longest_filled(text, campaign.link))
        if counted.segments > MAX_SEGMENTS:
            problems.append(_("%(label)s is %(n)s segments long with long names filled in; keep it to %(max)s "
                              "(about %(chars)s characters).")
                            % {"label": label, "n": counted.segments, "max": MAX_SEGMENTS,
                               "chars": MAX_SEGMENTS * (153 if counted.encoding == "GSM-7" else 67)})
    configured = [sender.address for sender in pacing.senders() if sender.address]
    if not configured:
        problems.append(_("No sender number is set up (TURNOUT_SMS_FROM or TURNOUT_SMS_SENDERS)."))
    elif not campaign.senders:
        problems.append(_("Choose the numbers the campaign texts from."))
    elif unknown := [number for number in campaign.senders if number not in configured]:
        problems.append(_("%(numbers)s is no longer one of the organization's sender numbers; choose again.")
                        % {"numbers": ", ".join(unknown)})
    if contacts == 0:
        problems.append(_("Nobody in this audience has a number that agreed to texts."))
    return problems


def _call_problems(campaign: TextingCampaign, contacts: int | None) -> list[str]:
    problems: list[str] = []
    if not campaign.script.strip():
        problems.append(_("Write the script canvassers read.") if campaign.is_door else
                        _("Write the script callers read."))
    for label, text in ((_("The script"), campaign.script), (_("The Spanish script"), campaign.script_es)):
        try:
            check_script(text)
        except merge.UnknownMergeField as exc:
            problems.append(f"{label}: {exc}")
    if not 0 <= campaign.call_from < campaign.call_until <= 24:
        problems.append(_("Calling hours must start before they end, between 0 and 24."))
    if campaign.bridged and not voice.available():
        problems.append(_("Connecting calls through Turnout needs a Twilio account and a number to call from "
                          "(TURNOUT_TWILIO_ACCOUNT_SID, TURNOUT_TWILIO_AUTH_TOKEN, TURNOUT_CALL_FROM); or let "
                          "callers use their own phones."))
    if contacts == 0:
        problems.append(_("Nobody in this audience has a street address.") if campaign.is_door else
                        _("Nobody in this audience has a phone number to call."))
    return problems


def in_campaign_group(campaign: TextingCampaign, audience: QuerySet[Person]) -> QuerySet[Person]:
    """Of an audience read with the launcher's rights, the people the campaign's own group holds:
    its texters, supervisors and export must not reach a neighbouring group's members."""
    return audience.filter(pk__in=Person.objects.in_group(campaign.group).values("pk"))


def _area_zones() -> tuple[str, list[str]]:
    """A table of area codes and their zones, for a contact whose record names no zone."""
    codes = geo.area_code_zones()
    area = " UNION ALL ".join(["SELECT %s AS code, %s AS zone"] * len(codes)) or "SELECT '' AS code, '' AS zone"
    return area, [value for pair in codes.items() for value in pair]


def _contacts_insert(campaign: TextingCampaign, audience: QuerySet[Person]) -> tuple[str, list[Any]]:
    """INSERT … SELECT, run once, at launch, while the campaign has no conversation (a draft, locked):
    no NOT EXISTS on the table being filled, whose growing heap a nested-loop plan would read again
    for every row (a first launch of 100,000 took 70 s that way).

    A conversation for each number in the audience that agreed to texts,
    once per number (the first person holding it), with the person's zone, else their number's.
    A phone bank's: one per person with a number, but none whom a result says not to contact."""
    if campaign.is_phone:
        return _calls_insert(campaign, audience)
    if campaign.is_door:
        return _doors_insert(campaign, audience)
    chosen, params = outbox.chosen_addresses("sms", audience)
    area, area_params = _area_zones()
    sql = ("INSERT INTO texting_conversation (campaign_id, person_id, status, zone, flagged, flag_reason, note, "  # noqa: S608
           "attempts, household) SELECT %s, n.person_id, 'waiting', COALESCE(NULLIF(p.time_zone, ''), a.zone, ''), %s, "
           "'', '', 0, '' "
           "FROM (SELECT MIN(c.person_id) AS person_id, c.address FROM (" + chosen + ") c "
           "WHERE c.consent = 'subscribed' GROUP BY c.address) n "
           "JOIN people_person p ON p.id = n.person_id "
           "LEFT JOIN (" + area + ") a ON a.code = SUBSTR(n.address, 3, 3) AND SUBSTR(n.address, 1, 2) = '+1'")
    return sql, [campaign.pk, False, *params, *area_params]


def _doors_insert(campaign: TextingCampaign, audience: QuerySet[Person]) -> tuple[str, list[Any]]:
    """A door-knocking campaign's: one per person with a street address, their household the
    address as written (case and spaces aside) with its ZIP, none whom a result says not to contact."""
    chosen, params = audience.order_by().values("pk").query.sql_with_params()
    sql = ("INSERT INTO texting_conversation (campaign_id, person_id, status, zone, flagged, flag_reason, note, "  # noqa: S608
           "attempts, household) SELECT %s, p.id, 'waiting', p.time_zone, %s, '', '', 0, "
           "SUBSTR(LOWER(TRIM(p.address_line1)) || '|' || LOWER(TRIM(p.address_line2)) || '|' || p.postal_code, 1, 250) "
           "FROM people_person p WHERE p.id IN (" + chosen + ") AND p.address_line1 <> '' "
           "AND NOT EXISTS (SELECT 1 FROM people_contactresult r JOIN people_resultcode rc ON rc.id = r.code_id "
           "WHERE r.person_id = p.id AND rc.effect = %s)")
    return sql, [campaign.pk, False, *params, ResultCode.Effect.DO_NOT_CONTACT]


PLACE = "place:"  # a household that is a place in a workplace (department and shift), not a home


def _place_walk(campaign: TextingCampaign, audience: QuerySet[Person], places: dict[int, str]) -> int:
    """A door-knocking campaign over a roster: one contact per worker, their "household" their
    place in the workplace (department and shift), so canvassers walk it worker to worker; none
    whom a result says not to contact. How many."""
    chosen = (audience.filter(pk__in=list(places))
              .exclude(contact_results__code__effect=ResultCode.Effect.DO_NOT_CONTACT).distinct()
              .values_list("pk", "time_zone"))
    made = Conversation.objects.bulk_create(
        Conversation(campaign=campaign, person_id=pk, zone=zone, household=(PLACE + places[pk])[:250])
        for pk, zone in chosen)
    return len(made)


def _calls_insert(campaign: TextingCampaign, audience: QuerySet[Person]) -> tuple[str, list[Any]]:
    chosen, params = audience.order_by().values("pk").query.sql_with_params()
    area, area_params = _area_zones()
    sql = ("INSERT INTO texting_conversation (campaign_id, person_id, status, zone, flagged, flag_reason, note, "  # noqa: S608
           "attempts, household) SELECT %s, n.person_id, 'waiting', COALESCE(NULLIF(p.time_zone, ''), a.zone, ''), %s, "
           "'', '', 0, '' "
           "FROM (SELECT p0.id AS person_id, (SELECT ph.number FROM people_phonenumber ph WHERE ph.person_id = p0.id "
           "ORDER BY ph.is_primary DESC, ph.id LIMIT 1) AS number FROM people_person p0 WHERE p0.id IN (" + chosen + ") "
           "AND EXISTS (SELECT 1 FROM people_phonenumber e WHERE e.person_id = p0.id)) n "
           "JOIN people_person p ON p.id = n.person_id "
           "LEFT JOIN (" + area + ") a ON a.code = SUBSTR(n.number, 3, 3) AND SUBSTR(n.number, 1, 2) = '+1' "
           "WHERE NOT EXISTS (SELECT 1 FROM people_contactresult r JOIN people_resultcode rc ON rc.id = r.code_id "
           "WHERE r.person_id = n.person_id AND rc.effect = %s)")
    return sql, [campaign.pk, False, *params, *area_params, ResultCode.Effect.DO_NOT_CONTACT]


def launch(*, actor: User, campaign: TextingCampaign, audience: QuerySet[Person]) -> int:
    """Read the audience into the pool and open the campaign to its texters; how many contacts."""
    with transaction.atomic():
        campaign = TextingCampaign.objects.select_for_update().select_related("group").get(pk=campaign.pk)
        if campaign.status != TextingCampaign.Status.DRAFT:
            raise TextingError(_("This campaign was launched already."))
        problems = launch_problems(campaign)
        if problems:
            raise TextingError(" ".join(problems))
        audience = in_campaign_group(campaign, audience)
        places = audience_mod.source_places(campaign.audience.get("source", "")) if campaign.is_door else None
        if places is not None:
            added = _place_walk(campaign, audience, places)
        else:
            with connection.cursor() as cursor:
                sql, params = _contacts_insert(campaign, audience)
                cursor.execute(sql, params)
                added = cursor.rowcount
        if not added:
            raise TextingError(_("Nobody in this audience has a phone number to call.") if campaign.is_phone else
                               _("Nobody in this audience has a street address.") if campaign.is_door else
                               _("Nobody in this audience has a number that agreed to texts."))
        campaign.contacts = added
        campaign.zones = sorted(set(Conversation.objects.filter(campaign=campaign).order_by()
                                    .values_list("zone", flat=True).distinct()))
        campaign.status = TextingCampaign.Status.LIVE
        campaign.launched_at = timezone.now()
        campaign.save(update_fields=["contacts", "zones", "status", "launched_at"])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Launched the {campaign.get_channel_display()} to {added} contacts")
    return added


def set_paused(*, actor: User, campaign: TextingCampaign, paused: bool) -> TextingCampaign:
    """Pause a live campaign (its texters can send nothing) or go on with a paused one."""
    want, was = ((TextingCampaign.Status.PAUSED, TextingCampaign.Status.LIVE) if paused
                 else (TextingCampaign.Status.LIVE, TextingCampaign.Status.PAUSED))
    if not TextingCampaign.objects.filter(pk=campaign.pk, status=was).update(status=want, updated_at=timezone.now()):
        raise TextingError(_("Only a live campaign can be paused, and only a paused one resumed."))
    campaign.refresh_from_db()
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                 summary="Paused the campaign" if paused else "Resumed the campaign")
    return campaign


# --- canned responses and survey questions -------------------------------------------------------


def add_canned(*, actor: User, campaign: TextingCampaign, title: str, body: str, body_es: str = "") -> CannedResponse:
    if not title.strip() or not body.strip():
        raise TextingError(_("A canned response needs a title and a text."))
    canned = CannedResponse.objects.create(campaign=campaign, title=title.strip()[:80], body=body.strip(),
                                           body_es=body_es.strip())
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                 summary=f"Added the canned response {canned.title}")
    return canned


def parse_choices(text: str) -> list[tuple[str, str, str]]:
    """The answers typed one per line as "answer | tag | next text" (tag and next text optional):
    [(answer, tag, next text)]; TextingError saying which line is wrong."""
    found: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, tag, follow_up = [*(part.strip() for part in line.split("|", 2)), "", ""][:3]
        if not label:
            raise TextingError(_("Line %(n)s has no answer before its first “|”.") % {"n": number})
        if len(label) > 80:
            raise TextingError(_("Line %(n)s: an answer is at most 80 characters.") % {"n": number})
        if tag and not tag_name(tag):
            raise TextingError(_("Line %(n)s: “%(tag)s” cannot be a tag.") % {"n": number, "tag": tag})
        found.append((label, tag, follow_up))
    if len(found) < 2:
        raise TextingError(_("Give at least two answers, one per line."))
    return found


def add_question(*, actor: User, campaign: TextingCampaign, prompt: str, choices: str) -> SurveyQuestion:
    if not prompt.strip():
        raise TextingError(_("Write the question."))
    parsed = parse_choices(choices)
    for _label, _tag, follow_up in parsed:
        check_script(follow_up)
    with transaction.atomic():
        question = SurveyQuestion.objects.create(campaign=campaign, prompt=prompt.strip()[:200],
                                                 order=campaign.questions.count())
        SurveyChoice.objects.bulk_create(SurveyChoice(question=question, label=label, tag=tag, follow_up=follow_up)
                                         for label, tag, follow_up in parsed)
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                     summary=f"Added the survey question {question.prompt}")
    return question


def record_answer(*, texter: Texter, conversation_id: int, choice_id: int) -> SurveyChoice:
    """The texter records a contact's answer: kept on the conversation (the latest per question),
    and the answer's tag put on the person's record."""
    _texts_only(texter)
    _live(texter)
    with transaction.atomic():
        conversation = _held(texter, conversation_id)
        choice = (SurveyChoice.objects.select_related("question")
                  .filter(pk=choice_id, question__campaign_id=texter.campaign_id).first())
        if choice is None:
            raise TextingError(_("That answer is not one of this campaign's."))
        SurveyResponse.objects.update_or_create(conversation=conversation, question=choice.question,
                                                defaults={"choice": choice, "texter": texter, "at": timezone.now()})
        if choice.tag:
            add_tag(person=conversation.person, group=texter.campaign.group, name=choice.tag)
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=conversation.person,
                     group=texter.campaign.group,
                     summary=f"Texter {texter.name} recorded “{choice.label}” to “{choice.question.prompt}”"
                             + (f" and tagged {choice.tag}" if choice.tag else ""))
    return choice


def results(campaign: TextingCampaign) -> list[tuple[SurveyQuestion, list[tuple[SurveyChoice, int]]]]:
    """Each question's answers with how many contacts gave each."""
    counts = dict(SurveyResponse.objects.filter(question__campaign=campaign).order_by().values_list("choice")
                  .annotate(n=Count("pk")))
    return [(question, [(choice, counts.get(choice.pk, 0)) for choice in question.choices.all()])
            for question in campaign.questions.prefetch_related("choices")]


# --- texters -------------------------------------------------------------------------------------


def invite(*, actor: User, campaign: TextingCampaign, days: int = INVITE_DAYS) -> tuple[TexterInvite, str]:
    """A new invitation link's record and its key (shown once: only its hash is kept)."""
    key = secrets.token_urlsafe(24)
    made = TexterInvite.objects.create(campaign=campaign, key_hash=key_hash(key), created_by=actor,
                                       expires_at=timezone.now() + timedelta(days=days))
    audit.record(actor=actor, action=AuditEntry.Action.INVITE, target=campaign, group=campaign.group,
                 summary=f"Made a texter invitation link, good for {days} days")
    return made, key


def revoke(*, actor: User, invitation: TexterInvite) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=invitation.campaign,
                     group=invitation.campaign.group, summary="Revoked a texter invitation link")


def invitation_for(key: str) -> TexterInvite:
    """The invitation behind a link, or TextingError saying why it cannot be used."""
    found = TexterInvite.objects.select_related("campaign__group").filter(key_hash=key_hash(key)).first()
    if found is None:
        raise TextingError(_("This invitation link is not known. Ask the organizer for a new one."))
    if found.revoked_at is not None:
        raise TextingError(_("This invitation link was withdrawn. Ask the organizer for a new one."))
    if found.expires_at <= timezone.now():
        raise TextingError(_("This invitation link has expired. Ask the organizer for a new one."))
    if found.campaign.status == TextingCampaign.Status.FINISHED:
        raise TextingError(_("This texting campaign has finished. Thank you!"))
    return found


def texter_key(texter: Texter) -> str:
    """The key in the texter's own link: made from the row's nonce and the server's secret."""
    digest = salted_hmac(TEXTER_KEY_SALT, f"{texter.public_id}:{texter.nonce}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def texter_url(texter: Texter) -> str:
    return f"{settings.BASE_URL}{reverse('texter_inbox', args=[texter_key(texter)])}"


def join(*, key: str, name: str, email: str = "") -> tuple[Texter, str]:
    """A volunteer joins by an invitation link: their texter record and the key of their own link,
    which is emailed to them when they gave an address."""
    invitation = invitation_for(key)
    campaign = invitation.campaign
    with transaction.atomic():
        texter = Texter(campaign=campaign, name=name.strip()[:100], email=email.strip(), invite=invitation,
                        nonce=secrets.token_hex(16))
        own = texter_key(texter)
        texter.key_hash = key_hash(own)
        texter.save()
        if texter.email:
            if campaign.is_door:
                _email_texter(texter, _("%(group)s: your canvassing link") % {"group": campaign.group.public_name},
                              _("Thank you for knocking doors for %(title)s. Your own link to your turfs (keep it "
                                "private):\n\n%(link)s") % {"title": campaign.title, "link": texter_url(texter)})
            elif campaign.is_phone:
                _email_texter(texter, _("%(group)s: your calling link") % {"group": campaign.group.public_name},
                              _("Thank you for calling for %(title)s. Your own link to your calls (keep it "
                                "private):\n\n%(link)s") % {"title": campaign.title, "link": texter_url(texter)})
            else:
                _email_texter(texter, _("%(group)s: your texting link") % {"group": campaign.group.public_name},
                              _("Thank you for texting for %(title)s. Your own link to your conversations (keep "
                                "it private):\n\n%(link)s") % {"title": campaign.title, "link": texter_url(texter)})
        if campaign.volunteers_act_alone:
            role = "canvasser" if campaign.is_door else "caller"
            audit.record(actor=None, action=AuditEntry.Action.CREATE, target=campaign, group=campaign.group,
                         summary=f"{texter.name} joined as a {role} by an invitation link")
            return texter, own
        texter.message = Message.objects.create(
            group=campaign.group, channel="sms", body=fill_texter(campaign.script, texter.name),
            body_es=fill_texter(campaign.script_es, texter.name), status=Message.Status.SENDING,
            senders=campaign.senders, link=campaign.link,
            topic=f"texting:{campaign.pk}", created_by=campaign.created_by)
        texter.save(update_fields=["message"])
        audit.record(actor=None, action=AuditEntry.Action.CREATE, target=campaign, group=campaign.group,
                     summary=f"{texter.name} joined as a texter by an invitation link")
    return texter, own


def _email_texter(texter: Texter, subject: str, body: str) -> None:
    """An email to a texter once the transaction commits, from the campaign's group."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = formataddr((texter.campaign.group.public_name or name, address))
    transaction.on_commit(lambda: send_mail(subject, body, sender, [texter.email]))


def texter_for(key: str, *, removed_too: bool = False) -> Texter | None:
    """The texter whose own link this is; None for an unknown key, a texter removed or a campaign
    finished (unless `removed_too`: a canvasser's phone still syncs what it recorded before)."""
    found = Texter.objects.select_related("campaign__group", "message").filter(key_hash=key_hash(key))
    if not removed_too:
        found = found.filter(removed_at__isnull=True).exclude(campaign__status=TextingCampaign.Status.FINISHED)
    else:  # for a while only: a phone left in a drawer does not write on records months later
        since = timezone.now() - SYNC_AFTER_CLOSE
        found = found.filter(Q(removed_at__isnull=True) | Q(removed_at__gte=since)).filter(
            ~Q(campaign__status=TextingCampaign.Status.FINISHED) | Q(campaign__updated_at__gte=since))
    texter = found.first()
    if texter is not None and (texter.last_seen_at is None
                               or timezone.now() - texter.last_seen_at > timedelta(seconds=30)):
        texter.last_seen_at = timezone.now()
        Texter.objects.filter(pk=texter.pk).update(last_seen_at=texter.last_seen_at)
    return texter


def closed_reason(key: str) -> str:
    """Why a texter's link no longer opens (removed, or the campaign finished); "" for an unknown key."""
    found = (Texter.objects.filter(key_hash=key_hash(key)).values_list("removed_at", "campaign__status").first())
    if found is None:
        return ""
    if found[0] is not None:
        return _("Your organizer has closed this texting link. Thank you for texting!")
    return _("This texting campaign has finished. Thank you for texting!")


def remove_texter(*, actor: User, texter: Texter) -> int:
    """A texter's link stops working; what they held goes back to the pool. How many conversations."""
    with transaction.atomic():
        Texter.objects.filter(pk=texter.pk).update(removed_at=timezone.now())
        held = Conversation.objects.filter(texter=texter)
        given = held.filter(status=Conversation.Status.ASSIGNED).update(
            status=Conversation.Status.WAITING, texter=None, assigned_at=None)
        given += held.filter(status=Conversation.Status.REPLIED).update(texter=None, assigned_at=None)
        for turf in texter.turfs.select_for_update():  # a canvasser's turfs: nobody's until given again
            turf.canvassers.remove(texter)
            turf.revision += 1
            turf.save(update_fields=["revision", "updated_at"])
        audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=texter.campaign, group=texter.campaign.group,
                     summary=f"Removed the texter {texter.name}; {given} conversations back to the pool")
    return given


def finish(*, actor: User, campaign: TextingCampaign) -> TextingCampaign:
    """The campaign ends: texters' links and invitations stop working, and later replies stay for staff."""
    if not TextingCampaign.objects.filter(pk=campaign.pk).exclude(
            status__in=[TextingCampaign.Status.DRAFT, TextingCampaign.Status.FINISHED]).update(
            status=TextingCampaign.Status.FINISHED, updated_at=timezone.now()):
        raise TextingError(_("Only a live or paused campaign can be finished."))
    campaign.refresh_from_db()
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                 summary="Finished the texting campaign")
    return campaign


# --- the pool ------------------------------------------------------------------------------------


def open_zones(campaign: TextingCampaign, now: Any = None) -> list[str]:
    """The campaign's contacts' zones where a first text may arrive now (quiet hours), or where it
    is a phone bank's calling hours."""
    now = now or timezone.now()
    hours = (quiet_hours.Window(campaign.call_from, campaign.call_until) if campaign.is_phone
             else quiet_hours.window(campaign.group))
    return [zone for zone in campaign.zones if quiet_hours.is_open(now, zone or None, hours)]


def release_unanswered(campaign: TextingCampaign | None = None, now: Any = None) -> int:
    """Conversations held past the campaign's time without being texted, or with a reply left
    unanswered, go back to the pool for another texter; how many."""
    now = now or timezone.now()
    released = 0
    campaigns = [campaign] if campaign else TextingCampaign.objects.filter(status=TextingCampaign.Status.LIVE)
    for each in campaigns:
        cutoff = now - timedelta(minutes=each.reassign_after)
        held = Conversation.objects.filter(campaign=each, texter__isnull=False)
        released += held.filter(status=Conversation.Status.ASSIGNED, assigned_at__lt=cutoff).update(
            status=Conversation.Status.WAITING, texter=None, assigned_at=None)
        if each.is_phone:
            continue  # a phone bank's contacts send no replies
        # A reply waiting past the time, held by a texter who has had it that long (not one who
        # has just taken it from the pool, or been handed it by a supervisor).
        released += held.filter(status=Conversation.Status.REPLIED, replied_at__lt=cutoff,
                                assigned_at__lt=cutoff).update(texter=None, assigned_at=None)
    return released


def take_batch(*, texter: Texter, size: int, now: Any = None) -> int:
    """Hand the texter up to `size` contacts at once, whatever the campaign's size: replies left
    by another texter first, then contacts waiting where it is not quiet hours. One set-based
    claim each; texters asking at the same moment get different contacts. How many they got."""
    _live(texter)
    campaign = texter.campaign
    if campaign.is_door:
        raise TextingError(_("Your organizer gives you turfs to walk; download them on this page."))
    if not campaign.is_phone:
        _not_capped(campaign)
    size = max(1, min(int(size), MAX_BATCH))
    now = now or timezone.now()
    release_unanswered(campaign, now)
    if campaign.is_phone:
        return _take_call(texter, now)
    taken = _claim(texter, size, now, status=Conversation.Status.REPLIED, zones=None)
    zones = open_zones(campaign, now)
    if taken < size and zones:
        taken += _claim(texter, size - taken, now, status=Conversation.Status.WAITING, zones=zones)
    return taken


def _claim(texter: Texter, size: int, now: Any, *, status: str, zones: list[str] | None) -> int:
    table = Conversation._meta.db_table
    where = "campaign_id = %s AND status = %s AND texter_id IS NULL"
    params: list[Any] = [texter.campaign_id, status]
    if texter.campaign.is_phone:  # not home: called again only after a while
        where += " AND (retry_at IS NULL OR retry_at <= %s)"
        params.append(now)
    if zones is not None:
        where += f" AND zone IN ({', '.join(['%s'] * len(zones))})"
        params += zones
    # PostgreSQL: texters asking together each skip the rows another has locked. SQLite has one
    # writer at a time, so the statement is atomic as it stands.
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    new_status = Conversation.Status.ASSIGNED if status == Conversation.Status.WAITING else status
    sql = (f"UPDATE {table} SET texter_id = %s, status = %s, assigned_at = %s "  # noqa: S608
           f"WHERE id IN (SELECT id FROM {table} WHERE {where} LIMIT %s{lock})")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [texter.pk, new_status, now, *params, size])
        return cursor.rowcount


# --- phone banks ---------------------------------------------------------------------------------

# A contact not home (or given a message) is called again after this long, up to this many calls.
CALL_AGAIN_AFTER = timedelta(hours=3)
MAX_CALLS = 3
CALL_AGAIN_CODES = ("not_home", "left_message")
# Bridged calls: one ask per caller in this many seconds, this many rings of one contact a day.
BRIDGE_EVERY = 10
MAX_BRIDGES = 3


def current_call(texter: Texter) -> Conversation | None:
    """The contact a caller holds now, if any (a caller holds one at a time)."""
    return (Conversation.objects.select_related("person")
            .filter(texter=texter, status=Conversation.Status.ASSIGNED).order_by("pk").first())


def callable_count(audience: QuerySet[Person], *, doors: bool = False, source: str = "") -> int:
    """How many of an audience a phone bank would call (those with a number) or a door-knocking
    campaign visit (those with an address, or every worker of a roster walked at work), none whom a
    result says not to contact (as `_calls_insert`, `_doors_insert` and `_place_walk` read them)."""
    places = audience_mod.source_places(source) if doors else None
    if places is not None:
        reachable = audience.filter(pk__in=list(places))
    elif doors:
        reachable = audience.exclude(address_line1="")
    else:
        reachable = audience.filter(phones__isnull=False)
    return reachable.exclude(contact_results__code__effect=ResultCode.Effect.DO_NOT_CONTACT).distinct().count()


def _take_call(texter: Texter, now: Any) -> int:
    """Hand the caller the next contact where it is calling hours, unless they hold one already;
    the number they now see is an audited read."""
    with transaction.atomic():
        # The caller's row locked: two presses at once (two tabs, a double click) hand out one contact.
        Texter.objects.select_for_update().filter(pk=texter.pk).first()
        if current_call(texter) is not None:
            return 0
        zones = open_zones(texter.campaign, now)
        if not zones or not _claim(texter, 1, now, status=Conversation.Status.WAITING, zones=zones):
            return 0
    held = current_call(texter)
    if held is not None:
        given = ("was given this person to call through Turnout (the number hidden)" if texter.campaign.bridged
                 else "was given this person's number to call")
        audit.record(actor=None, action=AuditEntry.Action.VIEW, target=held.person, group=texter.campaign.group,
                     summary=f"Caller {texter.name} {given}",
                     detail={"caller": str(texter.public_id), "campaign": str(texter.campaign.public_id)})
    return 1


def call_number(conversation: Conversation) -> str:
    """The number a caller dials: the person's primary, else their first."""
    return conversation.person.phones.values_list("number", flat=True).first() or ""


def save_call(*, texter: Texter, conversation_id: int, code_id: int | None, choice_ids: list[int]) -> Conversation:
    """The caller's result for the contact they hold, with the survey's answers, written on the
    person's record at once; a code with an effect holds across every channel (`messaging.results`).
    Not home, or a message left, puts the contact back in the pool to call later (up to MAX_CALLS).
    A call made before the campaign was paused is still recorded."""
    campaign = texter.campaign
    _calls_only(texter)
    code = next((c for c in contact_results.codes_for(campaign.group) if c.pk == code_id), None)
    if code is None:
        raise TextingError(_("Choose how the call went."))
    choices = list(SurveyChoice.objects.select_related("question")
                   .filter(pk__in=choice_ids, question__campaign_id=campaign.pk))
    if len(choices) != len(set(choice_ids)) or len({c.question_id for c in choices}) != len(choices):
        raise TextingError(_("Choose one answer for each question, among those listed."))
    now = timezone.now()
    with transaction.atomic():
        conversation = _held(texter, conversation_id, Conversation.Status.ASSIGNED)
        person = conversation.person
        for choice in choices:
            SurveyResponse.objects.update_or_create(conversation=conversation, question=choice.question,
                                                    defaults={"choice": choice, "texter": texter, "at": now})
            if choice.tag:
                add_tag(person=person, group=campaign.group, name=choice.tag)
        contact_results.record(person=person, group=campaign.group, code=code, channel="call",
                               source=f"calling:{campaign.pk}:{conversation.pk}", source_label=campaign.title,
                               by=texter.name, number=call_number(conversation))
        conversation.result, conversation.sent_at = code, now
        conversation.attempts += 1
        if code.group_id is None and code.key in CALL_AGAIN_CODES and conversation.attempts < MAX_CALLS:
            conversation.status, conversation.texter, conversation.assigned_at = Conversation.Status.WAITING, None, None
            conversation.retry_at = now + CALL_AGAIN_AFTER
        else:
            conversation.status = Conversation.Status.OPTED_OUT if code.effect else Conversation.Status.ANSWERED
            conversation.retry_at = None
        conversation.save(update_fields=["result", "sent_at", "attempts", "status", "texter", "assigned_at",
                                         "retry_at"])
        Texter.objects.filter(pk=texter.pk).update(calls=F("calls") + 1)
        answered = "; ".join(f"“{c.label}” to “{c.question.prompt}”" for c in choices)
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=person, group=campaign.group,
                     summary=f"Caller {texter.name} recorded the result “{code.label}”"
                             + (f" and {answered}" if answered else ""),
                     detail={"caller": str(texter.public_id), "campaign": str(campaign.public_id)})
    return conversation


def bridge_call(*, texter: Texter, conversation_id: int, phone: str) -> str:
    """Connect the caller's own phone (`phone`, as they typed it) to the contact they hold through
    Twilio: Turnout rings them, then the contact, and neither sees the other's number. The number
    Turnout rings, formatted; TextingError when the phone cannot be called or Twilio refuses."""
    _calls_only(texter)
    _live(texter)
    if not texter.campaign.bridged:
        raise TextingError(_("This phone bank's calls are made from your own phone."))
    try:
        own, _kind = normalize_phone(phone)
    except InvalidContact as exc:
        raise TextingError(str(exc)) from None
    if not own.startswith("+1"):
        raise TextingError(_("Turnout connects calls to phone numbers in the US and Canada only."))
    if not cache.add(f"turnout:calling:bridge:{texter.public_id}", 1, BRIDGE_EVERY):
        raise TextingError(_("A call is being connected; wait a few seconds before asking again."))
    with transaction.atomic():
        conversation = _held(texter, conversation_id, Conversation.Status.ASSIGNED)
        member = call_number(conversation)
        rings = f"turnout:calling:bridged:{texter.campaign.public_id}:{conversation.pk}"
        cache.add(rings, 0, 24 * 3600)
        if cache.incr(rings) > MAX_BRIDGES:
            raise TextingError(_("This person has been rung %(n)s times today; choose how it went.")
                               % {"n": MAX_BRIDGES})
        conversation.assigned_at = timezone.now()  # on the phone: the hold starts again
        conversation.save(update_fields=["assigned_at"])
    if not member:
        raise TextingError(_("This person no longer has a number. Choose “Wrong number” or hand them back."))
    name = conversation.person.preferred_name or conversation.person.given_name
    try:
        sid = voice.bridge(volunteer=own, member=member,
                           greeting=_("Connecting you to %(name)s.") % {"name": name} if name else
                           _("Connecting you now."))
    except voice.VoiceError as exc:
        raise TextingError(_("The call could not be placed (%(reason)s). Try again in a moment.")
                           % {"reason": exc}) from None
    audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=conversation.person,
                 group=texter.campaign.group, summary=f"Caller {texter.name} was connected through Turnout",
                 detail={"caller": str(texter.public_id), "call": sid})
    return format_phone(own)


def give_back(*, texter: Texter, conversation_id: int) -> None:
    """The caller hands the contact they hold back to the pool, uncalled (they could not call now)."""
    _calls_only(texter)
    with transaction.atomic():
        conversation = _held(texter, conversation_id, Conversation.Status.ASSIGNED)
        conversation.status, conversation.texter, conversation.assigned_at = Conversation.Status.WAITING, None, None
        conversation.save(update_fields=["status", "texter", "assigned_at"])


# --- sending -------------------------------------------------------------------------------------


def whole(value: Any) -> int | None:
    """A record id as typed into a form or a URL: None unless plain digits of a size ids have."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else None


def _held(texter: Texter, conversation_id: int, *statuses: str) -> Conversation:
    """The texter's own conversation, locked, or TextingError when it is no longer theirs."""
    if whole(conversation_id) is None:
        raise TextingError(_("This conversation is no longer yours: it went back to the pool or to another "
                             "texter."))
    found = (Conversation.objects.select_for_update(of=("self",)).select_related("person")
             .filter(pk=conversation_id, texter=texter).first())
    if found is None:
        raise TextingError(_("This conversation is no longer yours: it went back to the pool or to another "
                             "texter."))
    if statuses and found.status not in statuses:
        raise TextingError(_("This conversation is %(status)s; nothing was sent.")
                           % {"status": found.get_status_display()})
    return found


def _not_capped(campaign: TextingCampaign) -> None:
    """Refuse while every number the campaign texts from has sent its daily cap: a text clicked
    now would wait until tomorrow, long after the texter (and maybe the event) has moved on."""
    if pacing.capped_today(campaign.senders):
        raise TextingError(_("This campaign's numbers have sent all the texts they may send today. Please come back "
                             "tomorrow."))


def _calls_only(texter: Texter) -> None:
    """Refuse a caller's act anywhere but in a phone bank."""
    if not texter.campaign.is_phone:
        raise TextingError(_("This campaign makes no calls."))


def _texts_only(texter: Texter) -> None:
    """Refuse a texting act on a phone bank or a door-knocking campaign: they send no texts."""
    if texter.campaign.volunteers_act_alone:
        raise TextingError(_("This campaign sends no texts."))


def _live(texter: Texter) -> None:
    """Refuse while the campaign is not live, as it is now (a supervisor may have just paused it)."""
    status = TextingCampaign.objects.filter(pk=texter.campaign_id).values_list("status", flat=True).first()
    texter.campaign.status = status or texter.campaign.status
    if status != TextingCampaign.Status.LIVE:
        raise TextingError(_("This campaign is paused. Your organizer will tell you when it goes on."))


def send_first(*, texter: Texter, conversation_id: int) -> ConversationText:
    """The texter's click on one contact: the first text goes to that contact alone, once.

    It is one delivery of the texter's own message, so the outbox applies consent, quiet hours,
    pacing and its crash rules as to any text, and never makes a second delivery for the contact."""
    _texts_only(texter)
    _live(texter)
    _not_capped(texter.campaign)
    with transaction.atomic():
        conversation = _held(texter, conversation_id, Conversation.Status.ASSIGNED)
        message = texter.message
        assert message is not None
        if texter.campaign.event_id is None and (merge.uses_links(message.body) or merge.uses_links(message.body_es)):
            raise TextingError(_("The event this campaign's texts link to has been removed; ask your organizer."))
        person = conversation.person
        sending.send_more(message=message, audience=Person.objects.filter(pk=person.pk), dispatch=False)
        _ask_dispatch()
        delivery = Delivery.objects.filter(message=message, person=person, channel="sms").first()
        if delivery is None or delivery.status == Delivery.Status.SUPPRESSED:
            conversation.status = Conversation.Status.OPTED_OUT
            conversation.save(update_fields=["status"])
            raise TextingError(_("%(name)s can no longer be texted (opted out, or no number); skipped.")
                               % {"name": person.given_name or _("This contact")})
        conversation.status, conversation.sent_at = Conversation.Status.SENT, timezone.now()
        conversation.save(update_fields=["status", "sent_at"])
        text = ConversationText.objects.create(conversation=conversation, direction=ConversationText.Direction.OUT,
                                               body=outbox.render(message, person), texter=texter,
                                               delivery=delivery)
        audit.record(actor=None, action=AuditEntry.Action.CREATE, target=person, group=texter.campaign.group,
                     summary=f"Texter {texter.name} sent the first text of {texter.campaign.title}",
                     detail={"texter": str(texter.public_id), "campaign": str(texter.campaign.public_id)})
    return text


def send_reply(*, texter: Texter, conversation_id: int, body: str) -> ConversationText:
    """The texter answers a reply in their conversation."""
    body = body.strip()
    if not body:
        raise TextingError(_("Write a reply first."))
    _texts_only(texter)
    _live(texter)
    with transaction.atomic():
        # Only an answer to the contact's own latest text: a texter cannot send more to someone who
        # has not written back, and an answer goes through quiet hours because they just wrote.
        conversation = _held(texter, conversation_id, Conversation.Status.REPLIED)
        if not optouts.sendable(channel="sms", pairs=_pairs(conversation)):
            conversation.status = Conversation.Status.OPTED_OUT
            conversation.save(update_fields=["status"])
            raise TextingError(_("This contact has opted out; nothing was sent."))
        message = sending.text_in_conversation(group=texter.campaign.group, person=conversation.person, body=body,
                                               senders=texter.campaign.senders,
                                               reason="a reply in a texting conversation the person answered",
                                               topic=f"texting:{texter.campaign_id}:reply", dispatch=False)
        _ask_dispatch()
        conversation.status, conversation.answered_at = Conversation.Status.ANSWERED, timezone.now()
        conversation.save(update_fields=["status", "answered_at"])
        delivery = Delivery.objects.filter(message=message).first()
        text = ConversationText.objects.create(conversation=conversation, direction=ConversationText.Direction.OUT,
                                               body=body, texter=texter, delivery=delivery)
        audit.record(actor=None, action=AuditEntry.Action.CREATE, target=conversation.person,
                     group=texter.campaign.group, summary=f"Texter {texter.name} replied by text",
                     detail={"texter": str(texter.public_id), "campaign": str(texter.campaign.public_id)})
    return text


def _ask_dispatch() -> None:
    """Once the caller commits, ask for a run of `dispatch_waiting` (at most one a second)."""
    from turnout.texting.tasks import dispatch_texts  # the tasks module imports this one

    batching.ask_on_commit(dispatch_texts, DISPATCH_ASKED_KEY, stamped=True)


def dispatch_waiting() -> int:
    """Send what texters have sent (first texts and replies) that waits in the outbox, each message
    by the outbox's rules; how many messages had texts waiting. Texters' messages are named by
    their topic, `texting:<campaign>` and `texting:<campaign>:reply`, and only those still sending
    are read (an index holds just those)."""
    campaigns = list(TextingCampaign.objects.exclude(status__in=[TextingCampaign.Status.DRAFT,
                                                                  TextingCampaign.Status.FINISHED])
                     .values_list("pk", flat=True))
    if not campaigns:
        return 0
    topics = [topic for pk in campaigns for topic in (f"texting:{pk}", f"texting:{pk}:reply")]
    ids = list(Message.objects.filter(status=Message.Status.SENDING, topic__in=topics)
               .filter(Exists(Delivery.objects.filter(message=OuterRef("pk"), status=Delivery.Status.QUEUED).filter(
                   Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))))
               .order_by("pk").values_list("pk", flat=True))
    if ids:
        sending.dispatch_many(message_ids=ids)
    return len(ids)


def _pairs(conversation: Conversation) -> list[tuple[int, str]]:
    return [(conversation.person_id, number) for number in conversation.person.phones.values_list("number", flat=True)]


def opt_out(*, texter: Texter, conversation_id: int) -> Conversation:
    """The texter's opt-out button: the contact's numbers leave every campaign and every blast."""
    _texts_only(texter)
    with transaction.atomic():
        conversation = _held(texter, conversation_id)
        for _person, number in _pairs(conversation):
            optouts.opt_out(channel="sms", address=number, source=ConsentEvent.Source.TEXTING,
                            detail=f"texting:{texter.campaign_id}",
                            why="opted out", person_id=conversation.person_id,
                            text=f"Opted out in a texting conversation by texter {texter.name}")
        conversation.status = Conversation.Status.OPTED_OUT
        conversation.save(update_fields=["status"])
    return conversation


def record_result(*, texter: Texter, conversation_id: int, code_id: int) -> Conversation:
    """The texter's result for a conversation (talked, wrong number, do not contact, or one of the
    group's own codes), written on the person's record; a code with an effect holds across every
    channel (`messaging.results`), and the conversation is then over."""
    _texts_only(texter)
    _live(texter)
    campaign = texter.campaign
    code = next((c for c in contact_results.codes_for(campaign.group) if c.pk == code_id), None)
    if code is None:
        raise TextingError(_("Choose one of the results listed."))
    with transaction.atomic():
        # A contact attempt's result: only once the first text went out.
        conversation = _held(texter, conversation_id, Conversation.Status.SENT, Conversation.Status.REPLIED,
                             Conversation.Status.ANSWERED)
        tried = (ConversationText.objects.filter(conversation=conversation, delivery__isnull=False)
                 .order_by("pk").values_list("delivery__address", flat=True).first())
        contact_results.record(person=conversation.person, group=campaign.group, code=code, channel="sms",
                       source=f"texting:{campaign.pk}:{conversation.pk}", source_label=campaign.title, by=texter.name,
                       number=tried or "")
        conversation.result = code
        if code.effect:
            conversation.status = Conversation.Status.OPTED_OUT
        conversation.save(update_fields=["result", "status"])
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=conversation.person, group=campaign.group,
                     summary=f"Texter {texter.name} recorded the result “{code.label}”",
                     detail={"texter": str(texter.public_id), "campaign": str(campaign.public_id)})
    return conversation


def result_counts(campaign: TextingCampaign) -> list[tuple[ResultCode, int]]:
    """Each result code texters may record, with how many of the campaign's conversations have it."""
    counted = dict(Conversation.objects.filter(campaign=campaign, result__isnull=False).values_list("result")
                   .annotate(n=Count("pk")).values_list("result", "n"))
    return [(code, counted.get(code.pk, 0)) for code in contact_results.codes_for(campaign.group)]


def add_result_code(*, actor: User, campaign: TextingCampaign, label: str) -> ResultCode:
    """A result code of the campaign's group's own, offered to its texters beside Turnout's."""
    label = label.strip()[:100]
    if not label:
        raise TextingError(_("Name the result."))
    key = slugify(label).replace("-", "_")[:40] or "result"
    if ResultCode.objects.filter(Q(group=campaign.group) | Q(group__isnull=True), key=key).exists():
        raise TextingError(_("There is already a result called “%(label)s”.") % {"label": label})
    try:
        with transaction.atomic():
            code = ResultCode.objects.create(group=campaign.group, key=key, label=label)
    except IntegrityError:  # the same result added at the same moment by someone else
        raise TextingError(_("There is already a result called “%(label)s”.") % {"label": label}) from None
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, target=campaign, group=campaign.group,
                 summary=f"Added the result code {label}")
    return code


def flag(*, texter: Texter, conversation_id: int, reason: str) -> Conversation:
    """The texter asks a supervisor to look at a conversation (an abusive reply, a question they
    cannot answer)."""
    _texts_only(texter)
    _live(texter)
    with transaction.atomic():
        conversation = _held(texter, conversation_id)
        conversation.flagged, conversation.flag_reason = True, reason.strip()[:200]
        conversation.save(update_fields=["flagged", "flag_reason"])
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=conversation.person,
                     group=texter.campaign.group, summary=f"Texter {texter.name} flagged the conversation for review")
    return conversation


def review(*, actor: User, conversation: Conversation, note: str, resolved: bool) -> Conversation:
    """A supervisor's note to the texter on a conversation, and whether the flag is dealt with."""
    conversation.note = note.strip()
    if resolved:
        conversation.flagged = False
    conversation.save(update_fields=["note", "flagged"])
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=conversation.person,
                 group=conversation.campaign.group,
                 summary="Reviewed a texting conversation" + (" and cleared its flag" if resolved else ""))
    return conversation


def receive(inbound: Any) -> bool:
    """A reply from a contact lands in their conversation when the latest text Turnout sent to their
    number was that conversation's, in the last REPLY_WINDOW, and the campaign goes on; it then
    needs an answer. Else (a reply to a blast, an activation's question, a campaign long over)
    False: it stays for staff."""
    latest = (Delivery.objects.filter(channel="sms", address=inbound.from_number, sent_at__isnull=False)
              .order_by("-sent_at", "-pk").values_list("message__topic", "sent_at").first())
    if latest is None or latest[1] is None or latest[1] < timezone.now() - REPLY_WINDOW \
            or not latest[0].startswith("texting:"):
        return False
    campaign_id = latest[0].split(":")[1]
    conversation = (Conversation.objects.select_for_update(of=("self",))
                    .filter(person_id=inbound.person_id, campaign_id=int(campaign_id) if campaign_id.isdigit() else 0,
                            sent_at__isnull=False)
                    .exclude(campaign__status=TextingCampaign.Status.FINISHED).first())
    if conversation is None:
        return False
    ConversationText.objects.create(conversation=conversation, direction=ConversationText.Direction.IN,
                                    body=inbound.body, inbound=inbound, at=inbound.received_at)
    if conversation.texter_id is not None:
        _alert_if_away(conversation.texter_id)
    if conversation.status != Conversation.Status.OPTED_OUT:
        conversation.status = Conversation.Status.REPLIED
    conversation.replied_at = timezone.now()
    conversation.first_reply_at = conversation.first_reply_at or conversation.replied_at
    conversation.save(update_fields=["status", "replied_at", "first_reply_at"])
    return True


def _alert_if_away(texter_id: int) -> None:
    """Email a texter who is away (no page open for a while) that a reply waits, with their link;
    once in a while at most, however many replies come."""
    now = timezone.now()
    texter = Texter.objects.select_related("campaign__group").filter(pk=texter_id, removed_at__isnull=True).first()
    if texter is None or not texter.email:
        return
    if texter.last_seen_at is not None and now - texter.last_seen_at < AWAY_AFTER:
        return
    if texter.alerted_at is not None and now - texter.alerted_at < ALERT_EVERY:
        return
    # Claimed in one statement: two replies offered at once send one alert.
    if not Texter.objects.filter(pk=texter.pk, alerted_at=texter.alerted_at).update(alerted_at=now):
        return
    _email_texter(texter, _("%(group)s: a reply is waiting for you") % {"group": texter.campaign.group.public_name},
                  _("Someone you texted for %(title)s has replied. Answer them here:\n\n%(link)s")
                  % {"title": texter.campaign.title, "link": texter_url(texter)})


# --- supervisors ---------------------------------------------------------------------------------


def reassign(*, actor: User, campaign: TextingCampaign, conversation_ids: list[int], to: Texter | None) -> int:
    """Move conversations to another texter of the campaign, or back to the pool (`to` None)."""
    if campaign.is_door:
        raise TextingError(_("A door-knocking campaign's contacts move with their turf: give the turf to "
                             "someone else."))
    if to is not None and to.campaign_id != campaign.pk:
        raise TextingError(_("That texter is not on this campaign."))
    chosen = Conversation.objects.filter(campaign=campaign, pk__in=conversation_ids).exclude(
        status=Conversation.Status.OPTED_OUT)
    now = timezone.now()
    moved = (chosen.filter(status=Conversation.Status.ASSIGNED).update(
        texter=to, assigned_at=now if to else None, status=Conversation.Status.ASSIGNED if to else
        Conversation.Status.WAITING)
        + chosen.exclude(status__in=[Conversation.Status.ASSIGNED, Conversation.Status.WAITING]).update(
            texter=to, assigned_at=now if to else None)
        + (chosen.filter(status=Conversation.Status.WAITING).update(
            texter=to, assigned_at=now, status=Conversation.Status.ASSIGNED) if to else 0))
    audit.record(actor=actor, action=AuditEntry.Action.CHANGE, target=campaign, group=campaign.group,
                 summary=f"Reassigned {moved} conversations to {to.name if to else 'the pool'}")
    return moved


def board(campaign: TextingCampaign, *, medians: bool = True) -> dict[str, Any]:
    """The campaign's live figures: one pass over its conversations, one over its texters (the board
    asks every few seconds for each supervisor watching); with `medians`, the median waits, read
    afresh at most every MEDIANS_EVERY seconds."""
    status = Conversation.Status

    def counted(**condition: Any) -> Count:
        return Count("pk", filter=Q(**condition))

    figures = Conversation.objects.filter(campaign=campaign).aggregate(
        contacts=Count("pk"), waiting=counted(status=status.WAITING), assigned=counted(status=status.ASSIGNED),
        sent=counted(sent_at__isnull=False), replied=counted(replied_at__isnull=False),
        needs_reply=counted(status=status.REPLIED),
        unassigned_replies=counted(status=status.REPLIED, texter__isnull=True),
        opted_out=counted(status=status.OPTED_OUT), flagged=counted(flagged=True),
        call_again=counted(status=status.WAITING, retry_at__isnull=False),
        reached=counted(result__key="talked", result__group__isnull=True))
    figures.update(Texter.objects.filter(campaign=campaign, removed_at__isnull=True).aggregate(
        texters=Count("pk"), online=counted(last_seen_at__gte=timezone.now() - timedelta(minutes=2))))
    figures["response_rate"] = round(100 * figures["replied"] / figures["sent"]) if figures["sent"] else 0
    if campaign.is_door:
        figures.update(Conversation.objects.filter(campaign=campaign).aggregate(
            households=Count("household", distinct=True),
            knocked=Count("household", filter=Q(result__isnull=False), distinct=True)))
    if medians and not campaign.is_phone:
        figures.update(cache.get_or_set(f"turnout:texting:medians:{campaign.public_id}", lambda: _median_waits(campaign),
                                        MEDIANS_EVERY) or {})
    return figures


class _Median(Aggregate):
    """PostgreSQL's median of an interval (`percentile_cont`), nulls left out."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


MEDIAN_SAMPLE = 10_000  # where the database has no median: the latest this many conversations
MEDIANS_EVERY = 30  # seconds: a median over a whole campaign is read no more often, however many watch


def _median_waits(campaign: TextingCampaign) -> dict[str, timedelta | None]:
    """How long contacts take to reply to their first text, and texters to answer a reply (the
    latest answer after the latest reply): medians, or None before there is any."""
    spans = {"reply_wait": ("sent_at", "first_reply_at"), "answer_wait": ("replied_at", "answered_at")}
    rows = Conversation.objects.filter(campaign=campaign)
    if connection.vendor == "postgresql":
        found = rows.aggregate(**{name: _Median(ExpressionWrapper(F(end) - F(start), output_field=DurationField()),
                                                filter=Q(**{f"{end}__gte": F(start)}))
                                  for name, (start, end) in spans.items()})
        return {name: found[name] for name in spans}
    medians: dict[str, timedelta | None] = {}
    for name, (start, end) in spans.items():
        waits = sorted(b - a for a, b in rows.filter(**{f"{end}__gte": F(start)}).order_by("-pk")
                       .values_list(start, end)[:MEDIAN_SAMPLE])
        medians[name] = waits[len(waits) // 2] if waits else None
    return medians


def export_results(*, actor: User, campaign: TextingCampaign, out: Any) -> int:
    """Each conversation's outcome and survey answers as CSV, with the person's id to match their
    record (import-compatible: the People export's "id"); the export is audited. How many rows."""
    writer = csv_writer(out)
    questions = list(campaign.questions.all())
    writer.writerow(["id", "first_name", "status", "texter", "sent_at", "replied_at", "flagged", "result",
                     *[question.prompt for question in questions]])
    answers: dict[int, dict[int, str]] = {}
    for conversation_id, question_id, label in (SurveyResponse.objects.filter(question__campaign=campaign)
                                                .values_list("conversation_id", "question_id", "choice__label")):
        answers.setdefault(conversation_id, {})[question_id] = label
    rows = 0
    chosen = (Conversation.objects.filter(campaign=campaign).select_related("person", "texter", "result")
              .order_by("pk"))
    # A door's canvasser: whoever recorded its latest result written on the record.
    knocked = dict(DoorResult.objects.filter(conversation__campaign=campaign, flagged=False)
                   .order_by("conversation_id", "recorded_at").values_list("conversation_id", "texter__name"))
    for conversation in chosen.iterator(chunk_size=2000):
        mine = answers.get(conversation.pk, {})
        writer.writerow([conversation.person.public_id, conversation.person.given_name, conversation.status,
                         conversation.texter.name if conversation.texter else knocked.get(conversation.pk) or "",
                         conversation.sent_at.isoformat() if conversation.sent_at else "",
                         conversation.replied_at.isoformat() if conversation.replied_at else "",
                         "yes" if conversation.flagged else "",
                         conversation.result.display if conversation.result else "",
                         *[mine.get(q.pk, "") for q in questions]])
        rows += 1
    audit.record(actor=actor, action=AuditEntry.Action.EXPORT, target=campaign, group=campaign.group,
                 summary=f"Exported the results of {rows} texting conversations")
    return rows


def texters_with_counts(campaign: TextingCampaign) -> QuerySet[Texter]:
    return Texter.objects.filter(campaign=campaign).annotate(
        held=Count("conversations", filter=Q(conversations__status__in=["assigned", "replied"])),
        texted=Count("conversations", filter=Q(conversations__sent_at__isnull=False))).order_by("name")
