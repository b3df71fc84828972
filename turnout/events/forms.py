"""Forms: the public RSVP (phone first, English and Spanish), and the organizer's event and campaign forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role, User
from turnout.core.dangerous import question_kind, question_problem
from turnout.core.kept import SharedFields
from turnout.events.models import Event, EventCampaign, Question, Shift, Status
from turnout.events.services import RsvpRequest
from turnout.people.forms import SignupForm, sender_name

CONTINENTS = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
            "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico"]


def sms_consent_text(group: Group | None = None) -> str:
    return str(_("Text me about this event and other actions from %(org)s. Msg & data rates may apply. "
                 "Reply STOP to stop.") % {"org": sender_name(group)})


def form_parts(event: Event) -> tuple[list[Shift], list[Question]]:
    """An event's shifts and questions, read from the database once per change of the event
    (saving a shift or a question marks its event changed) rather than on every RSVP."""
    key = f"events:form:{event.pk}:{event.updated_at.timestamp()}"
    parts = cache.get(key)
    if parts is None:
        # A question made before Turnout refused such wording is not asked any more (core.dangerous).
        parts = (list(event.shifts.all()), [q for q in event.questions.all() if not question_kind(q.label, q.choices)])
        cache.set(key, parts, 600)
    return parts


class RsvpForm(SignupForm):
    """The public RSVP: the sign-up's person fields, the event's shifts and its questions."""

    def __init__(self, *args: Any, event: Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["sms_consent"].label = sms_consent_text(self.group)
        self.questions: list[Question] = []
        self.shifts: list[Shift] = []
        if event is None:
            return
        self.shifts, self.questions = form_parts(event)
        if self.shifts:
            zone = event.zone
            self.fields["shift"] = forms.ChoiceField(
                label=_("Shift"), choices=[(str(s.pk), f"{s.label} — {s.starts_at.astimezone(zone):%-I:%M %p}")
                                           for s in self.shifts])
        for question in self.questions:
            name = f"q{question.pk}"
            if question.kind == Question.Kind.CHOICE:
                self.fields[name] = forms.ChoiceField(label=question.label, required=question.required,
                                                      choices=[("", "—"), *[(c, c) for c in question.choices]])
            elif question.kind == Question.Kind.YES_NO:
                self.fields[name] = forms.ChoiceField(label=question.label, required=question.required,
                                                      choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
            else:
                self.fields[name] = forms.CharField(label=question.label, required=question.required,
                                                    max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def shift(self) -> Shift | None:
        chosen = self.cleaned_data.get("shift")
        return Shift.objects.filter(event=self.event, pk=chosen).first() if chosen and self.event else None

    def answers(self) -> dict[str, str]:
        return {q.label: self.cleaned_data.get(f"q{q.pk}") or "" for q in self.questions
                if self.cleaned_data.get(f"q{q.pk}")}


    def intake_data(self, source: str, ref: str) -> dict[str, Any]:
        """The form as it waits for a worker (`services.rsvp_later`): plain values, the chosen
        shift's id and the share code it came with."""
        return {**self._request_fields(source), "shift_id": int(self.cleaned_data["shift"])
                if self.cleaned_data.get("shift") else None, "ref": ref}

    def person_request(self, source: str) -> RsvpRequest:
        return RsvpRequest(**self._request_fields(source), shift=self.shift())


class _BuiltRsvpForm(RsvpForm):
    """An RSVP form whose event fields were built already (see `event_rsvp_form`)."""

    built_parts: tuple[list[Shift], list[Question]]

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        forms.Form.__init__(self, *args, **kwargs)
        self.event = event
        self.group = event.group
        self.shifts, self.questions = self.built_parts


# Built forms by event version and language; two threads may build the same one at once (both are
# the same form), and the whole lot is dropped when it reaches its bound.
_BUILT_FORMS: dict[tuple[Any, ...], type[_BuiltRsvpForm]] = {}
_BUILT_FORMS_KEPT = 500


