"""E-document exchange packages (nrs.lib.edoc): round trips, the nrs-edoc-1 layout, and hostile input.

No database: every package here is built and taken apart as real ZIP bytes."""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from nrs.lib import edoc
from nrs.lib.edoc import Agency, Attachment, DocumentMeta, Limits, NrsEdoc1, Package
from nrs.lib.errors import InputError

ICT = timezone(timedelta(hours=7))
NS = {"e": "urn:nrs:edoc:1"}
PDF = b"%PDF-1.7\n% bao cao kinh te - xa hoi thang 2\n" + bytes(range(256)) * 4
XLSX = b"PK\x03\x04 phu luc so lieu " * 20


def make_package(**changes: Any) -> Package:
    package = Package(
        package_id="5f0c6f4e-8a51-4c1b-9d0e-2b7f3c1a9e42",
        created_at=datetime(2026, 3, 5, 8, 30, 15, tzinfo=ICT),
        sender=Agency("VPCP", "Văn phòng Chính phủ"),
        receivers=(Agency("BTC", "Bộ Tài chính"), Agency("01", "Ủy ban nhân dân thành phố Hà Nội")),
        meta=DocumentMeta(
            number="123",
            symbol="BC-VPCP",
            issued_on=date(2026, 3, 5),
            doc_type="Báo cáo",
            urgency="thuong_khan",
            subject="Tình hình kinh tế – xã hội tháng 2 và 2 tháng đầu năm 2026",
            signer="Trần Văn Sơn",
            place="Hà Nội",
        ),
        attachments=(
            Attachment("bao-cao.pdf", "application/pdf", PDF),
            Attachment("phu-luc.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", XLSX),
        ),
        signed=True,
    )
    return replace(package, **changes)


