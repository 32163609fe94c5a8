"""/sdmx/…: the SDMX REST endpoints (docs/exchange.md, "SDMX 2.1 export").

- structure/{type}[/{agency}[/{id}[/{version}]]]  (type: codelist, conceptscheme,
  datastructure, dataflow, or structure / all for everything)
- schema/{datastructure|dataflow}/{agency}/{id}[/{version}]?dimensionAtObservation=
- data/{flow}[/{key}[/{provider}]]?startPeriod=&endPeriod=&dimensionAtObservation=&knownOn=&format=
  &updatedAfter=&detail=&firstNObservations=&lastNObservations=
"""

from django.urls import URLPattern, path

from nrs.exchange.sdmx import views

app_name = "sdmx"
urlpatterns: list[URLPattern] = [
    path("structure/<path:path>", views.structure, name="structure"),
    path("data/<path:path>", views.data, name="data"),
    path("schema/<path:path>", views.schema, name="schema"),
]
