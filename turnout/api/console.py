"""Staff pages: register webhooks per group, read each one's delivery log, retry a delivery."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from turnout.accounts.models import Group, Role, User
from turnout.accounts.permissions import require_role_anywhere
from turnout.api import webhooks as hooks
from turnout.api.models import Webhook, WebhookDelivery


class WebhookForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https",
                         help_text=gettext_lazy("Turnout POSTs JSON here when people in the group are added or change."))
    group = forms.ModelChoiceField(label=gettext_lazy("Group"), queryset=Group.objects.none())
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["group"].queryset = Group.objects.visible_to(user, Role.ORGANIZER)  # type: ignore[attr-defined]


@login_required
@require_role_anywhere(Role.ORGANIZER)
def webhooks(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = WebhookForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        webhook = hooks.register_webhook(actor=user, group=form.cleaned_data["group"], url=form.cleaned_data["url"],
                                         description=form.cleaned_data["description"])
        response = render(request, "api/webhook_detail.html", _detail_context(request, webhook, new_secret=True))
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "api/webhooks.html", {"form": form, "webhooks": hooks.visible_webhooks(user)})


def _detail_context(request: HttpRequest, webhook: Webhook, **extra: object) -> dict[str, object]:
    page = Paginator(webhook.deliveries.all(), 50).get_page(request.GET.get("page"))
    return {"webhook": webhook, "page": page, "deliveries": page.object_list, **extra}


@login_required
def webhook_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    webhook = get_object_or_404(hooks.visible_webhooks(user), public_id=public_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            hooks.delete_webhook(actor=user, webhook=webhook)
            messages.success(request, _("Webhook removed."))
            return redirect("api:webhooks")
        if action in ("pause", "resume"):
            hooks.set_webhook_active(actor=user, webhook=webhook, active=action == "resume")
            messages.success(request, _("Webhook resumed.") if action == "resume" else _("Webhook paused."))
        return redirect(webhook)
    return render(request, "api/webhook_detail.html", _detail_context(request, webhook))


@login_required
@require_POST
def retry(request: HttpRequest, public_id: str, delivery_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    webhook = get_object_or_404(hooks.visible_webhooks(user), public_id=public_id)
    delivery = get_object_or_404(WebhookDelivery, webhook=webhook, public_id=delivery_id)
    hooks.retry_now(actor=user, delivery=delivery)
    messages.success(request, _("The delivery will be sent again in a moment."))
    return redirect(webhook)
