"""The registry of packet types: one class per type, registered by its code.

A packet type says what it is (code, key, names), which query parameters it takes (a ninja
Schema of text fields, parsed by ``params``), what its payload looks like (a ninja Schema,
which the OpenAPI publishes) and how to build that payload for a caller (``build``), and who
may ask for it (directories: any signed-in user; data packets check the unit themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_noop
from ninja import Schema

from nrs.accounts import access
from nrs.i18n import bilingual


class Refused(Exception):
    """An answer other than the packet: 403 (outside the caller's scope) or 404 (nothing
    there), in Vietnamese and English."""

    def __init__(self, status: int, vi: str, en: str, ref: str = "") -> None:
        self.status, self.vi, self.en, self.ref = status, vi, en, ref
        super().__init__(f"{status} {ref}: {en}")

    def as_dict(self) -> dict[str, str]:
        return {"status": "error", "ref": self.ref, "message_vi": self.vi, "message_en": self.en}


def outside_scope(ref: str = "orgUnit") -> Refused:
    return Refused(403, *bilingual(gettext_noop("this org unit is outside your scope")), ref)


@dataclass(frozen=True)
class Caller:
    """Who asks: the user, and the API token when they come through one."""

    user: Any
    token: Any = None

    def may(self, perm: access.Perm, unit: Any = None) -> bool:
        return access.has_perm(self.user, perm, unit, token=self.token)

    def scope(self, perm: access.Perm, field: str = "org_unit") -> Any:
        return access.scope_q(self.user, perm, field, token=self.token)


class QcvnNoParams(Schema):
    """A packet type without parameters."""


class PacketType:
    """Subclass, set the class attributes, implement ``build`` and decorate with
    ``@register``. ``build`` raises nrs.lib.errors.InputError (a bad parameter: 400)
    or ``Refused`` (403, 404)."""

    code: ClassVar[str]  # "01" … "13"
    key: ClassVar[str]  # "reporting_regime"
    name_vi: ClassVar[str]
    name_en: ClassVar[str]
    summary: ClassVar[str]  # one line for the OpenAPI
    data: ClassVar[bool] = False  # a data packet: scoped by unit (4, 5, 6, 7, 13)
    Params: ClassVar[type[Schema]] = QcvnNoParams
    Payload: ClassVar[type[Schema]]

    def build(self, caller: Caller, params: Any) -> dict[str, Any]:
        raise NotImplementedError

    def allowed(self, caller: Caller) -> bool:
        """Directories are reference metadata: any active signed-in user or token. Data
        packets are checked per unit inside ``build``."""
        return access.can_browse_registry(caller.user)


PACKETS: dict[str, PacketType] = {}


def register(cls: type[PacketType]) -> type[PacketType]:
    """Register a packet type by its code; a second, different type under a taken code
    is a programming error."""
    found = PACKETS.get(cls.code)
    if found is not None and type(found) is not cls:
        raise ValueError(f"QCVN packet type {cls.code} is already {type(found).__name__}")
    PACKETS[cls.code] = cls()
    return cls


def packets() -> list[PacketType]:
    """Every registered type, in code order (importing the packets package registers them)."""
    from nrs.exchange.qcvn import packets as _modules  # noqa: F401  (registers on import)

    return [PACKETS[code] for code in sorted(PACKETS)]
