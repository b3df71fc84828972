"""The staff forms that build a resource center and its blocks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from turnout.accounts.models import Group, Role, User
from turnout.events.models import EventCampaign
from turnout.hubs.models import Hub, HubItem


def _groups(user: User) -> Any:
    return Group.objects.visible_to(user, Role.ORGANIZER)


class HubForm(forms.ModelForm):
    class Meta:
        model = Hub
        fields = ["group", "slug", "title", "title_es", "intro", "intro_es", "campaign", "is_published"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 4}), "intro_es": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = _groups(user)  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = EventCampaign.objects.filter(  # type: ignore[attr-defined]
            group__in=_groups(user))


class HubItemForm(forms.ModelForm):
    class Meta:
        model = HubItem
        fields = ["position", "kind", "heading", "heading_es", "body", "body_es", "url", "file", "form", "petition",
                  "pledge", "resolution", "working_group"]
        widgets = {"body": forms.Textarea(attrs={"rows": 2}), "body_es": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, hub_group: Group | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if hub_group is not None:
            for name in ("form", "petition", "pledge", "resolution", "working_group"):
                field = self.fields[name]
                field.queryset = field.queryset.filter(group=hub_group)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        needs = {"form": "form", "petition": "petition", "pledge": "pledge", "resolution": "resolution",
                 "working_group": "working_group", "link": "url", "file": "file"}.get(kind or "")
        if needs and not data.get(needs) and not (needs == "file" and self.instance.file):
            self.add_error(needs, _("Choose what this block shows."))
        return data


HubItemFormSet = forms.inlineformset_factory(Hub, HubItem, form=HubItemForm, extra=2)