def with_meta(**changes: Any) -> Package:
    return make_package(meta=replace(make_package().meta, **changes))


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zip_of(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test wants
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def repack(data: bytes, *, drop: tuple[str, ...] = (), put: dict[str, bytes] | None = None) -> bytes:
    """The package's members, less ``drop``, with ``put`` replacing or adding members."""
    entries = {name: body for name, body in members(data).items() if name not in drop}
    entries.update(put or {})
    return zip_of(list(entries.items()))


def envelope(data: bytes) -> str:
    return members(data)[edoc.ENVELOPE].decode()


def with_envelope(text: str, data: bytes | None = None) -> bytes:
    return repack(data or edoc.build(make_package()), put={edoc.ENVELOPE: text.encode()})


def edited(old: str, new: str) -> bytes:
    """A valid package whose envelope has ``old`` replaced by ``new`` (once)."""
    text = envelope(edoc.build(make_package()))
    assert old in text
    return with_envelope(text.replace(old, new, 1))


def refused(call: Callable[[], object], ref: str) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    error = caught.value
    assert error.ref == ref
    assert error.vi.strip() and error.en.strip() and error.vi != error.en
    return error


def patch_directory(data: bytes, name: str, offset: int, value: int, fmt: str) -> bytes:
    """Overwrite one field of ``name``'s central-directory entry (what zipfile trusts)."""
    eocd = data.rfind(b"PK\x05\x06")
    at = struct.unpack_from("<I", data, eocd + 16)[0]
    while data[at : at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46 : at + 46 + name_length] == name.encode():
            patched = bytearray(data)
            struct.pack_into(fmt, patched, at + offset, value)
            return bytes(patched)
        at += 46 + name_length + extra_length + comment_length
    raise AssertionError(f"{name} not in the central directory")


# --- Round trips and layout -------------------------------------------------------------------


def test_round_trip_gives_an_equal_package_and_the_same_bytes() -> None:
    package = make_package()
    data = edoc.build(package)
    parsed = edoc.parse(data)
    assert parsed == package
    assert parsed.attachments[0].data == PDF
    assert edoc.build(parsed) == data
    assert edoc.parse(data, "nrs-edoc-1") == package


def test_build_is_deterministic_with_timestamps_from_created_at() -> None:
    package = make_package()
    first, second = edoc.build(package), edoc.build(make_package())
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["envelope.xml", "attachments/bao-cao.pdf", "attachments/phu-luc.xlsx"]
    assert {info.date_time for info in infos} == {(2026, 3, 5, 8, 30, 14)}  # ZIP keeps even seconds
    assert edoc.build(make_package(created_at=datetime(2026, 3, 5, 9, 0, tzinfo=ICT))) != first


def test_members_are_sorted_by_name_but_the_envelope_keeps_the_main_document_first() -> None:
    main = Attachment("z-van-ban-chinh.pdf", "application/pdf", PDF)
    appendix = Attachment("a-phu-luc.pdf", "application/pdf", b"%PDF-1.4 phu luc")
    package = make_package(attachments=(main, appendix))
    data = edoc.build(package)
    assert list(members(data)) == ["envelope.xml", "attachments/a-phu-luc.pdf", "attachments/z-van-ban-chinh.pdf"]
    root = ET.fromstring(members(data)["envelope.xml"])
    assert [el.text for el in root.findall("e:attachments/e:attachment/e:filename", NS)] == [
        "z-van-ban-chinh.pdf",
        "a-phu-luc.pdf",
    ]
    assert [el.text for el in root.findall("e:attachments/e:attachment/e:signed", NS)] == ["true", "false"]
    assert edoc.parse(data).attachments == (main, appendix)


def test_vietnamese_text_round_trips_as_utf8() -> None:
    meta = replace(
        make_package().meta,
        doc_type="Công văn",
        subject="V/v báo cáo tiến độ giải ngân vốn đầu tư công & “chỉ tiêu” <quý I>\nđợt 2",
        signer="Nguyễn Thị Hồng Nhung",
        place="Thành phố Hồ Chí Minh",
    )
    files = (Attachment("Báo cáo tháng 2.pdf", "application/pdf", PDF),)
    package = make_package(meta=meta, attachments=files, sender=Agency("000.00.00.H01", "Ủy ban nhân dân tỉnh Đắk Lắk"))
    data = edoc.build(package)
    assert edoc.parse(data) == package
    raw = members(data)["envelope.xml"]
    assert "Nguyễn Thị Hồng Nhung".encode() in raw  # UTF-8, not character references
    assert "attachments/Báo cáo tháng 2.pdf" in members(data)


def test_package_opens_with_zipfile_and_the_envelope_describes_it(tmp_path: Path) -> None:
    fmt = edoc.FORMATS["nrs-edoc-1"]
    path = tmp_path / f"bao-cao{fmt.extension}"
    path.write_bytes(edoc.build(make_package()))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        root = ET.fromstring(archive.read("envelope.xml"))
        pdf = archive.read("attachments/bao-cao.pdf")
    assert root.tag == "{urn:nrs:edoc:1}package"
    assert root.findtext("e:id", namespaces=NS) == "5f0c6f4e-8a51-4c1b-9d0e-2b7f3c1a9e42"
    assert root.findtext("e:createdAt", namespaces=NS) == "2026-03-05T08:30:15+07:00"
    assert root.findtext("e:sender/e:code", namespaces=NS) == "VPCP"
    assert [el.text for el in root.findall("e:receivers/e:receiver/e:code", NS)] == ["BTC", "01"]
    assert root.findtext("e:document/e:issuedOn", namespaces=NS) == "2026-03-05"
    assert root.findtext("e:document/e:urgency", namespaces=NS) == "thuong_khan"
    first = root.find("e:attachments/e:attachment", NS)
    assert first is not None
    assert first.findtext("e:size", namespaces=NS) == str(len(pdf))
    assert first.findtext("e:sha256", namespaces=NS) == hashlib.sha256(pdf).hexdigest()
    assert edoc.parse(path.read_bytes()) == make_package()


@pytest.mark.parametrize("urgency", edoc.URGENCIES)
def test_every_urgency_and_an_unsigned_package_round_trip(urgency: str) -> None:
    package = replace(with_meta(urgency=urgency, signer="", place=""), signed=False)
    assert edoc.parse(edoc.build(package)) == package


# --- Hostile and broken input -----------------------------------------------------------------


def test_xxe_external_entity_is_refused() -> None:
    text = envelope(edoc.build(make_package()))
    declaration, body = text.split("\n", 1)
    hostile = f'{declaration}\n<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + re.sub(
        r"<subject>.*?</subject>", "<subject>&xxe;</subject>", body
    )
    error = refused(lambda: edoc.parse(with_envelope(hostile)), "envelope.xml")
    assert "DTD" in error.en and "DTD" in error.vi


def test_billion_laughs_is_refused() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    hostile = (
        '<?xml version="1.0"?>\n<!DOCTYPE package [' + "".join(entities) + "]>\n"
        '<package xmlns="urn:nrs:edoc:1"><id>&lol9;</id></package>'
    )
    error = refused(lambda: edoc.parse(with_envelope(hostile)), "envelope.xml")
    assert "refused" in error.en


