from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "turnout.core"
    label = "core"
    verbose_name = "Turnout core"
