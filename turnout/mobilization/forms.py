"""Forms: joining the network and signing a pledge (public, phone first), and the organizer's forms."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role, StaffRole, User
from turnout.core import geo, kept
from turnout.events import services as events
from turnout.events.models import Event, EventCampaign, Status
from turnout.messaging import merge
from turnout.mobilization import services
from turnout.mobilization.models import (
    AVAILABILITY,
    LANGUAGES,
    SKILLS,
    Activation,
    Network,
    Plan,
    Pledge,
    packed,
    unpacked,
)
from turnout.people.forms import SignupForm, sender_name
from turnout.people.models import PersonList

TRAVEL = [(2, _("2 miles")), (5, _("5 miles")), (10, _("10 miles")), (25, _("25 miles")), (50, _("50 miles")),
          (100, _("100 miles"))]


def event_choice_label(event: Event) -> str:
    """An event as the activation form lists it: its title, then its day and time where it is."""
    return f"{event.title} — {events.when_text(event)}"


def network_consent_text(group: Group | None = None) -> str:
    return str(_("Text me when %(org)s calls on the network, sometimes on short notice. Msg & data rates may "
                 "apply. Reply STOP to stop.") % {"org": sender_name(group)})


class JoinForm(SignupForm):
    """The public network form: the RSVP form's person fields, and what the network needs to know."""

    travel_miles = forms.TypedChoiceField(label=_("How far can you travel?"), coerce=int, choices=TRAVEL, initial=10)
    availability = forms.MultipleChoiceField(label=_("When are you usually available?"), required=False,
                                             choices=AVAILABILITY, widget=forms.CheckboxSelectMultiple)
    skills = forms.MultipleChoiceField(label=_("Can you help as …"), required=False, choices=SKILLS,
                                       widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages you speak"), required=False, choices=LANGUAGES,
                                          widget=forms.CheckboxSelectMultiple)

    field_order = ["given_name", "family_name", "phone", "sms_consent", "email", "postal_code", "travel_miles",
                   "availability", "skills", "languages", "website"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_consent"].label = network_consent_text(self.group)
        self.fields["postal_code"].required = True


def _organizer_groups(user: User) -> Any:
    return Group.objects.visible_to(user, Role.ORGANIZER)


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = ["group", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = _organizer_groups(user)  # type: ignore[attr-defined]


class AddMembersForm(forms.Form):
    """Everyone with a tag, or on a saved list, into the network at once."""

    tag = forms.CharField(label=_("Everyone tagged"), max_length=100, required=False)
    person_list = forms.ModelChoiceField(label=_("Everyone on the list"), queryset=PersonList.objects.none(),
                                         required=False)
    captain = forms.ModelChoiceField(label=_("Looked after by captain"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, network: Network, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person_list"].queryset = PersonList.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["captain"].queryset = captains_for(network)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("tag") and not data.get("person_list"):
            raise forms.ValidationError(_("Choose a tag or a list."))
        return data


def captains_for(network: Network) -> Any:
    """Staff who may captain this network's members: host role or higher in its group or above it."""
    ancestors = [int(p) for p in network.group.path.strip("/").split("/") if p]
    return User.objects.filter(Q(is_superuser=True) | Q(pk__in=StaffRole.objects.filter(
        group_id__in=ancestors).values("user"))).distinct().order_by("email")


class CaptainForm(forms.Form):
    captain = forms.ModelChoiceField(label=_("Captain"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["captain"].queryset = captains_for(network)  # type: ignore[attr-defined]


class ActivationForm(forms.ModelForm):
    # Or a new event for the action, made when the activation is saved (its place is the action's ZIP).
    new_event_venue = forms.CharField(label=_("Or a new event: where people gather"), max_length=200, required=False,
                                      help_text=_("Made with the activation's title, at the action's ZIP code, "
                                                  "unlisted (only people with the link find it)."))
    new_event_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    new_event_date = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    new_event_time = forms.TimeField(label=_("Starts (local time)"), required=False,
                                     widget=forms.TimeInput(attrs={"type": "time"}))
    availability_choice = forms.MultipleChoiceField(label=_("Available"), required=False, choices=AVAILABILITY,
                                                    widget=forms.CheckboxSelectMultiple)
    skills_choice = forms.MultipleChoiceField(label=_("With any of these skills"), required=False, choices=SKILLS,
                                              widget=forms.CheckboxSelectMultiple)
    languages_choice = forms.MultipleChoiceField(label=_("Speaking any of"), required=False, choices=LANGUAGES,
                                                 widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Activation
        fields = ["title", "body", "body_es", "channels", "event", "followup", "followup_es", "postal_code", "miles",
                  "tag",
                  "is_drill", "sample_size", "ignore_quiet_hours", "override_reason", "escalate_below",
                  "escalate_after", "escalate_miles", "escalate_captains"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "body_es": forms.Textarea(attrs={"rows": 3}),
                   "followup": forms.Textarea(attrs={"rows": 2}), "followup_es": forms.Textarea(attrs={"rows": 2})}
        labels = {"ignore_quiet_hours": _("Emergency: send during quiet hours"),
                  "override_reason": _("Why this cannot wait (kept in the audit log)")}

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        # Events still to come (or under way), each with its own day and local time: a daily
        # meeting is one line per day, told apart by its date. The event linked already stays.
        soon = timezone.now() - timedelta(hours=12)
        event_field: forms.ModelChoiceField[Event] = self.fields["event"]  # type: ignore[assignment]
        event_field.queryset = Event.objects.filter(
            Q(starts_at__gte=soon) | Q(ends_at__gte=timezone.now()) | Q(pk=self.instance.event_id or 0),
            group__path__startswith=network.group.path,
            status__in=[Status.SCHEDULED, Status.STANDBY]).order_by("starts_at", "pk")
        event_field.label_from_instance = event_choice_label  # type: ignore[method-assign,assignment]
        for name in ("availability", "skills", "languages"):
            self.initial.setdefault(f"{name}_choice", unpacked(getattr(self.instance, name)))
        self.fields["body"].help_text = _("What, where and when. “Reply Y if you can come, N if you cannot.” is "
                                          "added to each text in the member's language. Merge fields: "
                                          "{first_name}, {last_name}, {name}. Texts over 160 characters (70 with "
                                          "accents or emoji) go as several segments.")
        self.fields["body_es"].help_text = _("For members whose language is Spanish. Left empty, they get the "
                                             "English message, with how to answer in Spanish.")
        self.fields["followup_es"].help_text = _("Left empty, Spanish speakers get the English details.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zip_code = (data.get("postal_code") or "").strip()
        place = geo.lookup_zip(zip_code) if zip_code else None
        if zip_code and place is None:
            self.add_error("postal_code", _("We do not know this ZIP code."))
        if data.get("miles") and not zip_code:
            self.add_error("postal_code", _("Give the action's ZIP code to choose people by distance."))
        if data.get("ignore_quiet_hours") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", _("Say why this cannot wait for quiet hours to end."))
        for name in ("body", "body_es", "followup", "followup_es"):
            try:
                services.check_activation_text(body=data.get(name) or "")
            except services.MobilizationError as exc:
                self.add_error(name, str(exc))
        if data.get("is_drill") and not data.get("sample_size"):
            self.add_error("sample_size", _("A drill goes to a sample: say how many people."))
        escalation = [data.get("escalate_below"), data.get("escalate_after")]
        wave = data.get("escalate_miles") or data.get("escalate_captains")
        if (any(escalation) or wave) and not (all(escalation) and wave):
            self.add_error("escalate_below", _("A second wave needs how many yeses, after how many minutes, and "
                                               "a wider radius or captains' calls (or both)."))
        if data.get("escalate_miles") and data.get("miles") and data["escalate_miles"] <= data["miles"]:
            self.add_error("escalate_miles", _("The second wave's radius must be wider than the first."))
        self._new_start = self._new_event_start(data, place)
        return data

    def _new_event_start(self, data: dict[str, Any], place: geo.Place | None) -> datetime | None:
        """When the new event starts, from its local day and time at the action's ZIP code."""
        if not any(data.get(f"new_event_{name}") for name in ("venue", "address", "date", "time")):
            return None
        if data.get("event"):
            self.add_error("new_event_venue", _("Link an existing event or describe a new one, not both."))
        if not data.get("new_event_venue"):
            self.add_error("new_event_venue", _("Say where people gather."))
        if not data.get("new_event_date") or not data.get("new_event_time"):
            self.add_error("new_event_date", _("Give the day and the local time the action starts."))
            return None
        if place is None:
            self.add_error("postal_code", _("A new event needs the action's ZIP code."))
            return None
        start = events.wall_clock(data["new_event_date"], data["new_event_time"], place.time_zone)
        if start <= timezone.now():
            self.add_error("new_event_date", _("That time has passed."))
        return start

    def activation_fields(self) -> dict[str, Any]:
        """The activation's fields as the service takes them (call after `is_valid`)."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}  # type: ignore[union-attr]
        for name in ("availability", "skills", "languages"):
            data[name] = packed(self.cleaned_data.get(f"{name}_choice") or [])
        return data

    def new_event(self) -> dict[str, Any] | None:
        """The new event described on the form, if any (call after `is_valid`)."""
        if self._new_start is None:
            return None
        return {"venue": self.cleaned_data["new_event_venue"], "address": self.cleaned_data["new_event_address"],
                "starts_at": self._new_start}


class UpdateForm(forms.Form):
    body = forms.CharField(label=_("Update for everyone who said yes"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    body_es = forms.CharField(label=_("In Spanish"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class PledgeForm(forms.ModelForm):
    class Meta:
        model = Pledge
        fields = ["group", "title", "text", "goal", "is_open"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = _organizer_groups(user)  # type: ignore[attr-defined]


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["group", "name", "condition", "events", "campaigns", "pledges", "networks", "tell_rsvps",
                  "subject", "body", "body_es", "time_zone", "start_date", "start_days_after", "start_local_time",
                  "site_miles", "far_away", "notify_local_time", "notify_days_after", "requires_two_people"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "body_es": forms.Textarea(attrs={"rows": 3}),
                   "events": forms.CheckboxSelectMultiple, "campaigns": forms.CheckboxSelectMultiple,
                   "pledges": forms.CheckboxSelectMultiple, "networks": forms.CheckboxSelectMultiple,
                   "start_local_time": forms.TimeInput(attrs={"type": "time"}),
                   "start_date": forms.DateInput(attrs={"type": "date"}),
                   "notify_local_time": forms.TimeInput(attrs={"type": "time"})}
        labels = {"notify_days_after": _("… days after the trigger")}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = Group.objects.visible_to(user, Role.ADMIN)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["events"].queryset = Event.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            status=Status.STANDBY, campaign__isnull=True)
        self.fields["campaigns"].queryset = EventCampaign.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            status=Status.STANDBY)
        self.fields["pledges"].queryset = Pledge.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["networks"].queryset = Network.objects.visible_to(user)  # type: ignore[attr-defined]
        for name in ("site_miles", "far_away"):  # left empty: the plan's defaults
            self.fields[name].required = False

    def clean_site_miles(self) -> int:
        value = self.cleaned_data.get("site_miles")
        return int(value) if value is not None else int(Plan._meta.get_field("site_miles").default)

    def clean_far_away(self) -> str:
        return str(self.cleaned_data.get("far_away") or Plan.FarAway.NOTHING)

    def clean_time_zone(self) -> str:
        value: str = (self.cleaned_data.get("time_zone") or "").strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Give a time zone such as America/New_York."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") is not None:
            if data.get("start_days_after"):
                self.add_error("start_date", _("Give a date or a number of days after the trigger, not both."))
            if data.get("start_local_time") is None:
                self.add_error("start_local_time", _("Give the local time the sites start on that date."))
        if data.get("start_local_time") is not None and data.get("start_days_after") is None:
            data["start_days_after"] = 0
        # Refused here, field by field, so nobody learns of a mistyped field when the trigger is pulled.
        for name, check in (("subject", merge.check_subject), ("body", merge.check), ("body_es", merge.check)):
            try:
                check(data.get(name) or "")
            except merge.UnknownMergeField as exc:
                self.add_error(name, str(exc))
        return data


class TriggerForm(forms.Form):
    confirm = forms.CharField(label=_("Type the plan's name to confirm"), max_length=200)

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan

    def clean_confirm(self) -> str:
        value: str = self.cleaned_data["confirm"].strip()
        if value.casefold() != self.plan.name.strip().casefold():
            raise forms.ValidationError(_("That is not the plan's name. Nothing was done."))
        return value


def pledge_consent_text(group: Group | None = None) -> str:
    return str(_("Text me about this pledge and what we do next, from %(org)s. Msg & data rates may apply. "
                 "Reply STOP to stop.") % {"org": sender_name(group)})


class PledgeSignForm(SignupForm):
    """The public pledge: the person fields every public action asks, and the share code of
    whoever sent the link."""

    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_consent"].label = pledge_consent_text(self.group)


def pledge_form(pledge: Pledge, data: Any = None, **kwargs: Any) -> PledgeSignForm:
    """A pledge's public form, its fields built once per group's wording and language in each
    web process."""
    group = pledge.group
    key = ("pledge", group.pk, get_language(), pledge_consent_text(group))
    return kept.made(key, lambda: PledgeSignForm(group=group), data, **kwargs)