def test_zip_bomb_is_refused_without_inflating_it() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("envelope.xml", envelope(edoc.build(make_package())))
        with archive.open("attachments/bao-cao.pdf", "w") as stream:
            zeros = bytes(1024 * 1024)
            for _ in range(64):  # 64 MiB of zeros, about 64 KiB deflated
                stream.write(zeros)
    bomb = buffer.getvalue()
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    error = refused(lambda: edoc.parse(bomb), "attachments/bao-cao.pdf")
    assert "ZIP bomb" in error.en
    assert time.perf_counter() - started < 0.5


def test_a_member_smaller_in_the_directory_than_in_fact_is_not_trusted() -> None:
    noise = random.Random(6).randbytes(2 * 1024 * 1024)
    data = edoc.build(make_package(attachments=(Attachment("du-lieu.bin", "application/octet-stream", noise),)))
    lying = patch_directory(data, "attachments/du-lieu.bin", 24, 1000, "<I")  # uncompressed size
    error = refused(lambda: edoc.parse(lying), "attachments/du-lieu.bin")
    assert "damaged" in error.en


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "attachments/../../evil.txt", "/etc/passwd", "attachments\\evil.txt", "C:/evil.txt", "./x"],
)
def test_path_traversal_members_are_refused(name: str) -> None:
    data = repack(edoc.build(make_package()), put={name: b"owned"})
    error = refused(lambda: edoc.parse(data), name)
    assert "Unsafe member name" in error.en


def test_a_member_outside_the_layout_is_refused() -> None:
    data = repack(edoc.build(make_package()), put={"docs/readme.txt": b"hi"})
    error = refused(lambda: edoc.parse(data), "docs/readme.txt")
    assert "not part of a package" in error.en


def test_an_attachment_whose_bytes_were_changed_fails_its_hash() -> None:
    tampered = bytearray(PDF)
    tampered[-1] ^= 0xFF
    data = repack(edoc.build(make_package()), put={"attachments/bao-cao.pdf": bytes(tampered)})
    error = refused(lambda: edoc.parse(data), "attachments/bao-cao.pdf")
    assert "SHA-256" in error.en and "SHA-256" in error.vi


def test_an_attachment_of_another_size_is_refused() -> None:
    data = repack(edoc.build(make_package()), put={"attachments/bao-cao.pdf": PDF + b"%%EOF"})
    error = refused(lambda: edoc.parse(data), "attachments/bao-cao.pdf")
    assert "size" in error.en


def test_a_missing_attachment_is_refused() -> None:
    data = repack(edoc.build(make_package()), drop=("attachments/phu-luc.xlsx",))
    error = refused(lambda: edoc.parse(data), "attachments/phu-luc.xlsx")
    assert "missing" in error.en


def test_an_unlisted_extra_member_is_refused() -> None:
    data = repack(edoc.build(make_package()), put={"attachments/them.pdf": b"%PDF-1.4"})
    error = refused(lambda: edoc.parse(data), "attachments/them.pdf")
    assert "not listed" in error.en


def test_a_duplicate_member_is_refused() -> None:
    good = members(edoc.build(make_package()))
    data = zip_of([*good.items(), ("attachments/bao-cao.pdf", b"%PDF-1.4 other")])
    error = refused(lambda: edoc.parse(data), "attachments/bao-cao.pdf")
    assert "twice" in error.en


def test_an_attachments_folder_entry_is_tolerated() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.mkdir("attachments")  # as `zip -r` writes it
        for name, body in members(edoc.build(make_package())).items():
            archive.writestr(name, body)
    assert edoc.parse(buffer.getvalue()) == make_package()


def test_a_package_without_an_envelope_is_refused() -> None:
    data = repack(edoc.build(make_package()), drop=("envelope.xml",))
    refused(lambda: edoc.parse(data, "nrs-edoc-1"), "envelope.xml")


def test_encrypted_and_unsupported_compression_members_are_refused() -> None:
    data = edoc.build(make_package())
    encrypted = patch_directory(data, "attachments/bao-cao.pdf", 8, 0x1, "<H")  # general-purpose flags
    assert "encrypted" in refused(lambda: edoc.parse(encrypted), "attachments/bao-cao.pdf").en
    bzip2 = zip_of(list(members(data).items()), zipfile.ZIP_BZIP2)
    assert "Compression method" in refused(lambda: edoc.parse(bzip2, "nrs-edoc-1"), "envelope.xml").en


