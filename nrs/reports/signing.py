"""The identity that signs generated documents: a key and certificate read from
files (NRS_SIGNING_KEY, NRS_SIGNING_CERT; PEM). A government deployment points
them at the Government Office's signing certificate (or a token's export);
`nrs demo` creates a test CA and signer under var/pki/, named as demo."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings

from nrs.lib import signatures


@dataclass(frozen=True)
class Signer:
    identity: signatures.Identity
    name: str


def identity() -> Signer | None:
    key, cert = settings.NRS_SIGNING_KEY, settings.NRS_SIGNING_CERT
    if not (key.is_file() and cert.is_file()):
        return None
    cert_pem = cert.read_bytes()
    chain = settings.NRS_TRUST_ROOTS.read_bytes() if settings.NRS_TRUST_ROOTS.is_file() else b""
    loaded = x509.load_pem_x509_certificate(cert_pem)
    names = loaded.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else loaded.subject.rfc4514_string()
    return Signer(signatures.Identity(key.read_bytes(), cert_pem, (chain,) if chain else ()), name)
