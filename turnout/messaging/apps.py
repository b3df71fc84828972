from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "turnout.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from anymail.signals import tracking

        from turnout.messaging import erasure  # noqa: F401  (connects person_erasing)
        from turnout.messaging.email import on_provider_report

        # Bounces, complaints and deliveries from any email provider's webhook (/hooks/email/…).
        tracking.connect(on_provider_report, dispatch_uid="turnout.messaging.email")
