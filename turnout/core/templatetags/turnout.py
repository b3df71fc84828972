from django import template
from django.utils.safestring import SafeString, mark_safe

from turnout.core.markdown import to_html

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    """Staff-written Markdown as sanitized HTML."""
    return mark_safe(to_html(value))  # noqa: S308  (sanitized by nh3 in to_html)
