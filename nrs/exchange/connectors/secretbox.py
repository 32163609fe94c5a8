"""Credentials at rest: a connector's password or token, a webhook's signing secret.

Sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under keys derived
with HKDF-SHA256 from ``settings.NRS_CREDENTIALS_KEY``: a comma-separated list whose first
entry seals and every entry opens (MultiFernet), so a key can be rotated. Empty, the key is
derived from SECRET_KEY: one secret less to manage, but whoever holds SECRET_KEY and a copy
of the database can open the credentials, and changing SECRET_KEY makes them unreadable
(docs/exchange.md). The fallback is kept for the demo and the tests; `nrs check --deploy`
warns about it (connectors.W001, nrs/exchange/connectors/checks.py).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.lib.errors import InputError

_INFO = b"nrs.exchange.connectors credentials v1"


class SecretUnreadable(InputError):
    """A sealed secret that none of the configured keys opens (the key changed)."""


def _fernet(material: str) -> Fernet:
    """A Fernet key from any string: HKDF, so a short passphrase and a long random key
    both give a uniformly random 32-byte key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _box() -> MultiFernet:
    configured = [k.strip() for k in getattr(settings, "NRS_CREDENTIALS_KEY", "").split(",") if k.strip()]
    return MultiFernet([_fernet(k) for k in configured or [settings.SECRET_KEY]])


def seal(secret: str) -> str:
    """The secret, encrypted and authenticated; "" stays "" (no credential)."""
    if not secret:
        return ""
    return _box().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise SecretUnreadable("credentials", *bilingual(
            _("the stored credentials cannot be decrypted: did NRS_CREDENTIALS_KEY change? "
              "Enter them again"))) from None
