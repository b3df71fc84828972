from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "turnout.core"
    label = "core"
    verbose_name = "Turnout core"

    def ready(self) -> None:
        from turnout.core import checks  # noqa: F401  (registers the deploy checks)
