"""Turnout records as Action Network / OSDI resources (field names as on the wire)."""

from __future__ import annotations

from typing import Any

from turnout.api.hal import curies, identifiers, link, stamp
from turnout.people.models import (
    ListItem,
    Person,
    PersonList,
    PhoneNumber,
    Subscription,
    Tag,
    Tagging,
)

ORIGIN = "Turnout"

EMAIL_STATUS: dict[str, str] = {
    Subscription.SUBSCRIBED: "subscribed",
    Subscription.UNSUBSCRIBED: "unsubscribed",
    Subscription.BOUNCING: "bouncing",
    # No recorded consent: not on any email list, which clients know as unsubscribed.
    Subscription.NO_CONSENT: "unsubscribed",
}
PHONE_TYPE: dict[str, str] = {PhoneNumber.Kind.MOBILE: "Mobile", PhoneNumber.Kind.LANDLINE: "Home",
              PhoneNumber.Kind.VOIP: "Other", PhoneNumber.Kind.UNKNOWN: "Mobile"}


def _common(obj: Any) -> dict[str, Any]:
    return {
        "identifiers": identifiers(obj),
        "origin_system": ORIGIN,
        "created_date": stamp(obj.created_at),
        "modified_date": stamp(getattr(obj, "updated_at", None) or obj.created_at),
    }


def person(p: Person, base: str) -> dict[str, Any]:
    """A person; expects emails and phones prefetched when serializing many."""
    href = f"{base}people/{p.public_id}"
    address: dict[str, Any] = {
        "primary": True,
        "address_lines": [line for line in (p.address_line1, p.address_line2) if line],
        "locality": p.locality,
        "region": p.region,
        "postal_code": p.postal_code,
        "country": p.country,
        "language": p.language or "en",
    }
    if p.latitude is not None and p.longitude is not None:
        address["location"] = {"latitude": p.latitude, "longitude": p.longitude, "accuracy": "Approximate"}
    has_address = any((p.address_line1, p.locality, p.region, p.postal_code))
    return {
        **_common(p),
        "given_name": p.given_name,
        "family_name": p.family_name,
        "languages_spoken": [p.language or "en"],
        "email_addresses": [
            {"primary": e.is_primary, "address": e.address, "status": EMAIL_STATUS.get(e.status, "unsubscribed")}
            for e in p.emails.all()
        ],
        "phone_numbers": [
            {"primary": ph.is_primary, "number": ph.number.lstrip("+"), "number_type": PHONE_TYPE[ph.kind],
             "status": "subscribed" if ph.sms_status == Subscription.SUBSCRIBED else "unsubscribed"}
            for ph in p.phones.all()
        ],
        "postal_addresses": [address] if has_address else [],
        "custom_fields": dict(p.custom_fields or {}),
        **({"memberships": [{"group": m.group.slug, "group_name": m.group.name, "status": m.status}
                            for m in p.seen_memberships]} if hasattr(p, "seen_memberships") else {}),
        "_links": {
            "self": link(href),
            "osdi:attendances": link(f"{href}/attendances"),
            "osdi:signatures": link(f"{href}/signatures"),
            "osdi:submissions": link(f"{href}/submissions"),
            "osdi:donations": link(f"{href}/donations"),
            "osdi:outreaches": link(f"{href}/outreaches"),
            "osdi:taggings": link(f"{href}/taggings"),
            "curies": curies(base),
        },
    }


def tag(t: Tag, base: str) -> dict[str, Any]:
    href = f"{base}tags/{t.public_id}"
    return {
        "identifiers": identifiers(t),
        "origin_system": ORIGIN,
        "created_date": stamp(t.created_at),
        "modified_date": stamp(t.created_at),
        "name": t.name,
        "_links": {"self": link(href), "osdi:taggings": link(f"{href}/taggings"), "curies": curies(base)},
    }


def _person_item(obj: Any, base: str, parent_rel: str, parent_href: str, child: str) -> dict[str, Any]:
    """A person's place in a tag or a list: the shape taggings and list items share."""
    return {
        "identifiers": identifiers(obj),
        "created_date": stamp(obj.created_at),
        "modified_date": stamp(obj.created_at),
        "item_type": "osdi:person",
        "_links": {
            "self": link(f"{parent_href}/{child}/{obj.public_id}"),
            parent_rel: link(parent_href),
            "osdi:person": link(f"{base}people/{obj.person.public_id}"),
            "curies": curies(base),
        },
    }


def tagging(t: Tagging, base: str) -> dict[str, Any]:
    """A tagging; expects tag and person loaded (select_related)."""
    return _person_item(t, base, "osdi:tag", f"{base}tags/{t.tag.public_id}", "taggings")


def person_list(pl: PersonList, base: str) -> dict[str, Any]:
    href = f"{base}lists/{pl.public_id}"
    return {
        **_common(pl),
        "name": pl.name,
        "title": pl.name,
        "description": pl.description,
        "browser_url": "",
        "_links": {"self": link(href), "osdi:items": link(f"{href}/items"), "curies": curies(base)},
    }


def list_item(item: ListItem, base: str) -> dict[str, Any]:
    return _person_item(item, base, "osdi:list", f"{base}lists/{item.person_list.public_id}", "items")
