"""What a staff page shows to share an action: its public link, QR code and embed snippet, and
who brought whom."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.html import escape

from turnout.sharing import services
from turnout.sharing.models import Referral


def publishing(request: HttpRequest, record: Any, embeddable: bool = False) -> dict[str, Any]:
    """The public link, its QR code and (for embeddable actions) the snippet for another site."""
    public = request.build_absolute_uri(record.public_url())
    context = {"public_link": public, "public_path": record.public_url()}
    if embeddable:
        embed = public + "embed/"
        # Other sites load the script from this address: it stays where it was first published.
        script = request.build_absolute_uri("/static/actions/embed.js")
        # The snippet is text to copy into another site's HTML (the page escapes it once more to show
        # it): the title and addresses are escaped for an attribute.
        title, embed, script = escape(str(record)), escape(embed), escape(script)
        context["embed_iframe"] = (f'<iframe src="{embed}" title="{title}" style="width:100%;border:0;'
                                   f'min-height:640px" loading="lazy"></iframe>')
        context["embed_script"] = (f'<div data-turnout-embed="{embed}" data-title="{title}"></div>\n'
                                   f'<script src="{script}" async></script>')
    return context


def leaders(kind: str, action_id: int) -> dict[str, Any]:
    return {"leaders": services.leaderboard(kind, action_id),
            "credited": Referral.objects.filter(kind=kind, action_id=action_id).count()}
