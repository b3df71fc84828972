"""Staff pages for people: find, read, change, merge, import and export."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from turnout.accounts.models import Group, Role
from turnout.accounts.permissions import require_role_anywhere
from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.people import imports, services, suppression
from turnout.people.contact import format_phone
from turnout.people.forms import (
    AddEmailForm,
    AddPhoneForm,
    ImportColumnsForm,
    ImportForm,
    MembershipForm,
    NewPersonForm,
    PeopleFilterForm,
    PersonForm,
    SaveListForm,
)
from turnout.people.imports import CleanUploadHandler, start_import
from turnout.people.models import ConsentEvent, ImportJob, Membership, Person, Tag

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[PeopleFilterForm, Any]:
    form = PeopleFilterForm(request.GET or None, user=request.user)
    people = Person.objects.visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        people = services.people_filter(people, q=data["q"], tag=data["tag"], group=data["group"],
                                        status=data["status"], near=data.get("near"), miles=data.get("miles") or 0,
                                        person_list=data.get("list"),
                                        reader_groups=Group.objects.visible_to(request.user))
    elif form.is_bound:
        people = people.none()
    return form, people


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    form, people = _filtered(request)
    # Only memberships in groups this staffer sees: another group's hold on a person is its own.
    memberships = Membership.objects.visible_to(request.user).select_related("group")
    people = people.prefetch_related("emails", "phones", Prefetch("memberships", queryset=memberships))
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    if page.object_list:
        # A page of names, emails and phones read off the screen is audited like the API's walk
        # through /people: one entry per page, saying which people (by position) and which filter.
        filters = audit.searched(query.urlencode())
        audit.record(actor=request.user, action=AuditEntry.Action.VIEW, request=request,
                     group=form.cleaned_data.get("group") if form.is_valid() else None,
                     summary=f"Read people {page.start_index()} to {page.end_index()} of {page.paginator.count} "
                             f"on the People page" + (f" (filter {filters[:150]})" if filters else ""),
                     detail={"page": page.number, "count": len(page.object_list), "total": page.paginator.count})
    template = "people/_results.html" if request.htmx else "people/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "page": page, "query": query.urlencode(),
                                      "save_list_form": SaveListForm(user=request.user)})


@login_required
@require_role_anywhere(Role.ORGANIZER)
def export_csv(request: HttpRequest) -> HttpResponse:
    form, people = _filtered(request)
    people = people.filter(pk__in=Person.objects.visible_to(request.user, Role.ORGANIZER).values("pk"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="people-{stamp}.csv"'
    summary = audit.searched(request.GET.urlencode()) or "everyone visible"
    services.export_people(actor=request.user, people=people, out=response, summary=summary,  # type: ignore[arg-type]
                           request=request, group=form.cleaned_data.get("group") if form.is_valid() else None)
    return response


@login_required
@require_role_anywhere(Role.ORGANIZER)
@require_POST
def save_list(request: HttpRequest) -> HttpResponse:
    """Save everyone the current filters match (and the organizer may change) as a fixed list."""
    _form, people = _filtered(request)
    save_form = SaveListForm(request.POST, user=request.user)
    if not save_form.is_valid():
        messages.error(request, " ".join(str(e) for errors in save_form.errors.values() for e in errors))
        return redirect(f"{reverse('people:list')}?{request.GET.urlencode()}")
    people = people.filter(pk__in=Person.objects.visible_to(request.user, Role.ORGANIZER).values("pk"))
    saved = services.save_list(actor=request.user, group=save_form.cleaned_data["group"],  # type: ignore[arg-type]
                               name=save_form.cleaned_data["name"], people=people)
    messages.success(request, _("Saved the list “%(name)s” of %(count)s people.")
                     % {"name": saved.name, "count": saved.items.count()})
    return redirect(f"{reverse('people:list')}?list={saved.public_id}")


@login_required
@require_role_anywhere(Role.ORGANIZER)
def person_new(request: HttpRequest) -> HttpResponse:
    form = NewPersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in PersonForm.Meta.fields}
        try:
            person = services.create_person(
                actor=request.user, group=data["group"], fields=fields,  # type: ignore[arg-type]
                email=data["email"], phone=data["phone"], phone_kind=getattr(form, "phone_kind", "unknown"),
                membership_status=data["membership_status"], member_number=data["member_number"],
                tags=[t.strip() for t in data["tags"].split(",") if t.strip()],
                email_consent_text=_("Staff recorded consent to email in person.") if data["email_consent"] else "",
                sms_consent_text=_("Staff recorded consent to text messages in person.") if data["sms_consent"] else "",
                request=request,
            )
        except services.ContactInUse as exc:
            form.add_error(exc.field, _("This belongs to someone already on file. Open their record instead."))
        else:
            messages.success(request, _("Added %(name)s.") % {"name": person.display_name})
            return redirect(person)
    return render(request, "people/person_form.html", {"form": form, "title": _("Add a person")})


def _visible_person(request: HttpRequest, public_id: Any, role: str = Role.VIEWER) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user, role), public_id=public_id)


@login_required
def person_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = _visible_person(request, public_id)
    audit.record(actor=request.user, action=AuditEntry.Action.VIEW, target=person, request=request)
    can_edit = Person.objects.visible_to(request.user, Role.ORGANIZER).filter(pk=person.pk).exists()
    groups = Group.objects.visible_to(request.user)
    # Another group's entries about a shared person (its tags, its signups) stay that group's.
    activity = audit.opened(
        AuditEntry.objects.filter(subject__in=audit.keys_of(person).values("subject"), target_type="person")
        .filter(Q(group__isnull=True) | Q(group__in=groups)).order_by("-at")[:20])
    return render(request, "people/detail.html", {
        "person": person,
        "emails": person.emails.all(),
        "phones": [(p, format_phone(p.number)) for p in person.phones.all()],
        "consent": ConsentEvent.objects.filter(person=person).select_related("recorded_by"),
        "contact_results": person.contact_results.filter(group__in=groups).select_related("code")[:20],
        "memberships": person.memberships.filter(group__in=groups).select_related("group"),
        **_tags_context(request, person, can_edit),
        "activity": activity,
        # What an admin about to erase may know of the suppression list: its size, never an address
        # (called by the template only where it is shown).
        "suppressed": suppression.counts,
        # A council sees its locals' records of one human side by side; a local sees only its own.
        "same_human": Person.objects.visible_to(request.user).same_human_as(person).prefetch_related(
            Prefetch("memberships", Membership.objects.filter(group__in=groups).select_related("group"))),
        # Who they brought through their share links (turnout.sharing), among people this staffer may see.
        "brought": person.referrals_made.filter(  # type: ignore[attr-defined]
            person__in=Person.objects.visible_to(request.user)).select_related("person").order_by("-created_at"),
        "can_edit": can_edit,
        "email_form": AddEmailForm(), "phone_form": AddPhoneForm(),
        "membership_form": MembershipForm(user=request.user),
    })


@login_required
def person_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = _visible_person(request, public_id, Role.ORGANIZER)
    form = PersonForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        services.update_person(actor=request.user, person=person, fields=form.cleaned_data, request=request)  # type: ignore[arg-type]
        messages.success(request, _("Saved."))
        return redirect(person)
    return render(request, "people/person_form.html", {"form": form, "person": person, "title": _("Edit %(name)s") % {"name": person.display_name}})


@login_required
@require_POST
def person_contact(request: HttpRequest, public_id: Any, kind: str) -> HttpResponse:
    """Add an email or phone from the person page; errors come back to that page."""
    person = _visible_person(request, public_id, Role.ORGANIZER)
    form: AddEmailForm | AddPhoneForm = AddEmailForm(request.POST) if kind == "email" else AddPhoneForm(request.POST)
    if form.is_valid():
        try:
            if kind == "email":
                services.add_email(actor=request.user, person=person, address=form.cleaned_data["email"],  # type: ignore[arg-type]
                                   consent_text=_("Staff recorded consent to email.") if form.cleaned_data["consent"] else "",
                                   request=request)
            else:
                services.add_phone(actor=request.user, person=person, number=form.cleaned_data["phone"],  # type: ignore[arg-type]
                                   kind=form.kind,  # type: ignore[union-attr]
                                   consent_text=_("Staff recorded consent to text messages.") if form.cleaned_data["consent"] else "",
                                   request=request)
        except services.ContactInUse as exc:
            if Person.objects.visible_to(request.user).filter(pk=exc.person.pk).exists():
                messages.error(request, _("That belongs to %(name)s; merge the two records instead.") % {"name": exc.person.display_name})
            else:  # someone in a group this staffer cannot see: say nothing about them
                messages.error(request, _("That is already on file for someone else."))
        else:
            messages.success(request, _("Added."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(person)


@login_required
@require_POST
def person_consent(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Record an opt-out (or a renewed opt-in) that a person told staff about."""
    person = _visible_person(request, public_id, Role.ORGANIZER)
    channel, address, action = request.POST.get("channel"), request.POST.get("address", ""), request.POST.get("action")
    owned = person.emails.filter(address=address).exists() if channel == "email" else person.phones.filter(number=address).exists()
    if not owned or action not in ConsentEvent.Action.values:
        messages.error(request, _("Choose one of this person's own addresses."))
        return redirect(person)
    recorded = services.record_consent(
        person=person, channel=channel, address=address, action=action,  # type: ignore[arg-type]
        source=ConsentEvent.Source.STAFF, actor=request.user,  # type: ignore[arg-type]
        text=request.POST.get("note", "")[:500] or _("Recorded by staff."))
    if recorded is None:
        messages.error(request, _("Not recorded: this person opted out, and only their own new opt-in (a form "
                                  "they fill in, or START texted from the number) can restore it."))
        return redirect(person)
    messages.success(request, _("Recorded."))
    return redirect(person)


