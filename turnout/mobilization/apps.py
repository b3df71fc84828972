from django.apps import AppConfig


class MobilizationConfig(AppConfig):
    name = "turnout.mobilization"
    label = "mobilization"
    verbose_name = "Rapid mobilization"

    def ready(self) -> None:
        from turnout.messaging.signals import sms_reply
        from turnout.mobilization import (
            audiences,  # noqa: F401  (registers its audience)
            erasure,  # noqa: F401  (connects person_erasing)
        )
        from turnout.mobilization.replies import on_sms_reply

        # "Y" / "N" answers to an activation, before a reply is left for the inbox.
        sms_reply.connect(on_sms_reply, dispatch_uid="turnout.mobilization.replies")