@pytest.mark.parametrize(
    ("old", "new", "ref"),
    [
        ("<urgency>thuong_khan</urgency>", "<urgency>rat_khan</urgency>", "envelope.xml: /document/urgency"),
        ("<issuedOn>2026-03-05</issuedOn>", "<issuedOn>05/03/2026</issuedOn>", "envelope.xml: /document/issuedOn"),
        ("<issuedOn>2026-03-05</issuedOn>", "<issuedOn>2026-02-30</issuedOn>", "envelope.xml: /document/issuedOn"),
        ("<symbol>BC-VPCP</symbol>", "", "envelope.xml: /document/symbol"),
        ("<number>123</number>", "<number> </number>", "envelope.xml: /document/number"),
        ("<place>Hà Nội</place>", "<place>Hà Nội</place><secret>x</secret>", "envelope.xml: /document/secret"),
        ("<number>123</number>", "<number>123</number><number>124</number>", "envelope.xml: /document/number"),
        ("+07:00</createdAt>", "</createdAt>", "envelope.xml: /createdAt"),
        ("<createdAt>2026", "<createdAt>hôm qua 2026", "envelope.xml: /createdAt"),
        ("<id>5f0c6f4e", "<id>5F0C6F4E", "envelope.xml: /id"),
        ("<code>BTC</code>", "<code>B TC</code>", "envelope.xml: /receivers/receiver[1]/code"),
        ("<code>01</code>", "<code>BTC</code>", "envelope.xml: /receivers/receiver[2]/code"),
        ("<filename>phu-luc.xlsx", "<filename>../phu-luc.xlsx", "envelope.xml: /attachments/attachment[2]/filename"),
        ("<mediaType>application/pdf", "<mediaType>pdf", "envelope.xml: /attachments/attachment[1]/mediaType"),
        ("<size>", "<size>-", "envelope.xml: /attachments/attachment[1]/size"),
        ("<sha256>", "<sha256>zz", "envelope.xml: /attachments/attachment[1]/sha256"),
        ("<signed>false</signed>", "<signed>true</signed>", "envelope.xml: /attachments/attachment[2]/signed"),
        ("<signed>true</signed>", "<signed>yes</signed>", "envelope.xml: /attachments/attachment[1]/signed"),
        ('xmlns="urn:nrs:edoc:1"', 'xmlns="urn:nrs:edoc:2"', "envelope.xml: /"),
    ],
)
def test_bad_envelope_values_name_their_element(old: str, new: str, ref: str) -> None:
    refused(lambda: edoc.parse(edited(old, new), "nrs-edoc-1"), ref)


def test_an_unknown_urgency_names_the_allowed_ones() -> None:
    data = edited("<urgency>thuong_khan</urgency>", "<urgency>rat_khan</urgency>")
    error = refused(lambda: edoc.parse(data), "envelope.xml: /document/urgency")
    assert "rat_khan" in error.en and "hoa_toc (Hỏa tốc)" in error.vi


def test_malformed_xml_names_the_line() -> None:
    data = edited("</subject>", "</subjekt>")
    with pytest.raises(InputError) as caught:
        edoc.parse(data)
    assert re.fullmatch(r"envelope\.xml: line \d+, column \d+", caught.value.ref)


def test_not_a_zip_at_all() -> None:
    refused(lambda: edoc.parse(b"%PDF-1.7 not a package", "nrs-edoc-1"), "package")
    refused(lambda: edoc.parse(b"PK\x03\x04 truncated", "nrs-edoc-1"), "package")
    refused(lambda: edoc.parse(b"", "nrs-edoc-1"), "package")


def test_sniffing_an_unknown_format_is_refused() -> None:
    error = refused(lambda: edoc.parse(b"<edXML>...</edXML>"), "package")
    assert "nrs-edoc-1" in error.en
    other_zip = zip_of([("mimetype", b"application/epub+zip")])
    refused(lambda: edoc.parse(other_zip), "package")


def test_an_unknown_format_name_is_refused() -> None:
    refused(lambda: edoc.parse(edoc.build(make_package()), "edxml"), "format")
    refused(lambda: edoc.build(make_package(), "edxml"), "format")


# --- Limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "ref"),
    [
        (Limits(package_bytes=1000), "package"),
        (Limits(members=2), "package"),
        (Limits(total_bytes=1000), "package"),
        (Limits(envelope_bytes=500), "envelope.xml"),
        (Limits(directory_bytes=100), "package"),
        (Limits(ratio=2, ratio_floor=100), "attachments/bao-cao.pdf"),
    ],
)
def test_parse_limits(limits: Limits, ref: str) -> None:
    data = edoc.build(make_package())
    assert NrsEdoc1().parse(data) == make_package()
    refused(lambda: NrsEdoc1(limits).parse(data), ref)


