"""Public organizing pages, no account needed: "Organize your workplace", a campaign's union
card, and the signer's private copy of their card (behind a link only they were sent). None shows
a count or a name to anyone else: management must never learn who asked or who signed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from turnout.accounts.models import Group
from turnout.core.abuse import refused
from turnout.core.language import spanish
from turnout.core.net import client_ip
from turnout.organizing import services
from turnout.organizing.forms import CardForm, IntakeForm
from turnout.organizing.models import Campaign
from turnout.organizing.pdf import card_pdf
from turnout.people.services import UnknownZip


def intake(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    form = IntakeForm(request.POST or None, group=group)
    if request.method == "POST" and not refused(request, form) and form.is_valid():
        data = form.cleaned_data
        if data.get("website"):
            return render(request, "organizing/public_intake_thanks.html", {"group": group, "reach_by": ""})
        try:
            services.submit_request(
                group=group, worker=form.person_request("form"), employer_name=data["employer_name"],
                workplace_address=data["workplace_address"], postal_code=data["postal_code"],
                industry=data["industry"], size=data["size"], story=data["story"], reach_by=data["reach_by"],
                best_time=data["best_time"])
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        else:
            return render(request, "organizing/public_intake_thanks.html",
                          {"group": group, "reach_by": data["reach_by"]})
    return render(request, "organizing/public_intake.html", {"group": group, "form": form})


def card(request: HttpRequest, public_id: str) -> HttpResponse:
    """Two steps: the worker reads the card and fills it in; then sees it whole and signs by typing
    their name and ticking the box. Nothing is stored before the signature."""
    campaign = get_object_or_404(Campaign.objects.select_related("group", "employer"), public_id=public_id)
    language = "es" if spanish() else "en"
    text = services.card_text(campaign, language)
    step = request.POST.get("step", "")
    signing = step == "sign"
    if step == "edit":  # back from the signature step: the details as typed, to change
        form = CardForm(initial=request.POST.dict(), campaign=campaign, group=campaign.group)
        return render(request, "organizing/public_card.html", {"campaign": campaign, "card_text": text, "form": form})
    form = CardForm(request.POST or None, campaign=campaign, group=campaign.group, signing=signing)
    context = {"campaign": campaign, "card_text": text, "form": form}
    if request.method != "POST" or refused(request, form) or not form.is_valid():
        template = "organizing/public_card_sign.html" if signing else "organizing/public_card.html"
        return render(request, template, context)
    if not signing:
        context["today"] = timezone.now().astimezone(ZoneInfo(services.card_zone(
            form.cleaned_data.get("postal_code", ""), form.cleaned_data["unit"])))
        return render(request, "organizing/public_card_sign.html", context)
    data = form.cleaned_data
    context["today"] = timezone.now().astimezone(ZoneInfo(services.card_zone(data.get("postal_code", ""),
                                                                             data["unit"])))
    if data.get("website"):
        return render(request, "organizing/public_card_thanks.html", context)
    try:
        context["card"] = services.sign_card(
            campaign=campaign, unit=data["unit"], worker=form.person_request("form"), signature=data["signature"],
            job_title=data["job_title"], employer_name=campaign.employer.name if campaign.employer else campaign.name,
            # Browsers send a form's line breaks as CRLF; the card's text is stored with LF.
            text=request.POST.get("card_text", "").replace("\r\n", "\n"), ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""))
    except services.OrganizingError as exc:
        form.add_error(None, str(exc))
        return render(request, "organizing/public_card_sign.html", context)
    return render(request, "organizing/public_card_thanks.html", context)


def card_copy(request: HttpRequest, token: str, pdf: bool = False) -> HttpResponse:
    """The signer's own copy of their card, behind the unguessable link they were sent: the text
    they signed, their signature and the date on their clock; or the same as a PDF."""
    card = services.card_from_copy_token(token)
    if card is None:
        raise Http404
    if pdf:
        response = HttpResponse(card_pdf(card), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="union-card-{card.signed_at:%Y-%m-%d}.pdf"'
    else:
        response = render(request, "organizing/public_card_copy.html", {
            "card": card, "union": card.unit.campaign.group.name, "token": token})
    # It names who signed: kept by no shared cache or browser history cache, passed to no other site.
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
