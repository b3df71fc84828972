from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "turnout.actions"
    label = "actions"
    verbose_name = "Forms, petitions, resolutions and resource centers"
