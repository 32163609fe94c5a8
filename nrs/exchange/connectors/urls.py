from django.urls import path

from nrs.exchange.connectors import views

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="list"),
    path("<int:pk>/", views.connector_detail, name="detail"),
]
