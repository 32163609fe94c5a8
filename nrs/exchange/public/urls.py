"""/public/…: the public data explorer (no sign-in; 404 unless NRS_PUBLIC is on).

- ""                                    released indicators
- <code>/                               an indicator: national series, provinces, map, calendar
- <code>/history/?unit=&period=         one figure's revision history (release by release)
- <code>/download.xlsx                  the released figures as XLSX
"""

from django.urls import URLPattern, path

from nrs.exchange.public import views

app_name = "public"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("<str:code>/", views.indicator, name="indicator"),
    path("<str:code>/history/", views.history, name="history"),
    path("<str:code>/download.xlsx", views.download, name="download"),
]