def test_build_refuses_what_parse_would_refuse() -> None:
    zeros = Attachment("trang.bin", "application/octet-stream", bytes(2 * 1024 * 1024))
    error = refused(lambda: edoc.build(make_package(attachments=(zeros,))), "attachments/trang.bin")
    assert "ZIP bomb" in error.en
    refused(lambda: NrsEdoc1(Limits(members=2)).build(make_package()), "package.attachments")
    refused(lambda: NrsEdoc1(Limits(total_bytes=100)).build(make_package()), "package.attachments")


# --- Build refuses bad packages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "ref"),
    [
        (with_meta(urgency="rat_khan"), "package.meta.urgency"),
        (with_meta(urgency="Khẩn"), "package.meta.urgency"),
        (with_meta(subject="  "), "package.meta.subject"),
        (with_meta(subject="dòng 1\r\ndòng 2"), "package.meta.subject"),
        (with_meta(signer="Nguyễn\x00"), "package.meta.signer"),
        (with_meta(issued_on=datetime(2026, 3, 5, 9, 0)), "package.meta.issued_on"),
        (make_package(package_id="not-a-uuid"), "package.package_id"),
        (make_package(package_id="5F0C6F4E-8A51-4C1B-9D0E-2B7F3C1A9E42"), "package.package_id"),
        (make_package(created_at=datetime(2026, 3, 5, 8, 30)), "package.created_at"),
        (make_package(sender=Agency("", "Văn phòng Chính phủ")), "package.sender.code"),
        (make_package(sender=Agency("VP CP", "Văn phòng Chính phủ")), "package.sender.code"),
        (make_package(receivers=()), "package.receivers"),
        (
            make_package(receivers=(Agency("BTC", "Bộ Tài chính"), Agency("BTC", "Bộ Tài chính"))),
            "package.receivers[1].code",
        ),
        (make_package(attachments=()), "package.attachments"),
        (
            make_package(attachments=(Attachment("../x.pdf", "application/pdf", PDF),)),
            "package.attachments[0].filename",
        ),
        (make_package(attachments=(Attachment("a/x.pdf", "application/pdf", PDF),)), "package.attachments[0].filename"),
        (make_package(attachments=(Attachment(" x.pdf", "application/pdf", PDF),)), "package.attachments[0].filename"),
        (make_package(attachments=(Attachment("x.pdf", "pdf", PDF),)), "package.attachments[0].media_type"),
        (
            make_package(
                attachments=(Attachment("X.pdf", "application/pdf", PDF), Attachment("x.PDF", "application/pdf", PDF))
            ),
            "package.attachments[1].filename",
        ),
    ],
)
def test_build_refuses_bad_packages(package: Package, ref: str) -> None:
    refused(lambda: edoc.build(package), ref)


# --- The registry -----------------------------------------------------------------------------


class Prefixed:
    """A second format for the registry tests: nrs-edoc-1 behind a marker."""

    name = "test-prefixed"
    media_type = "application/x-test"
    extension = ".test"
    marker = b"NRS-TEST\n"

    def build(self, package: Package) -> bytes:
        return self.marker + edoc.build(package)

    def parse(self, data: bytes) -> Package:
        return edoc.parse(data[len(self.marker) :], "nrs-edoc-1")

    def sniff(self, data: bytes) -> bool:
        return data.startswith(self.marker)


def test_a_registered_format_is_built_and_sniffed() -> None:
    fmt = Prefixed()
    edoc.register(fmt)
    try:
        data = edoc.build(make_package(), "test-prefixed")
        assert data.startswith(Prefixed.marker)
        assert edoc.parse(data) == make_package()
        assert edoc.parse(edoc.build(make_package())) == make_package()  # still sniffed as nrs-edoc-1
        edoc.register(fmt)  # the same object again is harmless
        with pytest.raises(ValueError, match="already registered"):
            edoc.register(Prefixed())
    finally:
        del edoc.FORMATS["test-prefixed"]
    assert list(edoc.FORMATS) == ["nrs-edoc-1"]


def test_sniff_never_raises() -> None:
    fmt = edoc.FORMATS["nrs-edoc-1"]
    assert fmt.sniff(edoc.build(make_package()))
    for junk in (b"", b"PK\x03\x04", b"PK\x03\x04" + bytes(100), zip_of([("envelope.xml", b"<x/>")])):
        assert not fmt.sniff(junk)
