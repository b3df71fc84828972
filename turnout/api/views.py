"""People, tags, lists, the entry point and metadata, as Action Network's v2 API shapes them.
Reads go through `visible_to`, writes through people.services; the frame (auth, paging, errors)
is in hal.py, and the route table that serves these handlers in routes.py."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse

from turnout.accounts.models import Role
from turnout.api import inputs, lookup, odata, serializers
from turnout.api.hal import (
    PREFIX,
    ApiError,
    Call,
    collection,
    curies,
    empty_collection,
    get_by_public_id,
    json_response,
    link,
)
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.people import services
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import (
    EmailAddress,
    ListItem,
    Membership,
    Person,
    PersonList,
    PhoneNumber,
    Tag,
    Tagging,
)

DATES = {"created_date": odata.when("created_at"), "modified_date": odata.when("updated_at")}


def _identifier(op: str, value: str) -> Q:
    value = value[len(PREFIX):] if value.startswith(PREFIX) else value
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        return Q(pk__in=[]) if op == "eq" else Q()
    return Q(public_id=public_id) if op == "eq" else ~Q(public_id=public_id)


def _contact(model: type[EmailAddress] | type[PhoneNumber], column: str, normalize: Any) -> odata.Condition:
    def condition(op: str, value: str) -> Q:
        if op not in ("eq", "ne"):
            raise odata.FilterError(f"{'email_address' if model is EmailAddress else 'phone_number'} "
                                    "can only be compared with eq or ne.")
        try:
            normalized = normalize(value)
        except InvalidContact:
            return Q(pk__in=[]) if op == "eq" else Q()
        found = Exists(model.objects.filter(person=OuterRef("pk"), **{column: normalized}))
        return Q(found) if op == "eq" else ~Q(found)

    return condition


PEOPLE_FILTERS: dict[str, odata.Condition] = {
    "identifier": _identifier,
    "email_address": _contact(EmailAddress, "address", normalize_email),
    "phone_number": _contact(PhoneNumber, "number", lambda v: normalize_phone(v)[0]),
    "given_name": odata.text("given_name"),
    "family_name": odata.text("family_name"),
    "region": odata.text("region"),
    "postal_code": odata.text("postal_code"),
    **DATES,
}
TAG_FILTERS = {"created_date": odata.when("created_at"), "modified_date": odata.when("created_at")}


# Every resource reads people through lookup; the short names are this module's own.
_people = lookup.visible_people
_person = lookup.visible_person


# Entry point and metadata --------------------------------------------------------------


def entry_point(call: Call) -> dict[str, Any]:
    base = call.base
    collections = ["people", "tags", "lists", "messages", "events", "forms", "petitions", "donations", "fundraising_pages", "advocacy_campaigns",
                   "outreaches", "campaigns", "queries", "wrappers"]
    links: dict[str, Any] = {"self": link(base)}
    links.update({f"osdi:{name}": link(base + name) for name in collections})
    links["osdi:person_signup_helper"] = link(base + "people")
    links["action_network:event_campaigns"] = link(base + "event_campaigns")
    links["action_network:metadata"] = link(base + "metadata")
    links["docs"] = link(base + "openapi.json")
    links["curies"] = curies(base)
    return {
        "motd": f"Turnout API for {call.group.name}. Documentation: {base}docs",
        "vendor_name": "Turnout",
        "product_name": "Turnout",
        "osdi_version": "1.1.1",
        "max_pagesize": 25,
        "namespace": "action_network",
        "_links": links,
    }


def metadata(call: Call) -> dict[str, Any]:
    return {
        "name": call.group.name,
        "_links": {
            "self": link(call.url("metadata")),
            "osdi:custom_fields": link(call.url("metadata/custom_fields")),
            "curies": curies(call.base),
        },
    }


def custom_fields(call: Call) -> dict[str, Any]:
    """The custom field names in use on the people this token can see."""
    visible_sql, params = _people(call).values("custom_fields").query.sql_with_params()
    if connection.vendor == "postgresql":
        sql = (f"SELECT DISTINCT jsonb_object_keys(t.custom_fields) AS name FROM ({visible_sql}) t "  # noqa: S608
               "ORDER BY 1 LIMIT 1000")
    else:
        sql = (f"SELECT DISTINCT j.key FROM ({visible_sql}) t, json_each(t.custom_fields) j "  # noqa: S608
               "ORDER BY 1 LIMIT 1000")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [row[0] for row in cursor.fetchall()]
    return {
        "action_network:custom_fields": [{"name": name, "notes": ""} for name in names],
        "_links": {"self": link(call.url("metadata/custom_fields")), "curies": curies(call.base)},
    }


# People ----------------------------------------------------------------------------------


def people_list(call: Call) -> dict[str, Any]:
    page = collection(call, queryset=_people(call), key="osdi:people", path="people",
                      serialize=lambda p: serializers.person(p, call.base), filters=PEOPLE_FILTERS,
                      prefetch=lambda people: lookup.prefetch_people(call, people))
    if page["page"] == 1:
        # Paging through people takes them out of Turnout like an export: one entry per walk.
        text = audit.filtered(call.request.GET.get("filter", ""))
        audit.record(actor=call.user, action=AuditEntry.Action.EXPORT, request=call.request, group=call.group,
                     summary=f"Read {page['total_records']} people through the API (token “{call.token.name}”"
                             + (f", filter {text[:150]}" if text else "") + ")")
    return page


def person_signup(call: Call) -> HttpResponse | dict[str, Any]:
    """The person signup helper: match by email then phone, update or add, tag, untag."""
    person, created = signup(call)
    person = lookup.person_for_answer(call, person.pk)
    return json_response(serializers.person(person, call.base), status=201 if created else 200)


def signup(call: Call, arguments: dict[str, Any] | None = None) -> tuple[Person, bool]:
    """Apply the signup helper's body (`{"person": {...}, "add_tags", "remove_tags"}`), or the
    `signup_arguments` already read from it: (person, created)."""
    arguments = signup_arguments(call) if arguments is None else arguments
    for attempt in (1, 2):
        try:
            return services.signup_person(**arguments)
        except services.UnknownZip as exc:
            raise ApiError(400, f"Unknown ZIP code “{str(exc)[:20]}”.") from None
        except IntegrityError:
            # Two signups with the same new address at once: the loser's second try finds
            # the winner's person and updates it, as if the two had come one after the other.
            if attempt == 2:
                raise ApiError(409, "This person was changed by another request at the same moment; "
                                    "send it again.") from None
    raise AssertionError("unreachable")


def signup_arguments(call: Call) -> dict[str, Any]:
    """The signup helper's body, checked (a 400 that says what to fix), as `signup_person`'s arguments."""
    call.require_write()
    body = call.body
    data = body.get("person", body)
    if not isinstance(data, dict):
        raise ApiError(400, "person must be an object.")
    flat = {"email_addresses": data.get("email_addresses", data.get("email_address", data.get("email"))),
            "phone_numbers": data.get("phone_numbers", data.get("phone_number", data.get("phone")))}
    emails, phones = inputs.emails(flat["email_addresses"]), inputs.phones(flat["phone_numbers"])
    if not emails and not phones:
        raise ApiError(400, "A person needs an email address or a phone number.")
    fields = inputs.person_fields(data)
    extra, refused = inputs.custom_fields(data.get("custom_fields"))
    call.refused += refused
    arguments: dict[str, Any] = {
        "actor": call.user, "group": call.group, "fields": fields, "emails": emails, "phones": phones,
        "custom_fields": extra,
        "add_tags": inputs.tag_names(body.get("add_tags"), "add_tags"),
        "remove_tags": inputs.tag_names(body.get("remove_tags"), "remove_tags"),
        "source_detail": f"API token “{call.token.name}”",
        "membership": _standing(data.get("membership_status")),
        "change_membership": data.get("membership_status") is not None,
    }
    return arguments


def _standing(value: Any) -> str | None:
    """The membership the body says (`membership_status`, a Turnout addition), or None: then a new
    record is a supporter and a known one keeps theirs; a member count grows only when someone says so."""
    if value is None:
        return None
    if value not in Membership.Status.values:
        raise ApiError(400, "membership_status must be one of: " + ", ".join(Membership.Status.values) + ".")
    return str(value)


def person_detail(call: Call, person_id: str) -> dict[str, Any]:
    person = _person(call, person_id)
    audit.record(actor=call.user, action=AuditEntry.Action.VIEW, target=person, request=call.request,
                 summary=f"Read through the API (token “{call.token.name}”)")
    return serializers.person(person, call.base)


def person_update(call: Call, person_id: str) -> dict[str, Any]:
    call.require_write()
    person = _person(call, person_id, write=True)
    data = call.body.get("person", call.body)
    if not isinstance(data, dict):
        raise ApiError(400, "person must be an object.")
    fields = inputs.person_fields(data)
    emails = inputs.emails(data.get("email_addresses", data.get("email_address")))
    phones = inputs.phones(data.get("phone_numbers"))
    # Only the token's group's own records are asked: an address another group holds is simply
    # added here, so the answer never tells whether it is anywhere else in the database.
    others = services.in_reach(call.group).exclude(pk=person.pk)
    for choice in emails:
        if others.filter(emails__address=choice.value).exists():
            raise ApiError(409, f"{choice.value} is on another of this group's people; merge the two instead.")
    for choice in phones:
        if others.filter(phones__number=choice.value).exists():
            raise ApiError(409, f"{choice.value} is on another of this group's people; merge the two instead.")
    extra, refused = inputs.custom_fields(data.get("custom_fields"))
    call.refused += refused
    try:
        with transaction.atomic():  # all of the change or none of it
            # The contacts' locks before the person's row, in the order a sign-up takes them.
            services.hold_contacts([c.value for c in emails] + [c.value for c in phones])
            person = services.update_person(actor=call.user, person=person, fields=fields)
            if emails or phones or extra:
                # The same consent rules as a signup, applied to this person's contacts.
                services.signup_person(actor=call.user, group=call.group, fields={}, emails=emails,
                                       phones=phones, custom_fields=extra,
                                       source_detail=f"API token “{call.token.name}”", person=person)
    except services.UnknownZip as exc:
        raise ApiError(400, f"Unknown ZIP code “{str(exc)[:20]}”.") from None
    except IntegrityError:
        raise ApiError(409, "This person was changed by another request at the same moment; send it again.") from None
    person = lookup.person_for_answer(call, person.pk)
    return serializers.person(person, call.base)


def person_taggings(call: Call, person_id: str) -> dict[str, Any]:
    person = _person(call, person_id)
    taggings = Tagging.objects.filter(person=person, tag__in=_tags(call)).select_related("tag", "person")
    return collection(call, queryset=taggings, key="osdi:taggings", path=f"people/{person.public_id}/taggings",
                      serialize=lambda t: serializers.tagging(t, call.base), filters=TAG_FILTERS)


def person_empty(key: str) -> Any:
    inner = empty_collection(key)

    def handler(call: Call, person_id: str) -> dict[str, Any]:
        _person(call, person_id)  # 404 for people the token cannot see, as for every person path
        return inner(call)  # type: ignore[no-any-return]

    return handler


# Tags and taggings ------------------------------------------------------------------------


def _tags(call: Call, write: bool = False) -> QuerySet[Tag]:
    """The tags of the groups the token's user sees (organizes, to tag or untag with them)."""
    return Tag.objects.visible_to(call.user, Role.ORGANIZER if write else Role.VIEWER)


