"""A signed authorization card as a PDF for filing with the labor board (fpdf2).

The text is set in DejaVu Sans (Debian's fonts-dejavu-core) so a Spanish card or a name with any
accent prints exactly as signed; without that font the PDF falls back to Helvetica and replaces
what Latin-1 cannot show, and says so on the page."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from turnout.organizing.models import Card

FONT_DIR = Path(getattr(settings, "CARD_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))


def card_pdf(card: Card) -> bytes:
    """One page: the card's text, the signature, and the record of how and when it was signed."""
    pdf = FPDF(format="letter")
    pdf.set_title(f"Authorization card {card.public_id}")
    pdf.set_creator(card.unit.campaign.group.name)
    pdf.add_page()
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    unicode = regular.exists() and bold.exists()
    if unicode:
        pdf.add_font("card", "", str(regular))
        pdf.add_font("card", "B", str(bold))
        family = "card"
    else:
        family = "helvetica"

    def text(value: str) -> str:
        return value if unicode else value.encode("latin-1", "replace").decode("latin-1")

    def line(label: str, value: str | None) -> None:
        pdf.set_font(family, "B", 10)
        pdf.cell(48, 7, text(label))
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 7, text(value or "—"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, text("Union authorization card"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "", 11)
    pdf.multi_cell(0, 6, text(card.text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    local = card.local_signed_at  # the signer's own clock: the date they wrote is the date filed
    line("Signature", card.signed_name)
    line("Signed", f"{local:%B %-d, %Y %-I:%M %p} {local.tzname()} ({card.signed_at:%Y-%m-%dT%H:%M:%SZ})")
    line("How", card.get_kind_display())
    line("Employer", card.employer_name)
    line("Workplace", str(card.unit.workplace))
    line("Job", card.job_title)
    line("Email", card.email)
    line("Phone", card.phone)
    if card.kind == Card.Kind.ELECTRONIC:
        line("Signed from", card.ip_address)
        line("Browser", card.user_agent)
    line("Card id", str(card.public_id))
    if not unicode:
        pdf.ln(4)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(0, 5, "Characters outside Latin-1 are shown as ?; the exact text is kept in Turnout.")
    return bytes(pdf.output())
