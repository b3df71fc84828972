from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "turnout.actions"
    label = "actions"
    verbose_name = "Forms, petitions, resolutions and resource centers"

    def ready(self) -> None:
        from turnout.actions import erasure  # noqa: F401  (connects person_erasing)
