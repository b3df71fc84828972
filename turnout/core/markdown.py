"""Markdown that staff write for public pages, rendered safely: raw HTML is not passed through,
and what comes out is cleaned again by an allow-list sanitizer (nh3)."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h2", "h3", "h4", "hr"}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})


def to_html(text: str) -> str:
    """Safe HTML for `text`; links open as links, scripts and event handlers never survive."""
    html = _parser().render(text or "")
    return nh3.clean(html, tags=TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
