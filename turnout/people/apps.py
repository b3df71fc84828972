from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "turnout.people"
    label = "people"
    verbose_name = "People"
