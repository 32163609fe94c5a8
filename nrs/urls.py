from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from nrs.accounts import views as account_views
from nrs.web import pwa, views
from nrs.web.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("sw.js", pwa.service_worker, name="pwa_service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="pwa_manifest"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("nrs.accounts.urls")),
    path("oidc/", include("nrs.accounts.oidc")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("nrs.registry.urls")),
    path("report/", include("nrs.collection.urls")),
    path("dashboard/", include("nrs.analytics.urls")),
    path("briefings/", include("nrs.reports.urls")),
    path("audit/", include("nrs.web.audit_views")),
    path("sdmx/", include("nrs.exchange.sdmx.urls")),
    path("public/", include("nrs.exchange.public.urls")),
    path("connectors/", include("nrs.exchange.connectors.urls")),
    # DHIS2-compatible push, one mount per partner system (issue 19, part 4).
    path("dhis2/", include("nrs.exchange.dhis2.urls")),
    # One sign-in page (rate limited, lockout, OIDC button) for the admin too.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
