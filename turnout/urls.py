from importlib.util import find_spec

from anymail import urls as anymail_urls
from django.urls import include, path
from django.views.i18n import set_language

from turnout.core import views as core_views
from turnout.messaging import views as messaging_views

# Email providers' reports (bounces, complaints, deliveries) through Anymail: its tracking
# webhooks only (Turnout receives no email), and Amazon SES's only where boto3 is installed.
email_report_patterns = [
    pattern for pattern in anymail_urls.urlpatterns
    if str(pattern.name).endswith("_tracking_webhook")
    and (find_spec("boto3") is not None or not str(pattern.name).startswith("amazon_ses"))
]

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
    path("hooks/email/", include((email_report_patterns, "anymail"))),
    path("messages/", include("turnout.messaging.urls")),
    path("u/<str:token>/", messaging_views.unsubscribe, name="unsubscribe"),
]
