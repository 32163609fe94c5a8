"""/sdmx/…: the SDMX REST endpoints (filled in by the SDMX export)."""

from django.urls import URLPattern

app_name = "sdmx"
urlpatterns: list[URLPattern] = []
