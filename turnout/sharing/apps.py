from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "turnout.sharing"
    label = "sharing"
    verbose_name = "Sharing"

    def ready(self) -> None:
        from turnout.messaging import merge
        from turnout.sharing.services import share_code

        # A message's {share_link} carries each person's own code (`merge.share_link`).
        merge.share_code = share_code
