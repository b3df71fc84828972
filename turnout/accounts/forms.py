from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from turnout.accounts import branding
from turnout.accounts.models import Group, Role, User


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ConfirmPasswordForm(forms.Form):
    """Staff without an authenticator app confirm who they are with their password."""

    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Through authenticate(), as a login is: a wrong password counts towards the lockout
        # and is audited, so a stolen session cannot guess the password here without limit.
        if authenticate(self.request, username=self.user.email, password=password) != self.user:
            raise forms.ValidationError(_("That is not your password."))
        return str(password)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.ORGANIZER)


class SubgroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "slug", "kind"]


class GroupMessagingForm(forms.ModelForm):
    """What a group's emails say at the foot and when its texts may arrive."""

    class Meta:
        model = Group
        fields = ["postal_address", "texts_from", "texts_until"]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start, end = settings.QUIET_HOURS_WINDOW
        self.fields["texts_from"].widget.attrs.update(min=0, max=23, placeholder=str(start))
        self.fields["texts_until"].widget.attrs.update(min=1, max=24, placeholder=str(end))
        self.fields["texts_from"].help_text = _("Hour of the day where the recipient is, 0 to 23. Empty: %(h)s.") % {"h": start}
        self.fields["texts_until"].help_text = _("Hour of the day where the recipient is, 1 to 24. Empty: %(h)s.") % {"h": end}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("texts_from"), data.get("texts_until")
        if start is not None and start > 23:
            self.add_error("texts_from", _("Give an hour from 0 to 23."))
        if end is not None and not 1 <= end <= 24:
            self.add_error("texts_until", _("Give an hour from 1 to 24."))
        default_start, default_end = settings.QUIET_HOURS_WINDOW
        first = start if start is not None else default_start
        last = end if end is not None else default_end
        if not self.errors and first >= last:
            self.add_error("texts_until", _("Texts must be allowed to arrive for at least one hour: "
                                            "the end must come after the start."))
        return data


class GroupBrandForm(forms.ModelForm):
    """The name, colour and logo members see on the group's pages, emails and texts."""

    logo = forms.FileField(label=_("Logo"), required=False,
                           help_text=_("A PNG, JPEG, WebP or GIF picture of at most 1 MB; it is redrawn as a small PNG."),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Group
        fields = ["name", "accent_color"]
        labels = {"name": _("Public name")}
        help_texts = {"name": _("Shown on this group's public pages, and in its emails and texts."),
                      "accent_color": _("Buttons and links on this group's public pages, as #rrggbb "
                                        "(for example #1d4e89). Empty: Turnout's red.")}
        widgets = {"accent_color": forms.TextInput(attrs={"placeholder": "#1d4e89", "size": 8})}

    def clean_accent_color(self) -> str:
        return branding.check_accent(self.cleaned_data.get("accent_color") or "")

    def clean_logo(self) -> tuple[bytes, int, int] | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > branding.LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 1 MB: send a smaller picture."))
        return branding.redraw_logo(upload.read())


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: object, email: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.email = email

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(str(p1), User(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100,
                           help_text=_("For example “Parsons sync” or “volunteer spreadsheet”."))
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(),
                                   help_text=_("New people the token adds join this group. The token reads and "
                                               "changes everything you can see, in every group you hold a role in, "
                                               "not only this one."))

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["group"].queryset = Group.objects.visible_to(user)  # type: ignore[attr-defined]
