"""The public JSON API (django-ninja, OpenAPI at /api/v1/docs)."""

from ninja import NinjaAPI
from ninja.security import django_auth

from nrs.registry.api import router as registry_router

api = NinjaAPI(title="NRS API", version="1", auth=django_auth,
               description="National Reporting System. Vietnamese and English error messages.")
api.add_router("/registry", registry_router)
