"""NRS's provisional e-document package (nrs-edoc-1), modelled on what the national e-document
exchange platform (Trục liên thông văn bản quốc gia) carries; not its edXML format.

A package carries one administrative document: its Decree 30/2020/NĐ-CP metadata (số, ký hiệu,
ngày ban hành, loại văn bản, độ khẩn, trích yếu…), its files (the first is the main document),
the sending agency and the receiving agencies.

Formats are pluggable: ``FORMATS`` maps a name to a ``PackageFormat``. "nrs-edoc-1" is registered
here: a ZIP holding ``envelope.xml`` and ``attachments/<file name>`` (docs/exchange.md). The
platform's official edXML format can be registered beside it once its schema is available.

Pure: no Django, no database. Envelopes are written with ElementTree and read only with
defusedxml (no DTDs, entities or external references). Every bad input raises
``InputError(ref, vi, en)`` naming the member or the envelope element.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from nrs.lib.errors import InputError

URGENCIES = ("thuong", "khan", "thuong_khan", "hoa_toc")
URGENCY_NAMES = {"thuong": "Thường", "khan": "Khẩn", "thuong_khan": "Thượng khẩn", "hoa_toc": "Hỏa tốc"}

NS = "urn:nrs:edoc:1"
ENVELOPE = "envelope.xml"
ATTACHMENTS = "attachments/"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Agency:
    """An agency by its code (national agency code, or an NRS org unit code) and its name."""

    code: str
    name: str


@dataclass(frozen=True)
class DocumentMeta:
    """The document's administrative metadata (Decree 30/2020/NĐ-CP)."""

    number: str  # số, e.g. "123"
    symbol: str  # ký hiệu, e.g. "BC-VPCP"
    issued_on: date  # ngày ban hành
    doc_type: str  # loại văn bản, e.g. "Báo cáo"
    urgency: str  # độ khẩn: one of URGENCIES
    subject: str  # trích yếu
    signer: str = ""  # người ký
    place: str = ""  # địa danh, e.g. "Hà Nội"


@dataclass(frozen=True)
class Attachment:
    """One file of the package. Its size and SHA-256 are written to the envelope and checked on parse."""

    filename: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Package:
    """One document sent from one agency to one or more. ``attachments[0]`` is the main document;
    ``signed`` records that it carries a digital signature (verified elsewhere)."""

    package_id: str  # a UUID, canonical form
    created_at: datetime  # timezone-aware
    sender: Agency
    receivers: tuple[Agency, ...]
    meta: DocumentMeta
    attachments: tuple[Attachment, ...]
    signed: bool = False


@dataclass(frozen=True)
class Limits:
    """What a parser accepts (and so what a builder may produce)."""

    package_bytes: int = 100 * MIB  # the whole ZIP
    members: int = 50  # ZIP entries, envelope included
    total_bytes: int = 200 * MIB  # all members, uncompressed
    envelope_bytes: int = 1 * MIB
    ratio: int = 100  # uncompressed / compressed, for a member larger than ratio_floor
    ratio_floor: int = 1 * MIB
    directory_bytes: int = 1 * MIB  # the ZIP's central directory


class PackageFormat(Protocol):
    """A package format: ``sniff`` says cheaply (and never raises) whether bytes look like it."""

    name: str
    media_type: str
    extension: str

    def build(self, package: Package) -> bytes: ...

    def parse(self, data: bytes) -> Package: ...

    def sniff(self, data: bytes) -> bool: ...


FORMATS: dict[str, PackageFormat] = {}


def register(fmt: PackageFormat) -> None:
    """Add a format to ``FORMATS``; a different format under a taken name is a programming error."""
    existing = FORMATS.get(fmt.name)
    if existing is not None and existing is not fmt:
        raise ValueError(f"package format {fmt.name!r} is already registered")
    FORMATS[fmt.name] = fmt


def build(package: Package, format: str = "nrs-edoc-1") -> bytes:
    """The package's bytes in the named format (deterministic for the same package)."""
    return _format(format).build(package)


def parse(data: bytes, format: str | None = None) -> Package:
    """Read a package; with ``format=None`` the first registered format that sniffs it reads it."""
    fmt = _format(format) if format is not None else _sniff(data)
    return fmt.parse(data)


