from django.urls import path

from nrs.collection import views

app_name = "collection"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("<str:regime_code>/<str:unit_code>/<str:period_id>/", views.report_form,
         name="report_form"),
    path("<str:regime_code>/<str:unit_code>/<str:period_id>/template.xlsx",
         views.excel_template, name="excel_template"),
]
