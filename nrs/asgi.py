import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrs.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.core.wsgi import get_wsgi_application  # noqa: E402

from nrs.web.dispatch import ReadsOnThreads  # noqa: E402
from nrs.web.middleware import BodyLimit  # noqa: E402

# Reads run on a fixed pool of threads through Django's WSGI handler; writes and async views
# through its ASGI handler (nrs/web/dispatch.py, decision 36).
routed = ReadsOnThreads(django_application, get_wsgi_application(), settings.NRS_READ_THREADS)
# Oversize bodies are refused before Django reads or spools them (docs/security.md).
application = BodyLimit(routed, settings.NRS_MAX_REQUEST_BYTES)