def tags_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_tags(call), key="osdi:tags", path="tags",
                      serialize=lambda t: serializers.tag(t, call.base), filters=TAG_FILTERS)


def tag_create(call: Call) -> HttpResponse:
    """The token's group's tag of this name: made, or the one it already has (201 or 200)."""
    call.require_write()
    name = services.tag_name(inputs.text(call.body.get("name"), "name", 100))
    if not name:
        raise ApiError(400, "A tag needs a name.")
    tag, created = services.group_tag(group=call.group, name=name)
    return json_response(serializers.tag(tag, call.base), status=201 if created else 200)


def tag_detail(call: Call, tag_id: str) -> dict[str, Any]:
    return serializers.tag(get_by_public_id(_tags(call), tag_id, "tag"), call.base)


def _tag_taggings(call: Call, tag: Tag, write: bool = False) -> QuerySet[Tagging]:
    return Tagging.objects.filter(tag=tag, person__in=_people(call, write)).select_related("tag", "person")


def taggings_list(call: Call, tag_id: str) -> dict[str, Any]:
    tag = get_by_public_id(_tags(call), tag_id, "tag")
    return collection(call, queryset=_tag_taggings(call, tag), key="osdi:taggings",
                      path=f"tags/{tag.public_id}/taggings",
                      serialize=lambda t: serializers.tagging(t, call.base), filters=TAG_FILTERS)


