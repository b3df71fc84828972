from django.urls import include, path
from django.views.i18n import set_language

from turnout.core import views as core_views
from turnout.messaging import views as messaging_views

core_patterns = [
    path("", core_views.dashboard, name="dashboard"),
]

urlpatterns = [
    path("", include((core_patterns, "core"))),
    path("health", core_views.health, name="health"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("turnout.accounts.urls")),
    path("people/", include("turnout.people.urls")),
    path("api/v2/", include("turnout.api.urls")),
    path("api/", include("turnout.api.console_urls")),
    path("hooks/", include("turnout.messaging.hook_urls")),
    path("messages/", include("turnout.messaging.urls")),
    path("u/<str:token>/", messaging_views.unsubscribe, name="unsubscribe"),
]
