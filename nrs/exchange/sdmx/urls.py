"""/sdmx/…: the SDMX 2.1 REST endpoints (docs/exchange.md, "SDMX 2.1 export"), as the SDMX
RESTful web services specification writes them:

- {resource}[/{agencyID}[/{resourceID}[/{version}]]]?references=&detail= for the structure
  resources NRS builds (resources.BUILT: dataflow, datastructure, codelist, conceptscheme,
  contentconstraint, categoryscheme, categorisation, agencyscheme); structure/{resource}/…
  (and structure/all) are the earlier paths, kept as aliases;
- data/{flowRef}[/{key}[/{providerRef}]]?startPeriod=&endPeriod=&dimensionAtObservation=
  &knownOn=&format=&updatedAfter=&detail=&firstNObservations=&lastNObservations=;
- availableconstraint/{flowRef}[/{key}[/{providerRef}[/{componentID}]]]?mode=&references=;
- schema/{datastructure|dataflow}/{agency}/{id}[/{version}]?dimensionAtObservation=;
- anything else: an SDMX error message, 501 for a 2.1 resource NRS does not build, else 404.
"""

from django.urls import URLPattern, path, re_path

from nrs.exchange.sdmx import resources, views

app_name = "sdmx"
_BUILT = "|".join((*resources.BUILT, *resources.ALIASES))
urlpatterns: list[URLPattern] = [
    path("structure/<path:path>", views.structure, name="structure"),
    path("data/<path:path>", views.data, name="data"),
    path("availableconstraint/<path:path>", views.availableconstraint, name="availableconstraint"),
    path("schema/<path:path>", views.schema, name="schema"),
    re_path(rf"^(?P<resource>{_BUILT})/?$", views.structure_resource, name="resource"),
    re_path(rf"^(?P<resource>{_BUILT})/(?P<path>.*)$", views.structure_resource, name="resource-path"),
    re_path(r"^(?P<path>.*)$", views.unknown, name="unknown"),
]