def person_reference(call: Call, body: dict[str, Any], write: bool = True) -> Person:
    """The person a body points at: a link href (last path segment), an id, or an email."""
    candidates: list[str] = []
    links = body.get("_links")
    if isinstance(links, dict):
        person_link = links.get("osdi:person")
        if isinstance(person_link, dict) and isinstance(person_link.get("href"), str):
            candidates.append(person_link["href"].rstrip("/").rsplit("/", 1)[-1])
    for key in ("action_network:person_id", "person_id", "identifier"):
        if isinstance(body.get(key), str):
            candidates.append(body[key])
    people = _people(call, write)
    for candidate in candidates:
        candidate = candidate.split("?", 1)[0]
        candidate = candidate[len(PREFIX):] if candidate.startswith(PREFIX) else candidate
        try:
            found = people.filter(public_id=uuid.UUID(candidate)).first()
        except ValueError:
            continue
        if found:
            return found
    email = body.get("email_address") or body.get("email")
    if isinstance(email, str) and email.strip():
        try:
            address = normalize_email(email)
        except InvalidContact:
            address = ""
        # The same address may be on several records the token sees (a council sees its locals'):
        # the token's own group's record first; two of those cannot be told apart by an email.
        holders = people.filter(emails__address=address) if address else people.none()
        own = list(holders.filter(pk__in=services.in_reach(call.group))[:2]) or list(holders[:2])
        if len(own) > 1:
            raise ApiError(400, "Several people have this email address; give the person's id instead.")
        if own:
            return own[0]
    raise ApiError(400, "You must specify a valid person id")