def _tag_groups(request: HttpRequest, person: Person) -> list[Group]:
    """The groups in which this staffer may tag this person: those they organize that hold the
    person (here or below), the widest first, which is where a new tag goes unless they choose."""
    held = [int(part) for path in Group.objects.filter(memberships__person=person).values_list("path", flat=True)
            for part in path.strip("/").split("/") if part]
    groups = Group.objects.visible_to(request.user, Role.ORGANIZER).filter(pk__in=held)
    return sorted(groups, key=lambda group: (group.depth, group.path))


def _tags_context(request: HttpRequest, person: Person, can_edit: bool) -> dict[str, Any]:
    """The person's tags this staffer's groups own (another group's labels are not shown)."""
    tags = (person.taggings.filter(tag__in=Tag.objects.visible_to(request.user))
            .select_related("tag__group").order_by("tag__name", "tag__group__path"))
    return {"tags": tags, "tag_groups": _tag_groups(request, person) if can_edit else []}


@login_required
@require_POST
def person_tags(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Add a tag by name in one of the staffer's groups, or take one of their groups' tags off."""
    person = _visible_person(request, public_id, Role.ORGANIZER)
    if request.POST.get("remove"):
        tag_id = _uuid_or_none(request.POST.get("tag", ""))
        tag = Tag.objects.visible_to(request.user, Role.ORGANIZER).filter(public_id=tag_id).first() if tag_id else None
        if tag is not None:
            services.remove_tag(person=person, tag=tag, actor=request.user, request=request)  # type: ignore[arg-type]
    elif name := services.tag_name(request.POST.get("name", "")):
        choices = _tag_groups(request, person)
        group = next((g for g in choices if g.slug == request.POST.get("group")), choices[0] if choices else None)
        if group is not None:
            services.add_tag(person=person, group=group, name=name, actor=request.user, request=request)  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "people/_tags.html", {"person": person, "can_edit": True,
                                                     **_tags_context(request, person, True)})
    return redirect(person)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@login_required
@require_POST
def person_membership(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = _visible_person(request, public_id, Role.ORGANIZER)
    form = MembershipForm(request.POST, user=request.user)
    if form.is_valid():
        services.set_membership(actor=request.user, person=person, group=form.cleaned_data["group"],  # type: ignore[arg-type]
                                status=form.cleaned_data["status"], member_number=form.cleaned_data["member_number"],
                                request=request)
        messages.success(request, _("Membership saved."))
    else:
        messages.error(request, _("Choose a group and a status."))
    return redirect(person)


@login_required
def person_merge(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Pick the duplicate, compare the two side by side, then merge."""
    person = _visible_person(request, public_id, Role.ORGANIZER)
    editable = Person.objects.visible_to(request.user, Role.ORGANIZER)
    other = None
    other_id = request.GET.get("other") or request.POST.get("other")
    if other_id:
        try:
            other = editable.exclude(pk=person.pk).filter(public_id=uuid.UUID(other_id)).first()
        except ValueError:
            other = None
        if other is None:
            raise Http404
    if request.method == "POST" and other is not None:
        try:
            keep = services.merge_people(actor=request.user, keep=person, other=other, request=request)  # type: ignore[arg-type]
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect(person)
        messages.success(request, _("Merged. Everything from both records is on this one."))
        return redirect(keep)
    q = request.GET.get("q", "")
    candidates = editable.exclude(pk=person.pk).search(q)[:20] if q else []
    return render(request, "people/merge.html", {"person": person, "other": other, "q": q, "candidates": candidates})


@login_required
@require_POST
@require_role_anywhere(Role.ADMIN)
def person_erase(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = _visible_person(request, public_id, Role.ADMIN)
    if request.POST.get("confirm") != person.display_name:
        messages.error(request, _("Type the person's name exactly to confirm erasure."))
        return redirect(person)
    services.erase_person(actor=request.user, person=person, request=request)  # type: ignore[arg-type]
    messages.success(request, _("The person and everything about them was erased."))
    return redirect("people:list")


@csrf_exempt
def import_list(request: HttpRequest) -> HttpResponse:
    # The upload is filtered as it arrives (the refused columns are never written): the handler
    # must be in place before anything reads the body, the CSRF check included, which runs inside.
    request.upload_handlers = [CleanUploadHandler(request)]
    return _import_list(request)


@login_required
@require_role_anywhere(Role.ORGANIZER)
@csrf_protect
def _import_list(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = start_import(actor=request.user, group=form.cleaned_data["group"], upload=upload,  # type: ignore[arg-type]
                           original_name=upload.name, tag=form.cleaned_data["tag"],
                           membership=form.cleaned_data["membership"],
                           sms_consent_text=form.cleaned_data["sms_consent_text"], preview=True, request=request)
        return redirect(job)
    jobs = ImportJob.objects.visible_to(request.user, Role.ORGANIZER).select_related("group", "created_by")[:30]
    return render(request, "people/imports.html", {"form": form, "jobs": jobs})


def _visible_job(request: HttpRequest, public_id: Any) -> ImportJob:
    return get_object_or_404(ImportJob.objects.visible_to(request.user, Role.ORGANIZER),
                             public_id=public_id)


@login_required
def import_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    job = _visible_job(request, public_id)
    if job.status == ImportJob.Status.PREVIEW and not request.htmx:  # type: ignore[attr-defined]
        return _import_preview(request, job, ImportColumnsForm(previews=imports.preview_columns(job)))
    template = "people/_import_progress.html" if request.htmx else "people/import_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


def _import_preview(request: HttpRequest, job: ImportJob, form: ImportColumnsForm, status: int = 200) -> HttpResponse:
    # The first rows of a member list, read off the screen: audited like any read of people.
    audit.record(actor=request.user, action=AuditEntry.Action.VIEW, target=job, group=job.group, request=request,
                 summary=f"Read the column preview of {job.original_name}")
    return render(request, "people/import_preview.html", {"job": job, "form": form}, status=status)


@login_required
@require_POST
def import_columns(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Start an upload with its columns read as chosen in the preview, or cancel it."""
    job = _visible_job(request, public_id)
    if job.status != ImportJob.Status.PREVIEW:
        return redirect(job)
    if request.POST.get("cancel"):
        imports.discard_import(actor=request.user, job=job, request=request)  # type: ignore[arg-type]
        messages.info(request, _("The upload was cancelled and its file deleted."))
        return redirect("people:imports")
    form = ImportColumnsForm(request.POST, previews=imports.preview_columns(job))
    if not form.is_valid():
        return _import_preview(request, job, form, status=400)
    imports.choose_columns(actor=request.user, job=job, columns=form.cleaned_data["columns"], request=request)  # type: ignore[arg-type]
    return redirect(job)


@login_required
def import_errors(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    job = _visible_job(request, public_id)
    if job.files_removed_at is not None:  # retention: a link from before, a bookmark
        messages.info(request, _("The report of rows not imported was deleted with the file, as the retention "
                                 "settings ask."))
        return redirect(job)
    if not job.error_report_path or not Path(job.error_report_path).exists():
        raise Http404
    # The report holds the rows with problems as they came: a download of member rows, logged as one.
    audit.record(actor=request.user, action=AuditEntry.Action.EXPORT, target=job, group=job.group, request=request,
                 summary=f"Downloaded the report of rows with problems from {job.original_name}")
    return FileResponse(open(job.error_report_path, "rb"), as_attachment=True,
                        filename=f"import-errors-{job.public_id}.csv", content_type="text/csv")
