"""The envelope every QCVN 125 packet travels in: which standard, which packet type, a
packet id, the sender (this node) and when it was made, around the type's payload.

The standard's own envelope fields are not known to us (docs/exchange.md): these carry what
any exchange envelope must, so that a converter to the official format needs nothing more.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.registry.models import OrgUnit

STANDARD = "QCVN 125:2021/BTTTT"
STANDARD_VERSION = "2021"
# Our JSON rendering of the standard's objects: bumped when a payload changes incompatibly.
PROFILE = "nrs-qcvn125-json-1"
# Not a claim of conformity (hợp quy): the standard's field tables were not available.
CONFORMANCE = "provisional"
DEFAULT_SENDER = "CP"  # the Government's node, when NRS_NODE_UNIT is not set


class QcvnStandardOut(Schema):
    code: str = Field(description="the standard's designation")
    version: str = Field(description="the standard's year of issue")
    profile: str = Field(description="NRS's JSON rendering of the standard's objects")
    conformance: str = Field(description="'provisional': field names, nesting and envelope are NRS's own, "
                                         "not checked against the standard's field tables (docs/exchange.md)")


class QcvnPacketTypeOut(Schema):
    code: str = Field(description="the packet type's number, 01 to 13")
    key: str = Field(description="a stable English key for the packet type")
    name_vi: str
    name_en: str


class QcvnAgency(Schema):
    """An org unit or agency, by its NRS code (the statistics office's code for provinces)."""

    code: str
    name_vi: str
    name_en: str


class QcvnEnvelopeBase(Schema):
    """Fields shared by every packet; each packet type's model adds its ``payload``."""

    standard: QcvnStandardOut
    packetType: QcvnPacketTypeOut
    packetId: uuid.UUID = Field(description="a new UUID for each packet")
    sender: QcvnAgency = Field(description="this NRS node's org unit")
    createdAt: AwareDatetime = Field(description="ISO 8601 with the zone offset (+07:00)")


def agency(unit: OrgUnit | None) -> dict[str, str] | None:
    if unit is None:
        return None
    return {"code": unit.code, "name_vi": unit.name_vi, "name_en": unit.name_en}


def sender() -> dict[str, str]:
    """This node's org unit: NRS_NODE_UNIT (a unit code), the Government by default."""
    code = settings.NRS_NODE_UNIT or DEFAULT_SENDER
    unit = OrgUnit.objects.current().filter(code=code).first()
    return agency(unit) or {"code": code, "name_vi": code, "name_en": code}


def wrap(code: str, key: str, name_vi: str, name_en: str, payload: Any) -> dict[str, Any]:
    """The envelope around ``payload``, stamped now in the local zone (Asia/Ho_Chi_Minh)."""
    return {
        "standard": {"code": STANDARD, "version": STANDARD_VERSION, "profile": PROFILE,
                     "conformance": CONFORMANCE},
        "packetType": {"code": code, "key": key, "name_vi": name_vi, "name_en": name_en},
        "packetId": uuid.uuid4(),
        "sender": sender(),
        "createdAt": timezone.localtime().replace(microsecond=0),
        "payload": payload,
    }
