from django.apps import AppConfig


class OrganizingConfig(AppConfig):
    name = "turnout.organizing"
    label = "organizing"
    verbose_name = "Organizing"
