"""A group's public face: its name, accent colour and logo on its pages, emails and texts.

`brand_for(group)` is the one answer every door uses; without a group (the console, pages that
belong to nobody) it is the deployment's own name and colours.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from turnout.accounts.models import Group

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
# Pillow refuses to open larger pictures; a small file can still claim a huge size (a "pixel bomb").
LOGO_MAX_PIXELS = 4000 * 4000
# What is kept: enough for a header on a high-density screen, a few tens of kilobytes.
LOGO_BOX = (640, 160)


@dataclass(frozen=True)
class Brand:
    name: str
    accent: str = ""  # "#rrggbb", or "" for Turnout's own
    accent_dark: str = ""
    logo_url: str = ""
    style_url: str = ""  # the stylesheet that gives the page the accent (inline styles are refused by the CSP)
    group: Group | None = None


def brand_for(group: Group | None) -> Brand:
    """What a page, an email or a text for this group shows; Turnout's own name without a group."""
    if group is None:
        return Brand(name=settings.ORGANIZATION_NAME)
    logo = group.logo_updated_at
    logo_url = f"{reverse('accounts:group_logo', args=[group.slug])}?v={int(logo.timestamp())}" if logo else ""
    accent = group.accent_color.lower() if HEX.match(group.accent_color) else ""
    style_url = f"{reverse('accounts:group_style', args=[group.slug])}?c={accent[1:]}" if accent else ""
    return Brand(name=group.public_name, accent=accent, accent_dark=darker(accent) if accent else "",
                 logo_url=logo_url, style_url=style_url, group=group)


def stylesheet(brand: Brand) -> str:
    """The accent as the CSS variables turnout.css colours buttons and links with."""
    return f":root {{ --brand: {brand.accent}; --brand-dark: {brand.accent_dark}; }}\n" if brand.accent else ""


def _luminance(color: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def darker(color: str) -> str:
    """The colour a button takes under the pointer: the accent, a fifth darker."""
    return "#" + "".join(f"{round(int(color[i:i + 2], 16) * 0.8):02x}" for i in (1, 3, 5))


def check_accent(value: str) -> str:
    """A colour typed by an admin, as "#rrggbb"; ValidationError saying what to fix. Buttons carry
    white text on it, so it must be dark enough to read (WCAG AA, 4.5:1)."""
    value = value.strip()
    if not value:
        return ""
    if not value.startswith("#"):
        value = "#" + value
    if not HEX.match(value):
        raise ValidationError(_("Write the colour as # and six hexadecimal digits, for example #1d4e89."))
    contrast = 1.05 / (_luminance(value) + 0.05)
    if contrast < 4.5:
        raise ValidationError(_("White text on this colour is hard to read: choose a darker colour."))
    return value.lower()


def redraw_logo(data: bytes) -> tuple[bytes, int, int]:
    """An uploaded logo, checked and drawn again as a small PNG: (png, width, height). The upload
    itself is never kept or served, so neither its metadata nor anything else it hides goes out.
    ValidationError saying what to fix."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 1 MB: send a smaller picture."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in LOGO_FORMATS:
                raise ValidationError(_("Send the logo as a PNG, JPEG, WebP or GIF picture."))
            if probe.width * probe.height > LOGO_MAX_PIXELS:
                raise ValidationError(_("The logo is too large: send a picture of at most 4000 by 4000 pixels."))
            probe.seek(0)  # an animated GIF keeps its first frame
            picture = probe.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(_("This file is not a picture Turnout can read: send a PNG, JPEG, WebP or GIF.")) from None
    picture.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue(), picture.width, picture.height
