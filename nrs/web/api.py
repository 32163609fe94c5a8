"""The public JSON API (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs.

Machine clients authenticate with `Authorization: Bearer nrs_…` tokens; people
through their browser session.
"""

from ninja import NinjaAPI
from ninja.security import django_auth

from nrs.accounts.api_auth import TokenAuth
from nrs.analytics.api import router as analytics_router
from nrs.collection.api import router as collection_router
from nrs.registry.api import router as registry_router

api = NinjaAPI(title="NRS API", version="1", auth=[TokenAuth(), django_auth],
               description="National Reporting System. Errors in Vietnamese and English.")
api.add_router("/registry", registry_router)
api.add_router("", collection_router)
api.add_router("", analytics_router)
