from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "nrs.exchange.connectors"
    label = "connectors"
    verbose_name = _("Connectors and webhooks")

    def ready(self) -> None:
        from nrs.exchange.connectors import checks, receivers  # noqa: F401  (deploy checks; webhooks on approve/revise)