def event_rsvp_form(event: Event, data: Any = None) -> RsvpForm:
    """The public RSVP form for an event: its fields are built once per change of the event (which
    saving a shift or question is) and per language in each web process, not for every form sent."""
    key = (event.public_id, event.updated_at, get_language(), sms_consent_text(event.group))
    made = _BUILT_FORMS.get(key)
    if made is None:
        built = RsvpForm(event=event, group=event.group)
        made = type("EventRsvpForm", (_BuiltRsvpForm,), {"built_parts": (built.shifts, built.questions)})
        made.base_fields = SharedFields(built.fields)
        if len(_BUILT_FORMS) >= _BUILT_FORMS_KEPT:
            _BUILT_FORMS.clear()
        _BUILT_FORMS[key] = made
    return made(data, event=event)


class FindForm(forms.Form):
    zip = forms.CharField(label=_("ZIP code"), max_length=10, required=False,
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}))
    miles = forms.TypedChoiceField(label=_("Within"), coerce=int, initial=25, required=False,
                                   choices=[(5, _("5 miles")), (10, _("10 miles")), (25, _("25 miles")),
                                            (50, _("50 miles")), (100, _("100 miles"))])
    date = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("In person and online")), *Event.Kind.choices])


class EventForm(forms.ModelForm):
    """Times are entered as the event's own local wall-clock time."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Starts (local time)"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Ends (local time)"), required=False,
                          widget=forms.TimeInput(attrs={"type": "time"}))
    end_date = forms.DateField(label=_("Ends on another day"), required=False,
                               help_text=_("Only for an event that goes past midnight."),
                               widget=forms.DateInput(attrs={"type": "date"}))
    repeats = forms.ChoiceField(label=_("Repeats"), required=False, choices=[
        ("", _("Does not repeat")), ("daily", _("Every day")), ("weekdays", _("Every weekday (Monday to Friday)")),
        ("weekly", _("Every week on the same day"))])
    repeat_until = forms.DateField(label=_("Repeat until"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    reminder_hours = forms.CharField(label=_("Reminders (hours before, comma-separated)"), required=False,
                                     initial="24, 1", help_text=_("Empty: no reminders."))

    class Meta:
        model = Event
        fields = ["group", "title", "description", "kind", "venue", "address", "postal_code", "time_zone",
                  "join_url", "capacity", "visibility", "status", "standby_condition"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone (online events)"), required=False,
            choices=[("", _("From the ZIP code")), *[(z, z) for z in US_ZONES],
                     *[(z, z) for z in sorted(available_timezones())
                       if z not in US_ZONES and z.split("/")[0] in CONTINENTS]])
        self.fields["postal_code"].required = False
        if self.instance.status != Status.CANCELLED:
            # Cancelling tells everyone going, so it has its own page that says so and asks first.
            self.fields["status"].choices = [(v, label) for v, label in self.fields["status"].choices  # type: ignore[attr-defined]
                                             if v != Status.CANCELLED]
        if self.instance.pk:
            self.initial["reminder_hours"] = ", ".join(f"{m / 60:g}" for m in self.instance.reminders or [])
            local = self.instance.local_start()
            self.initial.update(date=local.date(), start=local.time().replace(second=0, microsecond=0))
            if self.instance.ends_at:
                local_end = self.instance.local_end()
                self.initial["end"] = local_end.time()  # type: ignore[union-attr]
                if local_end.date() != local.date():  # type: ignore[union-attr]
                    self.initial["end_date"] = local_end.date()  # type: ignore[union-attr]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Event.Kind.IN_PERSON and not data.get("postal_code"):
            self.add_error("postal_code", _("An event in person needs the ZIP code of its place."))
        if data.get("kind") == Event.Kind.VIRTUAL and not data.get("time_zone") and not data.get("postal_code"):
            self.add_error("time_zone", _("Choose the time zone the start time is in."))
        if data.get("end_date") and not data.get("end"):
            self.add_error("end", _("Give the time it ends."))
        elif data.get("date") and data.get("start") and data.get("end"):
            last_day = data.get("end_date") or data["date"]
            if (last_day, data["end"]) <= (data["date"], data["start"]):
                self.add_error("end", _("The event ends before it starts: give an end time after the start "
                                        "(for an event past midnight, give the day it ends as well)."))
        if data.get("repeats") and not data.get("repeat_until"):
            self.add_error("repeat_until", _("Say until when it repeats."))
        if data.get("repeats") and data.get("repeat_until") and data.get("date") and \
                data["repeat_until"] <= data["date"]:
            self.add_error("repeat_until", _("The last date must come after the first."))
        if data.get("repeats") and data.get("repeat_until") and data.get("date") and \
                (data["repeat_until"] - data["date"]).days > 366:
            self.add_error("repeat_until", _("Repeat for at most a year."))
        if data.get("status") == "standby" and not data.get("standby_condition"):
            self.add_error("standby_condition", _("Say what must happen for this event to go ahead."))
        return data

    def clean_reminder_hours(self) -> list[int]:
        minutes = []
        for part in (self.cleaned_data.get("reminder_hours") or "").replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                hours = float(part)
            except ValueError:
                raise forms.ValidationError(_("Give hours as numbers, such as 24, 1 or 0.5.")) from None
            if not 0 < hours <= 24 * 14:
                raise forms.ValidationError(_("Reminders go between a few minutes and two weeks before."))
            minutes.append(round(hours * 60))
        return sorted(set(minutes), reverse=True)

    def local_times(self, zone: str) -> tuple[datetime, datetime | None]:
        from turnout.events.services import wall_clock

        day, start, end = self.cleaned_data["date"], self.cleaned_data["start"], self.cleaned_data.get("end")
        starts_at = wall_clock(day, start, zone)
        ends_at = wall_clock(self.cleaned_data.get("end_date") or day, end, zone) if end else None
        return starts_at, ends_at


class ShiftForm(forms.Form):
    label = forms.CharField(label=_("Shift"), max_length=100)
    start = forms.TimeField(label=_("Starts (local time)"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Ends (local time)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, required=False)


class HostForm(forms.Form):
    given_name = forms.CharField(label=_("Host's first name"), max_length=100)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=200)
    kind = forms.ChoiceField(label=_("Answer"), choices=Question.Kind.choices)
    choices = forms.CharField(label=_("Choices (one per line)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    required = forms.BooleanField(label=_("Required"), required=False)

    def clean_label(self) -> str:
        label: str = self.cleaned_data["label"]
        problem = question_problem(label)
        if problem:
            raise forms.ValidationError(problem)
        return label

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        options = [c.strip() for c in (data.get("choices") or "").splitlines() if c.strip()]
        if data.get("kind") == Question.Kind.CHOICE and len(options) < 2:
            self.add_error("choices", _("Give at least two choices, one per line."))
        data["choices"] = options
        problem = question_problem(data["label"], options) if data.get("label") else None
        if problem:
            self.add_error("choices", problem)
        return data


class CampaignForm(forms.ModelForm):
    class Meta:
        model = EventCampaign
        fields = ["group", "title", "description", "local_date", "local_start", "local_end", "status",
                  "standby_condition"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4}),
                   "local_date": forms.DateInput(attrs={"type": "date"}),
                   "local_start": forms.TimeInput(attrs={"type": "time"}),
                   "local_end": forms.TimeInput(attrs={"type": "time"})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]
        self.fields["status"].choices = [(v, label) for v, label in self.fields["status"].choices  # type: ignore[attr-defined]
                                         if v in ("scheduled", "standby", "draft")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("local_start") and data.get("local_end") and data["local_end"] <= data["local_start"]:
            self.add_error("local_end", _("The end time must come after the start time."))
        return data


class SiteForm(forms.Form):
    """A site of a campaign: where; the time comes from the campaign."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            help_text=_("Empty: the campaign's title and the city."))
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("ZIP code"), max_length=10)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, required=False)


class HostProposalForm(RsvpForm):
    """A volunteer offers to host a site of a campaign: who they are, and where."""

    venue = forms.CharField(label=_("Where will it be? (place name)"), max_length=200)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    site_zip = forms.CharField(label=_("ZIP code of the place"), max_length=10,
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    capacity = forms.IntegerField(label=_("How many people fit? (optional)"), min_value=1, required=False)



class CampaignRsvpForm(RsvpForm):
    """RSVP to a campaign: the nearest site is chosen from the ZIP."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["postal_code"].required = True
