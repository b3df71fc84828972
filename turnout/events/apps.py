from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "turnout.events"
    label = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from turnout.events import erasure  # noqa: F401  (connects person_erasing)
