from django.urls import path

from nrs.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("indicators/", views.indicator_list, name="indicator_list"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator_detail"),
    path("regimes/", views.regime_list, name="regime_list"),
    path("regimes/<str:code>/", views.regime_detail, name="regime_detail"),
]
