from django.urls import path

from nrs.collection import files, views

app_name = "collection"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("files/<int:document_id>/", files.document_file, name="document_file"),
    path("files/<int:document_id>/remove/", files.remove_document, name="remove_document"),
    path("<str:regime_code>/<str:unit_code>/<str:period_id>/document/", files.current_document,
         name="current_document"),
    path("<str:regime_code>/<str:unit_code>/<str:period_id>/", views.report_form,
         name="report_form"),
    path("<str:regime_code>/<str:unit_code>/<str:period_id>/template.xlsx",
         views.excel_template, name="excel_template"),
]
