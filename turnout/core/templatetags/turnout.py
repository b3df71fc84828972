from django import template
from django.utils.safestring import SafeString, mark_safe

from turnout.core.markdown import to_html
from turnout.people.contact import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+12065550123 as (206) 555-0123."""
    return format_phone(value) if value else ""


@register.filter
def markdown(value: str) -> SafeString:
    """Staff-written Markdown as sanitized HTML."""
    return mark_safe(to_html(value))  # noqa: S308  (sanitized by nh3 in to_html)
