import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrs.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from nrs.web.middleware import BodyLimit  # noqa: E402

# Oversize bodies are refused before Django reads or spools them (docs/security.md).
application = BodyLimit(django_application, settings.NRS_MAX_REQUEST_BYTES)
