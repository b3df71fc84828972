from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "turnout.messaging"
    label = "messaging"
    verbose_name = "Messaging"
