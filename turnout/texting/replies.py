"""Replies to texters' conversations, offered by messaging once each text is stored."""

from __future__ import annotations

from typing import Any

from turnout.texting import services


def on_sms_reply(sender: Any, inbound: Any, **kwargs: Any) -> bool:
    """A reply from someone a texter texted goes to that conversation (True); else it is left alone."""
    if inbound.person_id is None:
        return False
    return services.receive(inbound)
