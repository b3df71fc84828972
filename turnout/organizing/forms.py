"""Forms for organizing: the public request and card pages, and the staff forms behind them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, User
from turnout.organizing.models import (
    DEFAULT_CARD_TEXT,
    DEFAULT_CARD_TEXT_ES,
    Area,
    Assessment,
    Campaign,
    Conversation,
    Industry,
    Request,
    Stage,
    Unit,
    Volunteer,
    Worker,
    Workplace,
)
from turnout.organizing.selectors import caseloads
from turnout.people.forms import SignupForm, sender_name

LANGUAGES = [("en", "English"), ("es", "Español"), ("zh", "中文"), ("vi", "Tiếng Việt"), ("tl", "Tagalog"),
             ("ko", "한국어"), ("ar", "العربية"), ("so", "Soomaali"), ("am", "አማርኛ"), ("ru", "Русский")]


def intake_consent_text(group: Group | None = None) -> str:
    return str(_("Text me about organizing my workplace, from %(org)s. Msg & data rates may apply. "
                 "Reply STOP to stop.") % {"org": sender_name(group)})


class IntakeForm(SignupForm):
    """Only what an organizer needs to follow up: who, how to reach them, where they work, and
    what is going on."""

    employer_name = forms.CharField(label=_("Employer"), max_length=200,
                                    widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    workplace_address = forms.CharField(label=_("Workplace address or location"), max_length=300, required=False,
                                        help_text=_("For example: the store at Pike and 5th."))
    industry = forms.ChoiceField(label=_("Industry"), choices=[("", "—"), *Industry.choices])
    size = forms.ChoiceField(label=_("How many people work there?"), choices=Request.Size.choices, required=False)
    story = forms.CharField(label=_("What is going on at work?"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    reach_by = forms.ChoiceField(label=_("Best way to reach you"), choices=Request.Reach.choices,
                                 widget=forms.RadioSelect, initial=Request.Reach.TEXT)
    best_time = forms.CharField(label=_("Best time to reach you"), max_length=100, required=False,
                                help_text=_("For example: weekdays after 6 pm."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_consent"].label = intake_consent_text(self.group)
        self.fields["postal_code"].required = True
        self.fields["postal_code"].label = _("Workplace ZIP code")
        self.order_fields(["given_name", "family_name", "phone", "sms_consent", "email", "reach_by", "best_time",
                           "employer_name", "workplace_address", "postal_code", "industry", "size", "story"])

    def clean(self) -> dict[str, Any]:
        try:
            data = super().clean()
        except forms.ValidationError:  # neither email nor phone: the way they chose says which is missing
            data = self.cleaned_data
        if data.get("reach_by") in (Request.Reach.TEXT, Request.Reach.CALL) and not data.get("phone") \
                and not self.errors.get("phone"):
            self.add_error("phone", _("Give a phone number, or choose email."))
        if data.get("reach_by") == Request.Reach.EMAIL and not data.get("email") and not self.errors.get("email"):
            self.add_error("email", _("Give an email address, or choose a phone."))
        return data


class CardForm(SignupForm):
    """The card: who signs, where they work and their job; then, on the second step, the signature."""

    unit = forms.ModelChoiceField(label=_("Your workplace"), queryset=Unit.objects.none(), empty_label="—")
    job_title = forms.CharField(label=_("Your job"), max_length=100)
    signature = forms.CharField(label=_("Type your full name to sign"), max_length=200, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    agree = forms.BooleanField(required=False)

    def __init__(self, *args: Any, campaign: Campaign, signing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["family_name"].required = True
        units = campaign.units.select_related("workplace").order_by("workplace__name")
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].label_from_instance = lambda u: u.workplace.name  # type: ignore[attr-defined]
        if units.count() == 1:
            self.fields["unit"].initial = units.first()
        self.fields["agree"].label = _("I have read this card and I sign it.")
        self.signing = signing
        if signing:
            self.fields["signature"].required = True
            self.fields["agree"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.signing and data.get("signature") and data.get("given_name"):
            expected = f"{data['given_name']} {data.get('family_name', '')}".strip()
            if " ".join(data["signature"].split()).casefold() != " ".join(expected.split()).casefold():
                self.add_error("signature", _("Type your name exactly as above: %(name)s") % {"name": expected})
        return data


# --- staff ---------------------------------------------------------------------------------------


class VolunteerForm(forms.ModelForm):
    industries = forms.MultipleChoiceField(label=_("Industries"), choices=Industry.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages"), choices=LANGUAGES, required=False,
                                          widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Volunteer
        fields = ["group", "user", "kind", "industries", "languages", "postal_code", "capacity", "active"]

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            staff_roles__group__in=groups, is_active=True).distinct()
        self.fields["user"].label = _("Staff account")
        self.fields["user"].help_text = _("Invite the volunteer as a host of the group first.")


class AssignForm(forms.Form):
    organizer = forms.ModelChoiceField(label=_("Volunteer organizer"), queryset=Volunteer.objects.none(),
                                       required=False, empty_label="—")
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=Volunteer.objects.none(), required=False,
                                    empty_label="—")

    over_capacity = forms.BooleanField(
        label=_("Assign even though they are full (they will carry more cases than they said they can)"),
        required=False)

    def __init__(self, *args: Any, request: Request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        volunteers = list(Volunteer.objects.filter(group__in=request.group.ancestors_and_self()).select_related("user"))
        load = caseloads(volunteers)
        self.any_full = any(load[v.pk] >= v.capacity for v in volunteers)

        def label(volunteer: Volunteer) -> str:
            cases = load.get(volunteer.pk, 0)
            return (_("%(name)s — %(n)s of %(capacity)s cases, full") if cases >= volunteer.capacity
                    else _("%(name)s — %(n)s of %(capacity)s cases")) % {
                "name": volunteer, "n": cases, "capacity": volunteer.capacity}

        every = Volunteer.objects.filter(pk__in=[v.pk for v in volunteers]).select_related("user")
        for name, excluded in (("organizer", Volunteer.Kind.MENTOR), ("mentor", Volunteer.Kind.ORGANIZER)):
            field = self.fields[name]
            field.queryset = every.exclude(kind=excluded)  # type: ignore[attr-defined]
            field.label_from_instance = label  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Request.Status.choices)
    reason = forms.CharField(label=_("Reason (when closing)"), max_length=200, required=False)


class WorkplaceForm(forms.ModelForm):
    employer_name = forms.CharField(label=_("Employer"), max_length=200)

    class Meta:
        model = Workplace
        fields = ["group", "employer_name", "name", "address", "postal_code", "industry", "unit_description"]
        widgets = {"unit_description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["employer_name"].initial = self.instance.employer.name
            del self.fields["group"]


class AreaForm(forms.Form):
    kind = forms.ChoiceField(label=_("Add a"), choices=Area.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["group", "name", "union_name", "card_text", "card_text_es", "card_valid_days", "supermajority"]
        widgets = {"card_text": forms.Textarea(attrs={"rows": 4}), "card_text_es": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        if self.instance.pk:
            del self.fields["group"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        english, spanish = data.get("card_text", ""), (data.get("card_text_es") or "").strip()
        if english and english.strip() != DEFAULT_CARD_TEXT and spanish == DEFAULT_CARD_TEXT_ES:
            # The default Spanish says the default English: under other English words it would
            # have Spanish signers sign something else.
            self.add_error("card_text_es", _("The English text changed: translate it in full here, or leave this "
                                             "empty so Spanish speakers read and sign the English text."))
        return data


class AddUnitForm(forms.Form):
    workplace = forms.ModelChoiceField(label=_("Workplace"), queryset=Workplace.objects.none())

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workplace"].queryset = (  # type: ignore[attr-defined]
            Workplace.objects.filter(group__path__startswith=campaign.group.path)
            .exclude(units__campaign=campaign).select_related("employer"))


class UnitVolunteersForm(forms.Form):
    volunteers = forms.ModelMultipleChoiceField(label=_("Assigned volunteers"), queryset=User.objects.none(),
                                                required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteers"].queryset = users  # type: ignore[attr-defined]


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


def _areas(workplace: Workplace, kind: str) -> QuerySet[Area]:
    return workplace.areas.filter(kind=kind)


class WorkerForm(forms.Form):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Area.objects.none(), required=False)
    shift = forms.ModelChoiceField(label=_("Shift"), queryset=Area.objects.none(), required=False)
    job = forms.ModelChoiceField(label=_("Job title"), queryset=Area.objects.none(), required=False)
    eligible = forms.BooleanField(label=_("In the unit"), required=False, initial=True)

    def __init__(self, *args: Any, workplace: Workplace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in ("department", "shift", "job"):
            self.fields[kind].queryset = _areas(workplace, kind)  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        from turnout.people.contact import InvalidContact, normalize_phone

        value = self.cleaned_data["phone"].strip()
        try:
            return normalize_phone(value)[0] if value else ""
        except InvalidContact as exc:
            raise forms.ValidationError(str(exc)) from None


class PlacementForm(forms.ModelForm):
    class Meta:
        model = Worker
        fields = ["department", "shift", "job", "eligible"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workplace = self.instance.unit.workplace
        for kind in ("department", "shift", "job"):
            self.fields[kind].queryset = _areas(workplace, kind)  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), required=False)
    text = forms.CharField(label=_("…or paste the rows"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload:
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("Save the file as CSV in UTF-8 and try again.")) from None
        if not data.get("text", "").strip():
            raise forms.ValidationError(_("Choose a CSV file or paste the rows."))
        return data


class AssessForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Support"), choices=Assessment.SCALE, coerce=int,
                                   widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes (kept encrypted)"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class ConversationForm(forms.Form):
    outcome = forms.ChoiceField(label=_("How it went"), choices=Conversation.Outcome.choices)
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes (kept encrypted)"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class StructureForm(forms.Form):
    on_committee = forms.BooleanField(label=_("On the organizing committee"), required=False)
    contact = forms.ModelChoiceField(label=_("Committee member who talks to them"), queryset=Worker.objects.none(),
                                     required=False)

    def __init__(self, *args: Any, worker: Worker, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (  # type: ignore[attr-defined]
            Worker.objects.filter(unit=worker.unit, on_committee=True).exclude(pk=worker.pk).select_related("person"))


class PaperCardForm(forms.Form):
    signed_on = forms.DateField(label=_("Date on the card"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(label=_("Scan or photo of the card"), required=False)

    def clean_scan(self) -> Any:
        scan = self.cleaned_data.get("scan")
        if scan and scan.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The scan is larger than 10 MB."))
        if scan and not (scan.name or "").lower().endswith((".pdf", ".png", ".jpg", ".jpeg", ".heic", ".webp")):
            raise forms.ValidationError(_("Upload a PDF or a photo (PNG, JPEG, HEIC, WebP)."))
        return scan