def _format(name: str) -> PackageFormat:
    fmt = FORMATS.get(name)
    if fmt is None:
        known = ", ".join(FORMATS)
        raise InputError(
            "format",
            f"Định dạng gói “{name}” không được hỗ trợ (hỗ trợ: {known}).",
            f"Unknown package format {name!r} (known: {known}).",
        )
    return fmt


def _sniff(data: bytes) -> PackageFormat:
    for fmt in FORMATS.values():
        if fmt.sniff(data):
            return fmt
    known = ", ".join(FORMATS)
    raise InputError(
        "package",
        f"Không nhận ra định dạng của gói (hỗ trợ: {known}).",
        f"Unrecognised package format (known: {known}).",
    )


# --- Checks shared by build and parse -------------------------------------------------------
# ``where`` turns a field path ("meta.urgency", "attachments[0].filename") into a ref: the Python
# field when building, the envelope element when parsing.

Where = Callable[[str], str]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_UNSAFE_FILENAME = re.compile(r'[/\\:*?"<>|]')
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
_REQUIRED_META = ("number", "symbol", "doc_type", "subject")
_OPTIONAL_META = ("signer", "place")


def _python_where(path: str) -> str:
    return f"package.{path}"


def check_package(package: Package, where: Where = _python_where, limits: Limits | None = None) -> None:
    """Raise InputError for the first thing wrong with ``package`` (what build refuses to write)."""
    limits = limits or Limits()
    _check_id(package.package_id, where("package_id"))
    created = package.created_at
    if not isinstance(created, datetime) or created.utcoffset() is None:
        raise InputError(
            where("created_at"),
            "Thời điểm tạo phải có múi giờ (ví dụ 2026-03-05T08:30:00+07:00).",
            "The creation time must be timezone-aware (e.g. 2026-03-05T08:30:00+07:00).",
        )
    _check_agency(package.sender, where, "sender")
    _check_receivers(package.receivers, where)
    _check_meta(package.meta, where)
    _check_attachments(package.attachments, where, limits)


def _check_id(value: str, ref: str) -> None:
    try:
        canonical = str(uuid.UUID(value)) == value
    except (ValueError, TypeError, AttributeError):
        canonical = False
    if not canonical:
        raise InputError(
            ref,
            f"Mã gói “{value}” phải là UUID dạng chuẩn (chữ thường, có gạch nối).",
            f"Package id {value!r} must be a UUID in canonical form (lower case, with hyphens).",
        )


def _check_text(value: object, ref: str, *, required: bool) -> None:
    if not isinstance(value, str):
        raise InputError(ref, "Giá trị phải là văn bản.", "The value must be text.")
    if required and not value.strip():
        raise InputError(ref, "Thiếu giá trị bắt buộc.", "A required value is missing.")
    bad = _CONTROL.search(value)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        raise InputError(
            ref, f"Có ký tự điều khiển không hợp lệ ({code}).", f"Contains an invalid control character ({code})."
        )


def _check_agency(agency: Agency, where: Where, path: str) -> None:
    _check_text(agency.code, where(f"{path}.code"), required=True)
    if any(ch.isspace() for ch in agency.code):
        raise InputError(
            where(f"{path}.code"),
            f"Mã cơ quan “{agency.code}” không được chứa khoảng trắng.",
            f"Agency code {agency.code!r} must not contain white space.",
        )
    _check_text(agency.name, where(f"{path}.name"), required=True)


def _check_receivers(receivers: tuple[Agency, ...], where: Where) -> None:
    if not receivers:
        raise InputError(
            where("receivers"), "Gói phải có ít nhất một nơi nhận.", "A package needs at least one receiver."
        )
    seen: set[str] = set()
    for i, receiver in enumerate(receivers):
        _check_agency(receiver, where, f"receivers[{i}]")
        if receiver.code in seen:
            raise InputError(
                where(f"receivers[{i}].code"),
                f"Nơi nhận “{receiver.code}” bị lặp.",
                f"Receiver {receiver.code!r} is listed twice.",
            )
        seen.add(receiver.code)


