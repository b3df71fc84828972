from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role
from turnout.core import geo
from turnout.core.dangerous import dangerous_reason
from turnout.people import importer
from turnout.people.contact import InvalidContact, normalize_email, normalize_phone
from turnout.people.models import Membership, Person, PersonList, Tag
from turnout.people.signup import PublicSignup


def sender_name(group: Group | None) -> str:
    """Who a public page's consent box says the texts come from: the owning group's public name,
    or the deployment's own name on a page that belongs to no group."""
    return group.public_name if group is not None else settings.ORGANIZATION_NAME


class SignupForm(forms.Form):
    """The person fields every public page asks (phone first, English and Spanish): an RSVP, a
    form, a petition, a pledge, a network join, a request to organize, a union card. What it
    gives becomes a `PublicSignup` for `signup.sign_up`."""

    given_name = forms.CharField(label=_("First name"), max_length=100,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    family_name = forms.CharField(label=_("Last name"), max_length=100, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.CharField(label=_("Email"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    sms_consent = forms.BooleanField(required=False)
    postal_code = forms.CharField(label=_("ZIP code"), max_length=10, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}))
    # Left empty by people; filled by bots that fill every field.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args: Any, group: Group | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The group whose page this is: the consent words name who will send the texts.
        self.group = group
        # Each page names what the texts are about; this is the words for any page that does not.
        self.fields["sms_consent"].label = _(
            "Text me about this and other actions from %(org)s. Msg & data rates may apply. "
            "Reply STOP to stop.") % {"org": sender_name(group)}

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if not value:
            return ""
        try:
            return normalize_email(value)
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            return normalize_phone(value)[0]
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        if value and geo.lookup_zip(value) is None:
            raise forms.ValidationError(_("We do not know this ZIP code."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and not self.errors.get("email") \
                and not self.errors.get("phone"):
            raise forms.ValidationError(_("Give an email address or a mobile number, so we can confirm."))
        if data.get("sms_consent") and not data.get("phone"):
            self.add_error("phone", _("Give a mobile number to get texts."))
        return data

    def _request_fields(self, source: str) -> dict[str, Any]:
        """What the form asked for, with the consent words the person saw (this form's own label),
        in their language."""
        data = self.cleaned_data
        return {"given_name": data["given_name"], "family_name": data["family_name"], "email": data["email"],
                "phone": data["phone"], "postal_code": data["postal_code"], "language": (get_language() or "en")[:2],
                "sms_consent_text": str(self.fields["sms_consent"].label) if data["sms_consent"] else "",
                "answers": self.answers(), "source": source}

    def answers(self) -> dict[str, str]:
        """The page's own questions, answered (none on a page that asks none)."""
        return {}

    def person_request(self, source: str) -> PublicSignup:
        return PublicSignup(**self._request_fields(source))


class GroupChoiceMixin:
    def limit_groups(self, user: Any, role: str) -> None:
        groups = Group.objects.visible_to(user, role)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        if len(groups[:2]) == 1:
            self.fields["group"].initial = groups[0]  # type: ignore[attr-defined]


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name, email or phone"), "type": "search"}))
    tag = forms.CharField(label=_("Tag"), required=False)
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(), required=False,
                                   to_field_name="slug", empty_label=_("All my groups"))
    status = forms.ChoiceField(label=_("Membership"), required=False,
                               choices=[("", _("Any status")), *Membership.Status.choices])
    zip = forms.CharField(label=_("Near ZIP"), required=False, max_length=10)
    miles = forms.FloatField(label=_("Within miles"), required=False, min_value=0.1, max_value=500)
    list = forms.ModelChoiceField(label=_("List"), queryset=PersonList.objects.none(), required=False,
                                  to_field_name="public_id", empty_label=_("Any list"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["group"].queryset = Group.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["list"].queryset = PersonList.objects.visible_to(user)  # type: ignore[attr-defined]

    def clean_tag(self) -> Any:
        """The tags of that name among the groups the user sees (None: no tag asked for): another
        group's tag of the same name is not this user's to filter by."""
        name = self.cleaned_data["tag"].strip()
        return Tag.objects.visible_to(self.user).named(name) if name else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("zip"):
            place = geo.lookup_zip(data["zip"])
            if place is None:
                self.add_error("zip", _("That is not a known US ZIP code."))
            else:
                data["near"] = (place.latitude, place.longitude)
                if not data.get("miles"):
                    data["miles"] = 10.0
        return data


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["given_name", "family_name", "preferred_name", "language", "address_line1", "address_line2",
                  "locality", "region", "postal_code", "country"]
        widgets = {"language": forms.Select(choices=[("en", "English"), ("es", "Español"), ("", "—")])}

    def clean_postal_code(self) -> str:
        value = self.cleaned_data.get("postal_code", "").strip()
        if value and self.cleaned_data.get("country", "US") in ("", "US") and geo.lookup_zip(value) is None:
            raise forms.ValidationError(_("That is not a known US ZIP code."))
        return value

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "US").upper()


class NewPersonForm(PersonForm, GroupChoiceMixin):
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none())
    membership_status = forms.ChoiceField(label=_("Membership"), choices=Membership.Status.choices)
    member_number = forms.CharField(label=_("Member number"), max_length=50, required=False)
    email = forms.CharField(label=_("Email"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    email_consent = forms.BooleanField(label=_("They agreed to receive email from us"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    sms_consent = forms.BooleanField(label=_("They agreed to receive text messages from us"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))

    class Meta(PersonForm.Meta):
        fields = ["group", "membership_status", "member_number", "given_name", "family_name", "preferred_name",
                  "email", "email_consent", "phone", "sms_consent", "language", "address_line1", "address_line2",
                  "locality", "region", "postal_code", "country", "tags"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_groups(user, Role.ORGANIZER)

    def clean_email(self) -> str:
        value = self.cleaned_data.get("email", "")
        try:
            return normalize_email(value) if value.strip() else ""
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "")
        if not value.strip():
            return ""
        try:
            number, self.phone_kind = normalize_phone(value)
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and not self.has_error("email") and not self.has_error("phone"):
            raise forms.ValidationError(_("Give an email address or a phone number."))
        return data


class AddEmailForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254)
    consent = forms.BooleanField(label=_("They agreed to receive email"), required=False)

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None


class AddPhoneForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=40)
    consent = forms.BooleanField(label=_("They agreed to receive text messages"), required=False)

    def clean_phone(self) -> str:
        try:
            number, self.kind = normalize_phone(self.cleaned_data["phone"])
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None
        return number


class MembershipForm(forms.Form, GroupChoiceMixin):
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=Membership.Status.choices)
    member_number = forms.CharField(label=_("Member number"), max_length=50, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_groups(user, Role.ORGANIZER)


class ImportForm(forms.Form, GroupChoiceMixin):
    file = forms.FileField(label=_("CSV file"))
    group = forms.ModelChoiceField(label=_("Add everyone to"), queryset=Group.objects.none())
    membership = forms.ChoiceField(
        label=_("The people in this file are"), widget=forms.RadioSelect,
        choices=[(Membership.Status.MEMBER, _("members of the union")),
                 (Membership.Status.SUPPORTER, _("supporters or contacts, not members"))],
        help_text=_("A membership status column in the file, where filled in, says it row by row."))
    tag = forms.CharField(label=_("Tag everyone with"), required=False, max_length=100)
    sms_consent_text = forms.CharField(
        label=_("Text-message consent"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only if everyone in this file agreed to texts: the words they agreed to. "
                    "Leave empty otherwise; a consent column in the file also works."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_groups(user, Role.ORGANIZER)


class SaveListForm(forms.Form):
    name = forms.CharField(label=_("List name"), max_length=200)
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(),
                                   help_text=_("Staff of this group (and groups above it) can use the list."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]


# What each field the importer reads is called on the preview, in the order it offers them.
IMPORT_FIELD_LABELS = {
    "email": _("Email"), "phone": _("Phone"), "given_name": _("First name"), "family_name": _("Last name"),
    "preferred_name": _("Preferred name"), "address_line1": _("Address"), "address_line2": _("Address line 2"),
    "locality": _("City"), "region": _("State"), "postal_code": _("ZIP code"), "country": _("Country"),
    "latitude": _("Latitude"), "longitude": _("Longitude"),
    "language": _("Language"), "member_number": _("Member number"), "membership_status": _("Membership status"),
    "tags": _("Tags"), "email_status": _("Email status"), "sms_opt_in": _("SMS opt-in"),
}
READ_AS_CUSTOM = "custom"


class ImportColumnsForm(forms.Form):
    """How each column of an upload is read: a field, a custom field (named here), or skipped.

    The fields are `read_as_<n>` and `name_<n>` for the n-th column; `columns` in cleaned_data is
    the list `imports.choose_columns` takes."""

    def __init__(self, *args: Any, previews: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.previews = previews
        choices = [("", _("Skip this column")), *IMPORT_FIELD_LABELS.items(),
                   (READ_AS_CUSTOM, _("Custom field (named on the right)"))]
        for column in previews:
            detected = column.detected
            custom = detected.startswith(importer.CUSTOM)
            self.fields[f"read_as_{column.index}"] = forms.ChoiceField(
                label=column.header or _("Column %(n)s") % {"n": column.index + 1}, choices=choices, required=False,
                initial=READ_AS_CUSTOM if custom else detected)
            # Empty, a custom field takes the column's header as its name.
            self.fields[f"name_{column.index}"] = forms.CharField(
                label=_("Custom field name"), max_length=100, required=False,
                initial=detected.removeprefix(importer.CUSTOM) if custom else "",
                widget=forms.TextInput(attrs={"placeholder": column.header[:100]}))

    def rows(self) -> list[tuple[Any, str, forms.BoundField, forms.BoundField]]:
        """(the column's preview, how Turnout reads it unless told, its choice, its custom field name)
        for each column."""
        return [(column, self.detected_label(column.detected), self[f"read_as_{column.index}"],
                 self[f"name_{column.index}"]) for column in self.previews]

    @staticmethod
    def detected_label(detected: str) -> str:
        if detected.startswith(importer.CUSTOM):
            return _("custom field “%(name)s”") % {"name": detected.removeprefix(importer.CUSTOM)}
        return str(IMPORT_FIELD_LABELS[detected]) if detected in IMPORT_FIELD_LABELS else str(_("skipped"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        columns: list[str] = []
        fields_taken: dict[str, str] = {}
        names_taken: dict[str, str] = {}
        for column in self.previews:
            read_as, name_key = f"read_as_{column.index}", f"name_{column.index}"
            if read_as not in data:  # not a valid choice: the field has its error already
                columns.append(importer.SKIP)
                continue
            reading = data[read_as]
            if reading == READ_AS_CUSTOM:
                name = " ".join((data.get(name_key) or column.header[:100]).split())
                if name_key in self.errors:
                    pass
                elif not name:
                    self.add_error(name_key, _("Name the custom field, or skip the column."))
                elif reason := dangerous_reason(name):
                    self.add_error(name_key, _("“%(name)s” cannot be a custom field: %(reason)s")
                                   % {"name": name, "reason": reason})
                elif importer.header_field(name) is not None:
                    self.add_error(name_key, _("“%(name)s” is what Turnout calls one of its own fields; "
                                               "choose that field, or another name.") % {"name": name})
                elif name.casefold() in names_taken:
                    self.add_error(name_key, _("Another column is already the custom field “%(name)s”.")
                                   % {"name": name})
                else:
                    names_taken[name.casefold()] = column.header
                columns.append(importer.CUSTOM + name)
            elif reading:
                if reading in fields_taken:
                    self.add_error(read_as, _("“%(other)s” is already read as %(field)s; choose one column for it.")
                                   % {"other": fields_taken[reading], "field": IMPORT_FIELD_LABELS[reading]})
                fields_taken[reading] = column.header
                columns.append(reading)
            else:
                columns.append(importer.SKIP)
        if "email" not in fields_taken and "phone" not in fields_taken:
            raise forms.ValidationError(_("Read one column as Email or as Phone: every person needs one."))
        data["columns"] = columns
        return data
