from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "turnout.sharing"
    label = "sharing"
    verbose_name = "Sharing"
