from django.apps import AppConfig


class HubsConfig(AppConfig):
    name = "turnout.hubs"
    label = "hubs"
    verbose_name = "Resource centers"
