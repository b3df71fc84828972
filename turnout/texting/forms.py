from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role
from turnout.events.models import Event
from turnout.messaging import audience, merge
from turnout.people.forms import PeopleFilterForm
from turnout.texting import services

SCRIPT_HELP = _("Merge fields: {first_name} (the contact's), {texter_first_name}, and {event_link} or {share_link} "
                "with an event chosen. Name your organization and say "
                "how to opt out, for example “Reply STOP to opt out.”")


# What the campaign form leaves out and says for a phone bank and for door knocking.
ALONE: dict[str, dict[str, Any]] = {
    "phone": {
        "drop": ("senders", "event"),
        "script": _("What callers say. Merge fields: {first_name} (the contact's) and {texter_first_name} "
                    "(the caller's)."),
        "script_es": _("Shown to callers for contacts whose language is Spanish."),
        "from_group": _("The group calling; its staff supervise the phone bank."),
    },
    "door": {
        "drop": ("senders", "event", "call_from", "call_until", "bridged", "reassign_after"),
        "script": _("What canvassers say at the door. Merge fields: {first_name} (the person's) and "
                    "{texter_first_name} (the canvasser's)."),
        "script_es": _("Shown to canvassers for people whose language is Spanish."),
        "from_group": _("The group knocking; its staff supervise the campaign."),
    },
}


class CampaignForm(PeopleFilterForm):
    """The audience (the console's people filters) and the campaign's first text."""

    source = forms.ChoiceField(
        label=_("From"), required=False, choices=(),
        help_text=_("An event's attendees, a network's members or an organizing campaign's roster; the filters "
                    "below narrow it further."))
    title = forms.CharField(label=_("Title"), max_length=200)
    from_group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(),
                                        help_text=_("The group texting; its staff supervise the campaign."))
    script = forms.CharField(label=_("First text"), widget=forms.Textarea(attrs={"rows": 4}), help_text=SCRIPT_HELP)
    script_es = forms.CharField(label=_("First text in Spanish"), widget=forms.Textarea(attrs={"rows": 4}),
                                required=False,
                                help_text=_("Sent to contacts whose language is Spanish; empty: they get the text above."))
    event = forms.ModelChoiceField(
        label=_("Event the texts invite to"), queryset=Event.objects.none(), required=False, to_field_name="public_id",
        empty_label=_("None"),
        help_text=_("{event_link} in a text is its page; {share_link} the same page with the contact's own share "
                    "code, so whoever they pass it to is counted as theirs."))
    senders = forms.MultipleChoiceField(
        label=_("Text from"), widget=forms.CheckboxSelectMultiple, choices=(),
        help_text=_("The organization's numbers this campaign texts from, each at its own pace; a contact is "
                    "texted from one with their own area code when you choose one."))
    reassign_after = forms.IntegerField(label=_("Minutes before an unanswered conversation goes to another texter"),
                                        min_value=5, max_value=24 * 60, initial=20)

    call_from = forms.IntegerField(label=_("Call from (hour)"), min_value=0, max_value=23, initial=10,
                                   help_text=_("In each contact's own time zone."))
    call_until = forms.IntegerField(label=_("Call until (hour)"), min_value=1, max_value=24, initial=20)
    bridged = forms.BooleanField(
        label=_("Connect calls through Turnout"), required=False,
        help_text=_("Turnout rings the caller's phone, then the member, through Twilio: neither sees the other's "
                    "number. Otherwise callers dial from their own phones and see the number."))

    def __init__(self, *args: Any, user: Any, channel: str = "sms", **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.channel = channel
        if channel in ALONE:
            # A phone bank or door knocking: a script volunteers read, no texts, senders or event.
            words = ALONE[channel]
            for name in words["drop"]:
                del self.fields[name]
            self.fields["script"].label = _("Script")
            self.fields["script_es"].label = _("Script in Spanish")
            for name in ("script", "script_es", "from_group"):
                self.fields[name].help_text = words[name]
            if channel == "phone":
                self.fields["reassign_after"].label = _(
                    "Minutes a caller may hold a contact before another caller gets them")
                self.fields["reassign_after"].initial = 10
        else:
            del self.fields["call_from"], self.fields["call_until"], self.fields["bridged"]
        groups = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]
        self.fields["from_group"].queryset = groups  # type: ignore[attr-defined]
        if len(only := list(groups[:2])) == 1:  # one group: no choice to make
            self.fields["from_group"].initial = only[0].pk
        self.fields["source"].choices = [("", _("Everyone the filters match")),  # type: ignore[attr-defined]
                                         *audience.source_choices(user)]
        if "event" in self.fields:
            self.fields["event"].queryset = (  # type: ignore[attr-defined]
                Event.objects.visible_to(user, Role.ORGANIZER)
                .filter(starts_at__gte=timezone.now() - timedelta(days=1)).order_by("starts_at"))
        if "senders" in self.fields:
            numbers = services.sender_choices()
            self.fields["senders"].choices = [(n, n) for n in numbers]  # type: ignore[attr-defined]
            self.fields["senders"].initial = numbers

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.channel == "phone" and "call_from" in self.fields:
            start, end = data.get("call_from"), data.get("call_until")
            if start is not None and end is not None and start >= end:
                self.add_error("call_until", _("Calling hours must end after they start."))
        for name in ("script", "script_es"):
            try:
                services.check_script(data.get(name) or "")
            except merge.UnknownMergeField as exc:
                self.add_error(name, str(exc))
        try:
            services.needs_event({"event": data.get("event"), "script": data.get("script") or "",
                                  "script_es": data.get("script_es") or ""})
        except services.TextingError as exc:
            self.add_error("event" if "event" in self.fields else "script", str(exc))
        return data


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100,
                           help_text=_("Your first name goes in the texts you send."))
    email = forms.EmailField(label=_("Your email (optional)"), required=False,
                             help_text=_("We send your texting link here, and tell you when a reply waits."))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 2}), max_length=600)


class CannedForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=80, help_text=_("What the texter sees in the list."))
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=600,
                           help_text=SCRIPT_HELP.split(". ")[0] + ".")
    body_es = forms.CharField(label=_("Text in Spanish"), widget=forms.Textarea(attrs={"rows": 2}), max_length=600,
                              required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("body", "body_es"):
            try:
                services.check_script(data.get(name) or "")
            except merge.UnknownMergeField as exc:
                self.add_error(name, str(exc))
        return data


class QuestionForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), max_length=200)
    choices = forms.CharField(
        label=_("Answers"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: the answer, then optionally “| tag to apply | next text”. For example: "
                    "Yes | rally-yes | Great, {first_name}! See you at 6."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            parsed = services.parse_choices(data.get("choices") or "")
            for _label, _tag, follow_up in parsed:
                services.check_script(follow_up)
        except services.TextingError as exc:
            self.add_error("choices", str(exc))
        except merge.UnknownMergeField as exc:
            self.add_error("choices", str(exc))
        return data


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note to the texter"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=2000, help_text=_("Shown to the texter on this conversation."))
    resolved = forms.BooleanField(label=_("Dealt with: clear the flag"), required=False)


class CutForm(forms.Form):
    doors = forms.IntegerField(label=_("Doors in each turf, about"), min_value=5, max_value=500, initial=60)
