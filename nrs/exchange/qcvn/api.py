"""The qcvn API router (/api/qcvn/…): the list of packet types, and one operation per
registered type at /api/qcvn/packets/<code>, each with its own parameters and its own
envelope schema in the OpenAPI.

No `from __future__ import annotations` here: ninja reads each generated operation's
parameter annotation (the packet type's Params schema) from the function object.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, create_model

from nrs.accounts.api_auth import request_token
from nrs.exchange.qcvn import envelope
from nrs.exchange.qcvn.registry import Caller, PacketType, QcvnNoParams, Refused, packets
from nrs.i18n import error_body
from nrs.lib.errors import InputError

router = Router(tags=["qcvn"])


class QcvnErrorOut(Schema):
    status: str
    ref: str = Field(description="the parameter at fault")
    message_vi: str
    message_en: str


class QcvnPacketTypeInfo(Schema):
    code: str
    key: str
    name_vi: str
    name_en: str
    summary: str
    path: str = Field(description="where to fetch it")
    scoped: bool = Field(description="a data packet: only units within your scope")


class QcvnPacketList(Schema):
    standard: envelope.QcvnStandardOut
    sender: envelope.QcvnAgency
    packets: list[QcvnPacketTypeInfo]


def _forbidden() -> dict[str, str]:
    return {**error_body(_("you may not read this packet")), "ref": ""}


def _path(packet: PacketType) -> str:
    return f"/packets/{packet.code}"


@router.get("/packets", response={200: QcvnPacketList}, operation_id="qcvn_packet_types",
            summary="QCVN 125 packet types")
def list_packets(request: HttpRequest) -> dict[str, Any]:
    """The packet types of QCVN 125:2021/BTTTT this node serves, and where to fetch each."""
    return {"standard": {"code": envelope.STANDARD, "version": envelope.STANDARD_VERSION,
                         "profile": envelope.PROFILE, "conformance": envelope.CONFORMANCE},
            "sender": envelope.sender(),
            "packets": [{"code": p.code, "key": p.key, "name_vi": p.name_vi, "name_en": p.name_en,
                         "summary": p.summary, "path": "/api/qcvn" + _path(p), "scoped": p.data}
                        for p in packets()]}


def envelope_model(packet: PacketType) -> type[Schema]:
    """The packet type's envelope: the shared fields plus its payload schema."""
    name = "Qcvn" + "".join(part.title() for part in packet.key.split("_")) + "Packet"
    model: type[Schema] = create_model(  # type: ignore[call-overload]
        name, __base__=envelope.QcvnEnvelopeBase,
        payload=(packet.Payload, Field(description=f"{packet.code}. {packet.name_en} / {packet.name_vi}")))
    model.__doc__ = f"QCVN 125 packet {packet.code}: {packet.name_en} ({packet.name_vi})."
    return model


def answer(packet: PacketType, request: HttpRequest, query: Any) -> Status[Any]:
    """Check who asks, build the payload, wrap it; refusals in Vietnamese and English."""
    caller = Caller(request.user, request_token(request))
    if not packet.allowed(caller):
        return Status(403, _forbidden())
    try:
        payload = packet.build(caller, query)
    except InputError as exc:
        return Status(400, exc.as_dict())
    except Refused as exc:
        return Status(exc.status, exc.as_dict())
    return Status(200, envelope.wrap(packet.code, packet.key, packet.name_vi, packet.name_en, payload))


def _add(packet: PacketType) -> None:
    params = packet.Params

    if params is QcvnNoParams:  # an empty Query schema would be a 422: no parameter at all
        def view(request: HttpRequest) -> Status[Any]:
            return answer(packet, request, QcvnNoParams())
    else:
        def view(request: HttpRequest, query: Query[params]) -> Status[Any]:  # type: ignore[valid-type,misc]
            return answer(packet, request, query)

    view.__name__ = f"packet_{packet.code}_{packet.key}"
    scope = ("Data packet: units within your scope only (approved values need the view-data "
             "permission, unapproved ones the unapproved-data permission). " if packet.data
             else "Directory: any signed-in user or API token. ")
    answers = {200: envelope_model(packet), 400: QcvnErrorOut, 403: QcvnErrorOut, 404: QcvnErrorOut}
    router.get(_path(packet), response=answers,
               operation_id=f"qcvn_packet_{packet.code}_{packet.key}",
               summary=f"QCVN 125 packet {packet.code}: {packet.name_en}",
               description=f"{packet.summary}. {scope}Bad parameters: 400 naming the parameter "
                           f"(message_vi, message_en).")(view)


for _packet in packets():
    _add(_packet)