def _check_meta(meta: DocumentMeta, where: Where) -> None:
    for field in (*_REQUIRED_META, *_OPTIONAL_META):
        _check_text(getattr(meta, field), where(f"meta.{field}"), required=field in _REQUIRED_META)
    if meta.urgency not in URGENCIES:
        allowed = ", ".join(f"{code} ({URGENCY_NAMES[code]})" for code in URGENCIES)
        raise InputError(
            where("meta.urgency"),
            f"Độ khẩn “{meta.urgency}” không hợp lệ; dùng một trong: {allowed}.",
            f"Unknown urgency {meta.urgency!r}; use one of: {allowed}.",
        )
    if isinstance(meta.issued_on, datetime) or not isinstance(meta.issued_on, date):
        raise InputError(where("meta.issued_on"), "Ngày ban hành phải là một ngày.", "The issue date must be a date.")


def _check_attachments(attachments: tuple[Attachment, ...], where: Where, limits: Limits) -> None:
    if not attachments:
        raise InputError(
            where("attachments"),
            "Gói phải có ít nhất một tệp (văn bản chính).",
            "A package needs at least one attachment (the main document).",
        )
    if len(attachments) > limits.members - 1:
        raise InputError(
            where("attachments"),
            f"Gói có quá nhiều tệp ({len(attachments)}; tối đa {limits.members - 1}).",
            f"Too many attachments ({len(attachments)}; at most {limits.members - 1}).",
        )
    seen: set[str] = set()
    for i, attachment in enumerate(attachments):
        _check_filename(attachment.filename, where(f"attachments[{i}].filename"))
        if attachment.filename.casefold() in seen:
            raise InputError(
                where(f"attachments[{i}].filename"),
                f"Tên tệp “{attachment.filename}” bị trùng.",
                f"File name {attachment.filename!r} is used twice.",
            )
        seen.add(attachment.filename.casefold())
        _check_media_type(attachment.media_type, where(f"attachments[{i}].media_type"))
    _check_total(sum(len(a.data) for a in attachments), where("attachments"), limits)


def _check_filename(name: str, ref: str) -> None:
    _check_text(name, ref, required=True)
    if _UNSAFE_FILENAME.search(name) or name in (".", "..") or name != name.strip() or len(name.encode()) > 255:
        raise InputError(
            ref,
            f'Tên tệp “{name}” không an toàn: không được có thư mục, / \\ : * ? " < > |, “..”, '
            "khoảng trắng ở đầu/cuối, và tối đa 255 byte.",
            f"Unsafe file name {name!r}: no folders, / \\ : * ? \" < > |, '..', or surrounding spaces; "
            "at most 255 bytes.",
        )


def _check_media_type(value: str, ref: str) -> None:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise InputError(
            ref,
            f"Kiểu tệp “{value}” không hợp lệ (dạng loại/kiểu, ví dụ application/pdf).",
            f"Invalid media type {value!r} (type/subtype, e.g. application/pdf).",
        )


def _check_total(total: int, ref: str, limits: Limits) -> None:
    if total > limits.total_bytes:
        raise InputError(
            ref,
            f"Tổng dung lượng giải nén {total} byte vượt giới hạn {limits.total_bytes} byte.",
            f"Total uncompressed size {total} bytes exceeds the limit of {limits.total_bytes} bytes.",
        )


# --- nrs-edoc-1: a ZIP with envelope.xml and attachments/<file name> -------------------------

_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)
_SNIFF_ERRORS: tuple[type[Exception], ...] = (InputError, KeyError, *_ZIP_ERRORS)
_XML_ERRORS: tuple[type[Exception], ...] = (ET.ParseError, DefusedET.ParseError)
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_DRIVE = re.compile(r"[A-Za-z]:")
_ZIP_MIN = (1980, 1, 1, 0, 0, 0)
_ZIP_MAX = (2107, 12, 31, 23, 59, 58)
_SNIFF_BYTES = 1024
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(r"[0-9]{1,15}")
_BOOLS = {"true": True, "false": False}
# Python field -> envelope element, for refs.
_DOC_TAGS = {
    "number": "number",
    "symbol": "symbol",
    "issued_on": "issuedOn",
    "doc_type": "type",
    "urgency": "urgency",
    "subject": "subject",
    "signer": "signer",
    "place": "place",
}
_XML_NAMES = {"package_id": "id", "created_at": "createdAt", "meta": "document", "media_type": "mediaType", **_DOC_TAGS}
_INDEXED = re.compile(r"(\w+)s\[(\d+)\]")


