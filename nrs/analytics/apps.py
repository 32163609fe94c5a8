from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "nrs.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from nrs.analytics import receivers  # noqa: F401  (connects the refresh on write)
