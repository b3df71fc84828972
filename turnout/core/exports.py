"""What every CSV export shares."""

from __future__ import annotations

from typing import Any


def safe_cell(value: Any) -> Any:
    """A spreadsheet must not run what someone typed: cells starting like a formula get a quote."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value
