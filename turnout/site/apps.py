from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "turnout.site"
    label = "site"
    verbose_name = "Turnout site"