def _xml_where(path: str) -> str:
    """'attachments[0].filename' -> 'envelope.xml: /attachments/attachment[1]/filename'."""
    parts = []
    for segment in path.split("."):
        indexed = _INDEXED.fullmatch(segment)
        if indexed:
            parts.append(f"{indexed[1]}s/{indexed[1]}[{int(indexed[2]) + 1}]")
        else:
            parts.append(_XML_NAMES.get(segment, segment))
    return f"{ENVELOPE}: /" + "/".join(parts)


class NrsEdoc1:
    """The NRS package format, version 1 (docs/exchange.md)."""

    name = "nrs-edoc-1"
    media_type = "application/vnd.nrs.edoc+zip"
    extension = ".edoc.zip"

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def build(self, package: Package) -> bytes:
        check_package(package, _python_where, self.limits)
        files = sorted((ATTACHMENTS + a.filename, a.data) for a in package.attachments)
        data = _zip([(ENVELOPE, _envelope(package)), *files], package.created_at)
        with self._open(data) as archive:  # never write what parse would refuse
            self._members(archive)
        return data

    def parse(self, data: bytes) -> Package:
        with self._open(data) as archive:
            members = self._members(archive)
            package, listed = _from_envelope(_load_envelope(archive, members[ENVELOPE]))
            check_package(package, _xml_where, self.limits)
            _check_listing(members, listed)
            files = tuple(
                _verified(archive, members[ATTACHMENTS + entry.attachment.filename], entry) for entry in listed
            )
        return replace(package, attachments=files)

    def sniff(self, data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with self._open(data) as archive, archive.open(ENVELOPE) as stream:
                head = stream.read(_SNIFF_BYTES)
        except _SNIFF_ERRORS:
            return False
        return any(quote + NS.encode() + quote in head for quote in (b'"', b"'"))

    def _open(self, data: bytes) -> zipfile.ZipFile:
        if not isinstance(data, bytes):
            raise InputError("package", "Gói phải là dữ liệu nhị phân (bytes).", "A package must be bytes.")
        if len(data) > self.limits.package_bytes:
            raise InputError(
                "package",
                f"Gói {len(data)} byte vượt giới hạn {self.limits.package_bytes} byte.",
                f"The package is {len(data)} bytes, over the limit of {self.limits.package_bytes} bytes.",
            )
        _check_directory(data, self.limits)
        try:
            return zipfile.ZipFile(io.BytesIO(data))
        except _ZIP_ERRORS as exc:
            raise _not_zip(exc) from exc

    def _members(self, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
        """The archive's files by name, after checking names, counts and sizes (nothing is inflated)."""
        infos = archive.infolist()
        _check_count(len(infos), self.limits)
        members: dict[str, zipfile.ZipInfo] = {}
        seen: set[str] = set()
        for info in infos:
            _check_member_name(info.filename)
            if info.filename.casefold() in seen:
                raise InputError(
                    info.filename, "Thành phần bị lặp trong gói.", "The member appears twice in the package."
                )
            seen.add(info.filename.casefold())
            _check_member(info, self.limits)
            if not info.is_dir():
                members[info.filename] = info
        _check_total(sum(info.file_size for info in infos), "package", self.limits)
        if ENVELOPE not in members:
            raise InputError(ENVELOPE, "Gói thiếu envelope.xml.", "The package has no envelope.xml.")
        return members


def _not_zip(exc: Exception | None = None) -> InputError:
    detail = f" ({exc})" if exc else ""
    return InputError("package", "Không phải tệp ZIP hợp lệ.", f"Not a valid ZIP archive{detail}.")


def _check_directory(data: bytes, limits: Limits) -> None:
    """Read the end-of-directory record before zipfile does, so that a huge or ZIP64 central
    directory is refused without building it in memory."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or len(data) - at < 22:
        raise _not_zip()
    if at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
        raise InputError("package", "Không hỗ trợ ZIP64.", "ZIP64 archives are not supported.")
    entries, size = struct.unpack_from("<HI", data, at + 10)
    _check_count(entries, limits)
    if size > limits.directory_bytes:
        raise InputError(
            "package",
            f"Danh mục ZIP {size} byte vượt giới hạn {limits.directory_bytes} byte.",
            f"The ZIP directory is {size} bytes, over the limit of {limits.directory_bytes} bytes.",
        )


def _check_count(count: int, limits: Limits) -> None:
    if count > limits.members:
        raise InputError(
            "package",
            f"Gói có {count} thành phần, vượt giới hạn {limits.members}.",
            f"The package has {count} members, over the limit of {limits.members}.",
        )


def _check_member_name(name: str) -> None:
    parts = name.split("/")
    if (
        "\\" in name
        or name.startswith("/")
        or _DRIVE.match(name)
        or ".." in parts
        or "." in parts
        or _CONTROL.search(name)
    ):
        raise InputError(
            name,
            "Tên thành phần không an toàn (đường dẫn tuyệt đối, “..”, dấu \\ hoặc ký tự điều khiển).",
            "Unsafe member name (absolute path, '..', backslash or control character).",
        )
    rest = name[len(ATTACHMENTS) :] if name.startswith(ATTACHMENTS) else None
    if name != ENVELOPE and (rest is None or "/" in rest):
        raise InputError(
            name,
            "Thành phần không thuộc cấu trúc gói (chỉ có envelope.xml và attachments/<tên tệp>).",
            "The member is not part of a package (only envelope.xml and attachments/<file name>).",
        )


def _check_member(info: zipfile.ZipInfo, limits: Limits) -> None:
    name, size = info.filename, info.file_size
    if info.flag_bits & 0x1:
        raise InputError(
            name, "Thành phần bị mã hóa; gói không được mã hóa.", "The member is encrypted; packages are not."
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(
            name,
            f"Phương thức nén {info.compress_type} không được hỗ trợ (chỉ stored/deflate).",
            f"Compression method {info.compress_type} is not supported (stored or deflate only).",
        )
    if name == ENVELOPE and size > limits.envelope_bytes:
        raise InputError(
            name,
            f"envelope.xml {size} byte vượt giới hạn {limits.envelope_bytes} byte.",
            f"envelope.xml is {size} bytes, over the limit of {limits.envelope_bytes} bytes.",
        )
    if size > limits.ratio_floor and size > limits.ratio * max(info.compress_size, 1):
        raise InputError(
            name,
            f"Tỷ lệ nén bất thường ({size} byte từ {info.compress_size} byte; tối đa {limits.ratio}:1): "
            "nghi là bom ZIP.",
            f"Suspicious compression ratio ({size} bytes from {info.compress_size}; at most {limits.ratio}:1): "
            "a likely ZIP bomb.",
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, inflating no more than its declared size (and the CRC checked)."""
    try:
        with archive.open(info) as stream:
            data = stream.read(info.file_size + 1)
    except _ZIP_ERRORS as exc:
        raise InputError(
            info.filename, "Thành phần bị hỏng, không đọc được.", f"The member is damaged ({exc})."
        ) from exc
    if len(data) != info.file_size:
        raise InputError(
            info.filename,
            "Kích thước thực của thành phần khác kích thước ghi trong ZIP.",
            "The member's real size differs from the size in the ZIP directory.",
        )
    return data


def _zip(entries: list[tuple[str, bytes]], created_at: datetime) -> bytes:
    """A ZIP with the entries in the given order, every one stamped with ``created_at``'s wall time."""
    stamp = (created_at.year, created_at.month, created_at.day, created_at.hour, created_at.minute, created_at.second)
    stamp = min(max(stamp, _ZIP_MIN), _ZIP_MAX)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, whatever the building platform
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buffer.getvalue()


# --- The envelope ----------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, _q(tag))
    if text:
        element.text = text
    return element


def _envelope(package: Package) -> bytes:
    root = ET.Element(_q("package"))
    _sub(root, "id", package.package_id)
    _sub(root, "createdAt", package.created_at.isoformat())
    _agency_element(root, "sender", package.sender)
    receivers = _sub(root, "receivers")
    for receiver in package.receivers:
        _agency_element(receivers, "receiver", receiver)
    document = _sub(root, "document")
    for field, tag in _DOC_TAGS.items():
        value = getattr(package.meta, field)
        _sub(document, tag, value.isoformat() if isinstance(value, date) else value)
    files = _sub(root, "attachments")
    for i, attachment in enumerate(package.attachments):
        _attachment_element(files, attachment, signed=package.signed and i == 0)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=NS) + b"\n"


def _agency_element(parent: ET.Element, tag: str, agency: Agency) -> None:
    element = _sub(parent, tag)
    _sub(element, "code", agency.code)
    _sub(element, "name", agency.name)


def _attachment_element(parent: ET.Element, attachment: Attachment, *, signed: bool) -> None:
    element = _sub(parent, "attachment")
    _sub(element, "filename", attachment.filename)
    _sub(element, "mediaType", attachment.media_type)
    _sub(element, "size", str(len(attachment.data)))
    _sub(element, "sha256", attachment.sha256)
    _sub(element, "signed", "true" if signed else "false")


def _load_envelope(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> ET.Element:
    raw = _read_member(archive, info)
    try:
        root: ET.Element = DefusedET.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InputError(
            ENVELOPE,
            "envelope.xml có DTD, khai báo thực thể (entity) hoặc tham chiếu ngoài; bị từ chối vì lý do an toàn.",
            f"envelope.xml has a DTD, an entity declaration or an external reference ({type(exc).__name__}); "
            "refused for safety.",
        ) from exc
    except _XML_ERRORS as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise InputError(
            f"{ENVELOPE}: line {line}, column {column}",
            "envelope.xml không phải XML hợp lệ.",
            f"envelope.xml is not well-formed XML ({exc}).",
        ) from exc
    if root.tag != _q("package"):
        raise InputError(
            f"{ENVELOPE}: /",
            f"Phần tử gốc phải là <package> trong không gian tên {NS}.",
            f"The root element must be <package> in the namespace {NS}.",
        )
    return root


class _Listed(NamedTuple):
    """An attachment as the envelope lists it (``attachment.data`` is still empty)."""

    attachment: Attachment
    size: int
    sha256: str
    signed: bool
    path: str


def _from_envelope(root: ET.Element) -> tuple[Package, list[_Listed]]:
    top = _children(root, "", ("id", "createdAt", "sender", "receivers", "document", "attachments"))
    receivers = _items(_need(top, "", "receivers"), "/receivers", "receiver")
    listed = [_listed(el, path) for el, path in _items(_need(top, "", "attachments"), "/attachments", "attachment")]
    for entry in listed[1:]:
        if entry.signed:
            raise InputError(
                f"{ENVELOPE}: {entry.path}/signed",
                "Chỉ văn bản chính (tệp đầu tiên) được ghi là đã ký số.",
                "Only the main document (the first attachment) can be marked as signed.",
            )
    package = Package(
        package_id=_text(top, "", "id"),
        created_at=_datetime(top, "", "createdAt"),
        sender=_agency(_need(top, "", "sender"), "/sender"),
        receivers=tuple(_agency(el, path) for el, path in receivers),
        meta=_meta(_need(top, "", "document")),
        attachments=tuple(entry.attachment for entry in listed),
        signed=bool(listed) and listed[0].signed,
    )
    return package, listed


def _children(element: ET.Element, path: str, allowed: tuple[str, ...]) -> dict[str, ET.Element]:
    """The element's children by local name; an unknown or repeated child is refused."""
    found: dict[str, ET.Element] = {}
    for child in element:
        local = child.tag.rpartition("}")[2]
        ref = f"{ENVELOPE}: {path}/{local}"
        if child.tag != _q(local) or local not in allowed:
            raise InputError(ref, "Phần tử không được phép ở đây.", "Element not allowed here.")
        if local in found:
            raise InputError(ref, "Phần tử bị lặp.", "Element repeated.")
        found[local] = child
    return found


def _items(element: ET.Element, path: str, tag: str) -> list[tuple[ET.Element, str]]:
    items = []
    for i, child in enumerate(element, 1):
        if child.tag != _q(tag):
            local = child.tag.rpartition("}")[2]
            raise InputError(
                f"{ENVELOPE}: {path}/{local}", f"Chỉ được có <{tag}> ở đây.", f"Only <{tag}> is allowed here."
            )
        items.append((child, f"{path}/{tag}[{i}]"))
    return items


def _need(found: dict[str, ET.Element], path: str, tag: str) -> ET.Element:
    element = found.get(tag)
    if element is None:
        raise InputError(f"{ENVELOPE}: {path}/{tag}", "Thiếu phần tử bắt buộc.", "A required element is missing.")
    return element


def _text(found: dict[str, ET.Element], path: str, tag: str, *, required: bool = True) -> str:
    if tag not in found and not required:
        return ""
    element = _need(found, path, tag)
    if len(element):
        raise InputError(
            f"{ENVELOPE}: {path}/{tag}", "Phần tử chỉ được chứa văn bản.", "The element must hold text only."
        )
    return element.text or ""


def _datetime(found: dict[str, ET.Element], path: str, tag: str) -> datetime:
    text = _text(found, path, tag)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{ENVELOPE}: {path}/{tag}",
            f"Thời điểm “{text}” không hợp lệ; dùng ISO 8601 có múi giờ, ví dụ 2026-03-05T08:30:00+07:00.",
            f"Invalid time {text!r}; use ISO 8601 with an offset, e.g. 2026-03-05T08:30:00+07:00.",
        ) from None


def _date(found: dict[str, ET.Element], path: str, tag: str) -> date:
    text = _text(found, path, tag)
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{ENVELOPE}: {path}/{tag}",
            f"Ngày “{text}” không hợp lệ; dùng dạng YYYY-MM-DD.",
            f"Invalid date {text!r}; use YYYY-MM-DD.",
        ) from None


