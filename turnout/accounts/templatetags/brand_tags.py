"""`{% page_brand as brand %}`: whose page this is, for the header, the title and the colours."""

from __future__ import annotations

from typing import Any

from django import template

from turnout.accounts.branding import Brand, brand_for
from turnout.accounts.models import Group

register = template.Library()

# Where a public page keeps what it is about, each owned by a group; the first found names the page.
OWNERS = ("event", "network", "action", "record", "resolution", "hub", "campaign", "group")


def page_owner(context: template.Context) -> Group | None:
    """The group a public page belongs to; None on the console and on pages of no one group."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    # Public pages are the views of each app's public.py; the console keeps Turnout's own name.
    if match is None or not getattr(match.func, "__module__", "").endswith(".public"):
        return None
    for key in OWNERS:
        value = context.get(key)
        if isinstance(value, Group):
            return value
        owner = getattr(value, "group", None)
        if isinstance(owner, Group):
            return owner
    return None


@register.simple_tag(takes_context=True)
def page_brand(context: template.Context) -> Brand:
    return brand_for(page_owner(context))


@register.filter
def as_brand(value: Any) -> Brand:
    """The brand of a group, for templates that know it (emails, the console's preview)."""
    return brand_for(value if isinstance(value, Group) else None)
