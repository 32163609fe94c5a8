"""/dhis2/{system}/api/…: the DHIS2-compatible mount of one partner system (push.py)."""

from django.urls import re_path

from nrs.exchange.dhis2 import push

_BASE = r"^(?P<system>[^/]{1,40})/api/(?:(?P<version>\d{2})/)?"

urlpatterns = [
    re_path(_BASE + r"dataValueSets(?:\.(?P<suffix>json|xml|csv|adx))?/?$", push.data_value_sets,
            name="dhis2_data_value_sets"),
    re_path(_BASE + r"system/tasks/(?P<job_type>[A-Z_]{1,40})/(?P<uid>[A-Za-z0-9]{1,11})/?$", push.task,
            name="dhis2_task"),
    re_path(_BASE + r"system/taskSummaries/(?P<job_type>[A-Z_]{1,40})/(?P<uid>[A-Za-z0-9]{1,11})/?$",
            push.task_summary, name="dhis2_task_summary"),
    re_path(r"^(?P<rest>.*)$", push.not_served, name="dhis2_not_served"),
]
