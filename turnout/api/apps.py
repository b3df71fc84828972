from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "turnout.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from turnout.api import webhooks  # noqa: F401  (connects the people signals)
