from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from nrs.web import views
from nrs.web.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html"),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("nrs.registry.urls")),
    path("report/", include("nrs.collection.urls")),
    path("dashboard/", include("nrs.analytics.urls")),
    path("briefings/", include("nrs.reports.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
