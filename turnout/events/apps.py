from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "turnout.events"
    label = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from turnout.events import (
            audiences,  # noqa: F401  (registers its audience)
            erasure,  # noqa: F401  (connects person_erasing)
        )
