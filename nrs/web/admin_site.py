from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from nrs.accounts import access


class NRSAdminSite(admin.AdminSite):
    site_header = _("NRS administration")
    site_title = _("NRS")
    index_title = _("Registry metadata")

    def has_permission(self, request: HttpRequest) -> bool:
        return access.can_use_admin(request.user)
