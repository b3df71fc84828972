from datetime import timedelta

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from turnout.core.markdown import to_html

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    """Staff-written Markdown as sanitized HTML."""
    return mark_safe(to_html(value))  # noqa: S308  (sanitized by nh3 in to_html)


@register.filter
def wait(value: timedelta) -> str:
    """A wait, as a board shows it: "40 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(h)s h %(m)s min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return _("%(d)s d %(h)s h") % {"d": seconds // 86400, "h": seconds % 86400 // 3600}
