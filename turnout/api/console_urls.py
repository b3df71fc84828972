"""Console pages for the API: webhooks and their delivery log (tokens live on the account page)."""

from django.urls import path, re_path

from turnout.api import console, routes

app_name = "api"
urlpatterns = [
    path("webhooks/", console.webhooks, name="webhooks"),
    path("webhooks/<uuid:public_id>/", console.webhook_detail, name="webhook"),
    path("webhooks/<uuid:public_id>/deliveries/<uuid:delivery_id>/retry/", console.retry, name="retry"),
    re_path(r"^v2$", routes.view("entry")),
]
