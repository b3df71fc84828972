from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role
from turnout.messaging import merge
from turnout.messaging.models import Channel
from turnout.people.forms import PeopleFilterForm


class ComposeForm(PeopleFilterForm):
    """The audience (the console's people filters) and the message itself."""

    channel = forms.ChoiceField(label=_("Send as"), choices=Channel.choices, initial=Channel.SMS)
    from_group = forms.ModelChoiceField(label=_("From"), queryset=Group.objects.none(),
                                        help_text=_("The group sending; its staff see the message and its replies."))
    subject = forms.CharField(label=_("Email subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Merge fields: {first_name}, {last_name}, {name} (or {{ first_name }} and so on)."))
    body_es = forms.CharField(label=_("Message in Spanish"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text=_("Sent to people whose language is Spanish; others get the message above."))
    ignore_quiet_hours = forms.BooleanField(
        label=_("Emergency: send now even outside 09:00 to 20:00 where people are"), required=False)
    override_reason = forms.CharField(label=_("Why this cannot wait"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["from_group"].queryset = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("channel") == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        if data.get("ignore_quiet_hours") and not data.get("override_reason", "").strip():
            self.add_error("override_reason", _("Say why this cannot wait: the reason is kept in the audit log."))
        for name, check in (("subject", merge.check_subject), ("body", merge.check), ("body_es", merge.check)):
            try:
                check(data.get(name) or "")
            except merge.UnknownMergeField as exc:
                self.add_error(name, str(exc))
        return data


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class TestSendForm(forms.Form):
    to = forms.CharField(label=_("Your mobile number"), max_length=40)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class OptOutListForm(forms.Form):
    file = forms.FileField(label=_("Numbers to opt out (CSV)"),
                           help_text=_("One number per line, or a CSV with a “phone” column. Every record of each "
                                       "number is opted out, in every group; a number no record holds is kept so "
                                       "that it starts opted out if it is ever added."))
    group = forms.ModelChoiceField(label=_("Uploaded for"), queryset=Group.objects.none(),
                                   help_text=_("The group whose admins may undo the upload."))

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
