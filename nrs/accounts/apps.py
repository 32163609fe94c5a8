from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "nrs.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from nrs.accounts import signals  # noqa: F401  (login/logout audit)