def _matching(found: dict[str, ET.Element], path: str, tag: str, pattern: re.Pattern[str], form: str) -> str:
    text = _text(found, path, tag)
    if not pattern.fullmatch(text):
        raise InputError(
            f"{ENVELOPE}: {path}/{tag}", f"Giá trị “{text}” không hợp lệ ({form}).", f"Invalid value {text!r} ({form})."
        )
    return text


def _agency(element: ET.Element, path: str) -> Agency:
    found = _children(element, path, ("code", "name"))
    return Agency(code=_text(found, path, "code"), name=_text(found, path, "name"))


def _meta(element: ET.Element) -> DocumentMeta:
    found = _children(element, "/document", tuple(_DOC_TAGS.values()))
    values: dict[str, Any] = {
        field: _text(found, "/document", tag, required=field not in _OPTIONAL_META)
        for field, tag in _DOC_TAGS.items()
        if field != "issued_on"
    }
    return DocumentMeta(issued_on=_date(found, "/document", "issuedOn"), **values)


def _listed(element: ET.Element, path: str) -> _Listed:
    found = _children(element, path, ("filename", "mediaType", "size", "sha256", "signed"))
    signed = _matching(found, path, "signed", re.compile("true|false"), "true/false") if "signed" in found else "false"
    attachment = Attachment(_text(found, path, "filename"), _text(found, path, "mediaType"), b"")
    return _Listed(
        attachment=attachment,
        size=int(_matching(found, path, "size", _SIZE, "số byte / a byte count")),
        sha256=_matching(found, path, "sha256", _SHA256, "64 chữ số hex thường / 64 lower-case hex digits"),
        signed=_BOOLS[signed],
        path=path,
    )


