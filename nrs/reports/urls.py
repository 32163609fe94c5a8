from django.urls import path

from nrs.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.briefings, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/download.<str:fmt>", views.download, name="download"),
    path("<int:pk>/archive/", views.archive, name="archive"),
]
