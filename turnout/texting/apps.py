from django.apps import AppConfig


class TextingConfig(AppConfig):
    name = "turnout.texting"
    label = "texting"
    verbose_name = "Peer-to-peer texting"

    def ready(self) -> None:
        from turnout.messaging.signals import sms_reply
        from turnout.texting import receivers  # noqa: F401  (connects people_merging)
        from turnout.texting.replies import on_sms_reply

        # A reply to a texter's conversation lands in that conversation, before the inbox.
        sms_reply.connect(on_sms_reply, dispatch_uid="turnout.texting.replies")