def _check_listing(members: dict[str, zipfile.ZipInfo], listed: list[_Listed]) -> None:
    """Every listed attachment is in the ZIP, and every file in the ZIP is listed."""
    names = {ATTACHMENTS + entry.attachment.filename for entry in listed}
    for entry in listed:
        name = ATTACHMENTS + entry.attachment.filename
        if name not in members:
            raise InputError(
                name,
                "Tệp được liệt kê trong envelope.xml nhưng không có trong gói.",
                "The file is listed in envelope.xml but missing from the package.",
            )
    for name in members:
        if name != ENVELOPE and name not in names:
            raise InputError(
                name, "Thành phần không được liệt kê trong envelope.xml.", "The member is not listed in envelope.xml."
            )


def _verified(archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: _Listed) -> Attachment:
    data = _read_member(archive, info)
    if len(data) != entry.size:
        raise InputError(
            info.filename,
            f"Kích thước {len(data)} byte khác với {entry.size} byte ghi trong envelope.xml.",
            f"The size {len(data)} bytes differs from {entry.size} bytes in envelope.xml.",
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise InputError(
            info.filename,
            "Mã băm SHA-256 không khớp với envelope.xml: tệp đã bị thay đổi hoặc bị hỏng.",
            f"SHA-256 {digest} does not match envelope.xml ({entry.sha256}): the file was changed or damaged.",
        )
    return replace(entry.attachment, data=data)


register(NrsEdoc1())
