from django import template

from turnout.people.contact import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+12065550123 as (206) 555-0123."""
    return format_phone(value) if value else ""
