"""Deployment checks (`nrs check --deploy`) for connectors and webhooks (issue 18)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from nrs.lib import destinations


@register(Tags.security, deploy=True)
def credentials_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Connector and webhook secrets are sealed under a key derived from SECRET_KEY when
    NRS_CREDENTIALS_KEY is empty: whoever holds SECRET_KEY and the database opens them."""
    if str(getattr(settings, "NRS_CREDENTIALS_KEY", "") or "").strip():
        return []
    return [Warning(
        "NRS_CREDENTIALS_KEY is empty: connector and webhook secrets are sealed under a key derived "
        "from SECRET_KEY.",
        hint="Set NRS_CREDENTIALS_KEY to a long random value of its own (then re-enter the stored "
             "credentials, or list the SECRET_KEY-derived key second while rotating; docs/exchange.md).",
        id="connectors.W001")]


@register(Tags.security, deploy=True)
def fetch_allow_list(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An allow-list entry as wide as 0.0.0.0/0 or ::/0 switches the destination policy off."""
    broad = destinations.broad_entries(getattr(settings, "NRS_FETCH_ALLOW", []) or [])
    if not broad:
        return []
    return [Warning(
        f"NRS_FETCH_ALLOW admits broad address ranges ({', '.join(broad)}): connectors and webhooks may "
        "reach internal services.",
        hint="List only the hosts, addresses or small networks of the internal systems NRS must reach.",
        id="connectors.W002")]
