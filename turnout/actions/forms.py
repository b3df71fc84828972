"""Public action forms (a sign-up form's questions, a petition signature, a working group, an
endorsement) and the staff forms that build them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role, User
from turnout.actions.models import (
    Endorsement,
    Form,
    FormQuestion,
    Petition,
    Resolution,
    WorkingGroup,
)
from turnout.core import kept
from turnout.core.dangerous import question_kind, question_problem
from turnout.core.language import spanish
from turnout.people.forms import SignupForm, sender_name


def action_consent_text(group: Group | None = None) -> str:
    return str(_("Text me about this and other actions from %(org)s. Msg & data rates may apply. "
                 "Reply STOP to stop.") % {"org": sender_name(group)})


class ActionForm(SignupForm):
    """The person fields every public action asks, plus the share code of whoever sent the link."""

    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_consent"].label = action_consent_text(self.group)


class SubmissionForm(ActionForm):
    """A built form: the standard fields it asks for, then its own questions (labels in Spanish
    where the organizer gave them)."""

    def __init__(self, *args: Any, action: Form, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        if not action.ask_phone:
            del self.fields["phone"], self.fields["sms_consent"]
        if not action.ask_postal_code:
            del self.fields["postal_code"]
        # A question made before Turnout refused such wording is not asked any more (core.dangerous).
        self.built = [q for q in action.questions.all() if not asks_what_is_not_kept(q)]
        es = spanish()
        for question in self.built:
            name, label = f"fq{question.pk}", (question.label_es if es and question.label_es else question.label)
            required, kind = question.required, question.kind
            choices = [(c, c) for c in question.choice_list()]
            field: forms.Field
            if kind == FormQuestion.Kind.CHOICE:
                field = forms.ChoiceField(label=label, required=required, choices=[("", "—"), *choices])
            elif kind == FormQuestion.Kind.MULTIPLE:
                field = forms.MultipleChoiceField(label=label, required=required, choices=choices,
                                                  widget=forms.CheckboxSelectMultiple)
            elif kind == FormQuestion.Kind.YES_NO:
                field = forms.ChoiceField(label=label, required=required,
                                          choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
            elif kind == FormQuestion.Kind.DATE:
                field = forms.DateField(label=label, required=required,
                                        widget=forms.DateInput(attrs={"type": "date"}))
            else:
                field = forms.CharField(label=label, required=required, max_length=2000,
                                        widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[name] = field

    def clean(self) -> dict[str, Any]:
        for name in ("phone", "sms_consent", "postal_code"):
            self.cleaned_data.setdefault(name, "" if name != "sms_consent" else False)
        return super().clean()

    def answers(self) -> dict[str, str]:
        """Each question's answer as plain text, under the organizer's (English) wording."""
        result = {}
        for question in self.built:
            value = self.cleaned_data.get(f"fq{question.pk}")
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                value = ", ".join(value)
            elif question.kind == FormQuestion.Kind.DATE:
                value = value.isoformat()
            result[question.label] = str(value)
        return result


class SignPetitionForm(ActionForm):
    comment = forms.CharField(label=_("Why are you signing? (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    show_name = forms.BooleanField(label=_("Show my first name and city on this page"), required=False)
    field_order = ["given_name", "family_name", "email", "phone", "sms_consent", "postal_code", "comment", "show_name"]


def submission_form(action: Form, data: Any = None, **kwargs: Any) -> SubmissionForm:
    """A form's public form: its fields are built once per version of the form (saving it, or
    one of its questions, is a new version) and language in each web process, not for every
    submission."""
    key = ("form", action.public_id, action.updated_at, get_language(), action_consent_text(action.group))
    form = kept.made(key, lambda: SubmissionForm(action=action, group=action.group), data, **kwargs)
    form.action = action
    return form


def petition_form(petition: Petition, data: Any = None, **kwargs: Any) -> SignPetitionForm:
    """A petition's public form, its fields built once per group's wording and language in each
    web process."""
    group = petition.group
    key = ("petition", group.pk, get_language(), action_consent_text(group))
    return kept.made(key, lambda: SignPetitionForm(group=group), data, **kwargs)


class EndorseForm(forms.ModelForm):
    # Left empty by people; filled by bots that fill every field.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    class Meta:
        model = Endorsement
        fields = ["organization", "kind", "members_represented", "passed_on", "document", "contact_name",
                  "contact_email", "contact_phone", "postal_code"]
        widgets = {"passed_on": forms.DateInput(attrs={"type": "date"}),
                   "postal_code": forms.TextInput(attrs={"inputmode": "numeric"})}

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        if document and not str(document.name).lower().endswith((".pdf", ".doc", ".docx", ".odt", ".txt")):
            raise forms.ValidationError(_("Send the resolution as a PDF, Word, OpenDocument or text file."))
        return document


# --- staff ---------------------------------------------------------------------------------------


def _groups(user: User) -> Any:
    return Group.objects.visible_to(user, Role.ORGANIZER)


class _GroupForm(forms.ModelForm):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = _groups(user)  # type: ignore[attr-defined]


class FormForm(_GroupForm):
    class Meta:
        model = Form
        fields = ["group", "title", "title_es", "description", "description_es", "ask_phone", "ask_postal_code",
                  "tags", "thank_you", "thank_you_es", "redirect_url", "autoresponse_subject", "autoresponse_body",
                  "autoresponse_body_es", "is_open"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in (
            "description", "description_es", "thank_you", "thank_you_es", "autoresponse_body",
            "autoresponse_body_es")}


def asks_what_is_not_kept(question: FormQuestion) -> bool:
    return any(question_kind(label) for label in (question.label, question.label_es)) or bool(
        question_kind("", question.choice_list()))


class QuestionForm(forms.ModelForm):
    """One question of a form, in English and Spanish; neither its wordings nor its choices may ask
    for what Turnout does not keep."""

    def _wording(self, name: str) -> str:
        label: str = self.cleaned_data[name]
        problem = question_problem(label) if label else None
        if problem:
            raise forms.ValidationError(problem)
        return label

    def clean_label(self) -> str:
        return self._wording("label")

    def clean_label_es(self) -> str:
        return self._wording("label_es")

    def clean_choices(self) -> str:
        choices: str = self.cleaned_data["choices"]
        label = self.cleaned_data.get("label") or self.cleaned_data.get("label_es") or ""
        problem = question_problem(label, choices.splitlines()) if label else None
        if problem:
            raise forms.ValidationError(problem)
        return choices


QuestionFormSet = forms.inlineformset_factory(
    Form, FormQuestion, form=QuestionForm, fields=["position", "label", "label_es", "kind", "choices", "required"],
    extra=2, widgets={"choices": forms.Textarea(attrs={"rows": 2})})


class PetitionForm(_GroupForm):
    class Meta:
        model = Petition
        fields = ["group", "title", "petition_text", "targets", "goal", "is_open"]
        widgets = {"petition_text": forms.Textarea(attrs={"rows": 5}), "targets": forms.Textarea(attrs={"rows": 2})}


class ResolutionForm(_GroupForm):
    class Meta:
        model = Resolution
        fields = ["group", "title", "text", "passed_by", "passed_on", "vote", "document", "is_open"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6}), "passed_on": forms.DateInput(attrs={"type": "date"})}


class WorkingGroupForm(_GroupForm):
    class Meta:
        model = WorkingGroup
        fields = ["group", "name", "name_es", "description", "description_es", "coordinator", "is_open"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "description_es": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["coordinator"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, staff_roles__group__in=_groups(user)).distinct()
