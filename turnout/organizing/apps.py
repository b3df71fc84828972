from django.apps import AppConfig


class OrganizingConfig(AppConfig):
    name = "turnout.organizing"
    label = "organizing"
    verbose_name = "Organizing"

    def ready(self) -> None:
        from turnout.organizing import (
            audiences,  # noqa: F401  (registers its audience)
            receivers,  # noqa: F401  (connects erasure and scan removal)
        )
