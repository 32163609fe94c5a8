from django.urls import path

from nrs.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("indicator/<str:code>/", views.indicator, name="indicator"),
    path("indicator/<str:code>/download.<str:fmt>", views.download, name="download"),
    path("province/<str:code>/", views.province, name="province"),
    path("screen/", views.screen, name="screen"),
    path("events/", views.events, name="events"),
    path("freshness/", views.freshness, name="freshness"),
]
