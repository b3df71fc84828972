"""Public action pages, no account needed: forms, petitions, working groups, resolutions and their
endorsements, and their embeddable versions (turnout.sharing.public.embeddable).

Every action page has one shape: what it is, a running count, the form, and after acting a
thank-you with the person's own share link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from turnout.actions import services
from turnout.actions.forms import (
    ActionForm,
    EndorseForm,
    petition_form,
    submission_form,
)
from turnout.actions.models import (
    KEPT_FORMS,
    KEPT_PETITIONS,
    PETITION_COUNTS,
    Endorsement,
    Form,
    Petition,
    Resolution,
    WorkingGroup,
)
from turnout.core import csp
from turnout.core.abuse import refused
from turnout.core.kept import KeptPages
from turnout.core.language import spanish
from turnout.people.models import Person
from turnout.people.services import UnknownZip
from turnout.sharing.public import answer_page, og_context, share_context


def _base(embed: bool) -> str:
    return "sharing/base_embed.html" if embed else "base.html"


def _act[T](request: HttpRequest, form: Any, act: Callable[[Any], T]) -> tuple[T | None, bool]:
    """Validate a public POST and take the action: (what it gave, acted). Rate limits and errors
    go on the form, which is shown again with what the person typed."""
    if request.method != "POST" or refused(request, form) or not form.is_valid():
        return None, False
    if form.cleaned_data.get("website"):
        return None, True  # a bot filled the hidden field: it is thanked, and nothing is stored
    try:
        return act(form), True
    except UnknownZip:
        form.add_error("postal_code", _("We do not know this ZIP code."))
    except services.ActionError as exc:
        form.add_error(None, str(exc))
    return None, False


def _thanks(request: HttpRequest, record: Any, person: Person | None, *, embed: bool, heading: str,
            message: str = "", count: int | None = None, title: str = "", code: str = "",
            waiting: bool = False) -> HttpResponse:
    """The thank-you page. `waiting`: the person's form is kept for a worker, so `count` (those
    already counted) does not yet hold them, and may hold them already if they signed before:
    the page says only what is true either way. `code`: the share code kept for them."""
    context = {"base": _base(embed), "embed": embed, "record": record, "heading": heading, "message": message,
               "count": count, "waiting": waiting, "title": title}
    if person is None:
        return answer_page(request, "actions/public_thanks.html", context, record, code)
    return render(request, "actions/public_thanks.html", {**context, **share_context(request, record, person, title)})


def taking_form(form: Any, source: str) -> dict[str, Any]:
    """A valid public action form as it waits for a worker: the person's fields, their answers,
    and the share code of whoever sent the link."""
    return {**form.person_request(source).__dict__, "ref": form.cleaned_data.get("ref", "")}


def _posted[M](request: HttpRequest, kept: KeptPages[M], public_id: Any, model: Any) -> M:
    """The page a form is sent to: a POST's is kept in this process for a few seconds
    (`core.kept`), a crowd sending hundreds a second; a page shown is read fresh."""

    def load() -> M:
        return get_object_or_404(model.objects.select_related("group"), public_id=public_id)  # type: ignore[no-any-return]

    return kept.get(public_id, load) if request.method == "POST" else load()


def _percent(count: int, goal: int | None) -> int | None:
    return min(100, round(100 * count / goal)) if goal else None


# --- forms ----------------------------------------------------------------------------------------


def form_page(request: HttpRequest, public_id: Any, embed: bool = False) -> HttpResponse:
    action = _posted(request, KEPT_FORMS, public_id, Form)
    es = spanish()
    title = action.title_es if es and action.title_es else action.title
    form = submission_form(action, request.POST or None, initial={"ref": request.GET.get("ref", "")})
    # The person is answered once their form is stored; a worker makes their record and submission.
    code, acted = _act(request, form, lambda f: services.submit_later(
        action, taking_form(f, "embed" if embed else "form")))
    if acted:
        if action.redirect_url:
            return redirect(action.redirect_url)
        thanks = action.thank_you_es if es and action.thank_you_es else action.thank_you
        return _thanks(request, action, None, embed=embed, heading=_("Thank you!"), message=thanks, title=title,
                       code=code or "")
    description = action.description_es if es and action.description_es else action.description
    response = render(request, "actions/public_action.html", {
        "base": _base(embed), "embed": embed, "action": action, "form": form, "title": title,
        "description": description, "submit_label": _("Send"), **og_context(request, action, title, description)})
    if action.redirect_url:
        # The browser holds the form's redirect to the policy of the page that sent it.
        csp.widen(response, "form-action", csp.origin(action.redirect_url))
    return response


# --- petitions ------------------------------------------------------------------------------------


def petition_page(request: HttpRequest, public_id: Any, embed: bool = False) -> HttpResponse:
    petition = _posted(request, KEPT_PETITIONS, public_id, Petition)
    form = petition_form(petition, request.POST or None, initial={"ref": request.GET.get("ref", "")})
    # The person is answered once their signature is stored; a worker makes their record and signature.
    code, acted = _act(request, form, lambda f: services.sign_petition_later(petition, {
        **taking_form(f, "embed" if embed else "form"), "comment": f.cleaned_data["comment"],
        "show_name": f.cleaned_data["show_name"]}))
    if acted:
        count = PETITION_COUNTS.get(petition.public_id, petition.signatures.count)
        return _thanks(request, petition, None, embed=embed, heading=_("Thank you for signing"), count=count,
                       title=petition.title, code=code or "", waiting=True)
    # Counted once in a few seconds by each process, as for the thank-you page: a popular
    # petition's page is opened by a crowd, and a count reads every signature.
    count = PETITION_COUNTS.get(petition.public_id, petition.signatures.count)
    return render(request, "actions/public_action.html", {
        "base": _base(embed), "embed": embed, "action": petition, "form": form, "title": petition.title,
        "description": petition.petition_text, "count": count, "goal": petition.goal,
        "percent": _percent(count, petition.goal), "signers": services.public_signers(petition),
        "targets": petition.target_list(),
        "submit_label": _("Sign the petition"),
        **og_context(request, petition, petition.title, petition.petition_text)})


# --- working groups -------------------------------------------------------------------------------


def working_group_page(request: HttpRequest, public_id: Any, embed: bool = False) -> HttpResponse:
    working_group = get_object_or_404(WorkingGroup.objects.select_related("group"), public_id=public_id)
    es = spanish()
    name = working_group.name_es if es and working_group.name_es else working_group.name
    description = working_group.description_es if es and working_group.description_es else working_group.description
    form = ActionForm(request.POST or None, group=working_group.group, initial={"ref": request.GET.get("ref", "")})
    person, acted = _act(request, form, lambda f: services.join_working_group(
        working_group, f.person_request("working_group"), ref=f.cleaned_data["ref"])[0].person)
    if acted:
        return _thanks(request, working_group, person, embed=embed, heading=_("Welcome to the working group"),
                       message=_("Its coordinator will be in touch about the next meeting."), title=name)
    return render(request, "actions/public_action.html", {
        "base": _base(embed), "embed": embed, "action": working_group, "form": form, "title": name,
        "description": description, "submit_label": _("Join"),
        **og_context(request, working_group, name, description)})


# --- resolutions ----------------------------------------------------------------------------------


def resolution_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    resolution = get_object_or_404(Resolution.objects.select_related("group"), public_id=public_id)
    form = EndorseForm(request.POST or None, request.FILES or None)
    sent = False
    if request.method == "POST" and resolution.is_open and not refused(request, form) and form.is_valid():
        if not form.cleaned_data.get("website"):
            services.endorse(resolution, form.save(commit=False))
        sent = True
        form = EndorseForm()
    rollup = services.rollup(resolution)
    points = [{"lat": e.latitude, "lng": e.longitude, "title": e.organization, "url": "",
               "when": e.get_kind_display()} for e in rollup.endorsements if e.latitude is not None]
    return render(request, "actions/public_resolution.html", {
        "resolution": resolution, "form": form, "sent": sent, "rollup": rollup, "points": points,
        **og_context(request, resolution, resolution.title, resolution.text)})


def resolution_document(request: HttpRequest, public_id: Any) -> FileResponse:
    resolution = get_object_or_404(Resolution, public_id=public_id)
    if not resolution.document:
        raise Http404
    return FileResponse(resolution.document.open("rb"), as_attachment=False)


def endorsement_document(request: HttpRequest, public_id: Any) -> FileResponse:
    """An approved endorsement's own resolution; others are not public."""
    endorsement = get_object_or_404(Endorsement, public_id=public_id, status=Endorsement.Status.APPROVED)
    if not endorsement.document:
        raise Http404
    return FileResponse(endorsement.document.open("rb"), as_attachment=False)
