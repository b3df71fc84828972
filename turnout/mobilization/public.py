"""Public page, no account: joining a network, phone first, English and Spanish. (Pledges are signed
on the public action page, turnout.actions.public.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from turnout.core.abuse import refused
from turnout.mobilization import services
from turnout.mobilization.forms import JoinForm, pledge_form
from turnout.mobilization.models import KEPT_PLEDGES, PLEDGE_COUNTS, Network, Pledge
from turnout.people.services import UnknownZip
from turnout.sharing import services as sharing
from turnout.sharing.public import answer_page, og_context, share_context


def join(request: HttpRequest, public_id: Any) -> HttpResponse:
    network = get_object_or_404(Network.objects.select_related("group"), public_id=public_id)
    form = JoinForm(request.POST or None, group=network.group)
    ref = sharing.referral_code(request)
    if request.method == "POST" and not refused(request, form) and form.is_valid():
        if form.cleaned_data.get("website"):
            return redirect(network.public_url())  # a bot filled the hidden field: nothing is stored
        try:
            member, created = services.join_network(network=network, join=services.JoinRequest(
                request=form.person_request("network"), travel_miles=form.cleaned_data["travel_miles"],
                availability=form.cleaned_data["availability"], skills=form.cleaned_data["skills"],
                languages=form.cleaned_data["languages"]))
        except UnknownZip:
            form.add_error("postal_code", _("We do not know this ZIP code."))
        except services.NeedsTextConsent as exc:
            form.add_error("sms_consent", str(exc))
        except services.MobilizationError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                sharing.credit(code=ref, person=member.person, kind="network", action_id=network.pk)
            # The same answer whether or not they were in already: it tells nobody who is. It says
            # how we will reach them by what they gave on this page.
            return render(request, "mobilization/public_joined.html", {
                "network": network, "by_text": bool(form.cleaned_data.get("sms_consent")),
                **share_context(request, network, member.person, network.name)})
    return render(request, "mobilization/public_join.html", {
        "network": network, "form": form, "ref": ref,
        "og": {"title": network.name, "description": network.description,
               "url": request.build_absolute_uri(network.public_url())}})


# --- pledges -------------------------------------------------------------------------------------


def _pledge(request: HttpRequest, public_id: Any) -> Pledge:
    """The pledge a signature is sent to is kept in this process for a few seconds (`core.kept`):
    a crowd signs hundreds a second. A page shown reads it fresh."""
    def load() -> Pledge:
        return get_object_or_404(Pledge.objects.select_related("group"), public_id=public_id)

    return KEPT_PLEDGES.get(public_id, load) if request.method == "POST" else load()


def pledge_page(request: HttpRequest, public_id: Any, embed: bool = False) -> HttpResponse:
    """A pledge has the one shape of every public action (actions/public_action.html): what it is,
    the running count, the form, and after signing a thank-you with the person's own share link."""
    pledge = _pledge(request, public_id)
    base = "sharing/base_embed.html" if embed else "base.html"
    form = pledge_form(pledge, request.POST or None, initial={"ref": request.GET.get("ref", "")})
    code, acted = "", False
    if request.method == "POST" and not refused(request, form) and form.is_valid():
        if form.cleaned_data.get("website"):
            acted = True  # a bot filled the hidden field: it is thanked, and nothing is stored
        else:
            # The person is answered once their signature is stored; a worker makes their record and signature.
            try:
                code = services.sign_pledge_later(pledge=pledge, data={
                    **form.person_request("embed" if embed else "form").__dict__, "ref": form.cleaned_data["ref"]})
            except services.MobilizationError as exc:
                form.add_error(None, str(exc))
            else:
                acted = True
    if acted:
        count = PLEDGE_COUNTS.get(pledge.public_id, pledge.signatures.count)
        # Their signature is not counted yet (and may be already, from before): the page says only
        # what is true either way.
        return answer_page(request, "actions/public_thanks.html", {
            "base": base, "embed": embed, "record": pledge, "heading": _("Thank you for signing"),
            "message": _("If the moment comes, we will tell you what to do and where."), "count": count,
            "waiting": True, "title": pledge.title}, pledge, code)
    count = pledge.signatures.count()
    percent = min(100, round(100 * count / pledge.goal)) if pledge.goal else None
    return render(request, "actions/public_action.html", {
        "base": base, "embed": embed, "action": pledge, "form": form, "title": pledge.title,
        "description": pledge.text, "count": count, "goal": pledge.goal, "percent": percent,
        "submit_label": _("I pledge"), **og_context(request, pledge, pledge.title, pledge.text)})
