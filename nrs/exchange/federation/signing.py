"""The node's identity: an Ed25519 key pair (cryptography), canonical JSON, and the
signature over a batch's exact bytes.

A public key travels as the base64 of its 32 raw bytes (what `nrs federation keygen`
prints and `nrs federation node add --public-key` takes); a PEM public key is accepted
too. Signatures are base64 of the 64 raw bytes, sent in the X-NRS-Signature header.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.lib.errors import InputError


def canonical(obj: Any) -> bytes:
    """One byte string per document (sorted keys, no spaces, UTF-8), so that the sender
    signs and the receiver verifies the same bytes whoever serialises them."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def generate(path: Path) -> Ed25519PrivateKey:
    """Write a new private key as PKCS#8 PEM, readable by the owner only (0600).
    Refuses to overwrite: replacing a node's key breaks its registration upstream."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(str(path), *bilingual(_("the node key is not an Ed25519 key")))
    return key


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public(text: str) -> Ed25519PublicKey:
    """A public key from base64 raw bytes or PEM; InputError('public_key', …) otherwise."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
            if isinstance(key, Ed25519PublicKey):
                return key
        else:
            return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        pass
    raise InputError("public_key", *bilingual(_("not a valid Ed25519 public key (base64 of 32 "
                                                "bytes, or PEM)")))


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify(public_key: str, data: bytes, signature: str) -> bool:
    """Does ``signature`` (base64) sign exactly ``data`` under ``public_key``? Never raises
    on malformed input: anything that is not a valid signature is False."""
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
        parse_public(public_key).verify(raw, data)
    except (InvalidSignature, InputError, ValueError, binascii.Error):
        return False
    return True