def tagging_create(call: Call, tag_id: str) -> HttpResponse:
    call.require_write()
    tag = _writable_tag(call, tag_id)
    person = person_reference(call, call.body)
    existed = Tagging.objects.filter(person=person, tag=tag).exists()
    tagging = services.apply_tag(person=person, tag=tag, actor=call.user)
    tagging = Tagging.objects.select_related("tag", "person").get(pk=tagging.pk)
    return json_response(serializers.tagging(tagging, call.base), status=200 if existed else 201)


def _writable_tag(call: Call, tag_id: str) -> Tag:
    """A tag the token's user may tag or untag with: 404 if they cannot see it, 403 if only see."""
    tag = get_by_public_id(_tags(call), tag_id, "tag")
    if not _tags(call, write=True).filter(pk=tag.pk).exists():
        raise ApiError(403, "This token's user may read this tag but not tag or untag people with it.")
    return tag


def tagging_detail(call: Call, tag_id: str, tagging_id: str) -> dict[str, Any]:
    tag = get_by_public_id(_tags(call), tag_id, "tag")
    tagging = get_by_public_id(_tag_taggings(call, tag), tagging_id, "tagging")
    return serializers.tagging(tagging, call.base)


def tagging_delete(call: Call, tag_id: str, tagging_id: str) -> dict[str, Any]:
    call.require_write()
    tag = _writable_tag(call, tag_id)
    tagging = get_by_public_id(_tag_taggings(call, tag, write=True), tagging_id, "tagging")
    services.remove_tag(person=tagging.person, tag=tag, actor=call.user)
    return {"notice": "This tagging was successfully deleted."}


# Lists and items ---------------------------------------------------------------------------


def _lists(call: Call) -> QuerySet[PersonList]:
    return PersonList.objects.visible_to(call.user)


def lists_list(call: Call) -> dict[str, Any]:
    return collection(call, queryset=_lists(call), key="osdi:lists", path="lists",
                      serialize=lambda pl: serializers.person_list(pl, call.base), filters=DATES)


def list_detail(call: Call, list_id: str) -> dict[str, Any]:
    return serializers.person_list(get_by_public_id(_lists(call), list_id, "list"), call.base)


def _items(call: Call, person_list: PersonList) -> QuerySet[ListItem]:
    return (ListItem.objects.filter(person_list=person_list, person__in=_people(call))
            .select_related("person_list", "person"))


def items_list(call: Call, list_id: str) -> dict[str, Any]:
    person_list = get_by_public_id(_lists(call), list_id, "list")
    return collection(call, queryset=_items(call, person_list), key="osdi:items",
                      path=f"lists/{person_list.public_id}/items",
                      serialize=lambda i: serializers.list_item(i, call.base),
                      filters={"created_date": odata.when("created_at"), "modified_date": odata.when("created_at")})


def item_detail(call: Call, list_id: str, item_id: str) -> dict[str, Any]:
    person_list = get_by_public_id(_lists(call), list_id, "list")
    return serializers.list_item(get_by_public_id(_items(call, person_list), item_id, "item"), call.base)
