from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "turnout.accounts"
    label = "accounts"
    verbose_name = "Staff and groups"

    def ready(self) -> None:
        from turnout.accounts import signals  # noqa: F401
