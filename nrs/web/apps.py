from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "nrs.web"
    label = "web"
    default = True

    def ready(self) -> None:
        from nrs.web import checks  # noqa: F401  (registers the deploy checks)


class NRSAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "nrs.web.admin_site.NRSAdminSite"
