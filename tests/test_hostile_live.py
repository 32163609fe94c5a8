"""Hostile files and bodies sent over real HTTP to a real `nrs serve` (the shared live node,
tests/live.py): XXE, billion laughs, a zip bomb, CSV injection, a 200 MB body and JSON nested
100,000 deep. Each gets a clear 4xx in Vietnamese and English, nothing is stored, and the
server stays up. Numbers (requests sent, times, server memory) are printed for docs/security.md."""

from __future__ import annotations

import csv
import io
import itertools
import json
import select
import socket
import struct
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveNode, Response, call

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = "2026-09"
SENT: list[tuple[str, int]] = []  # (what, status) of every hostile request, for the summary

XXE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                     for n in range(1, 10))
          + b"]>\n")


def _bilingual(answer: Response) -> dict[str, Any]:
    body = answer.json()
    text = json.dumps(body, ensure_ascii=False)
    assert "message_vi" in text and "message_en" in text, body
    return body  # type: ignore[no-any-return]


def _stored(node: LiveNode) -> tuple[Any, Any]:
    """What the server holds for Hà Nội: values and submissions (documents open one)."""
    secret = node.tokens["hn.system"]
    values = call(node.base, "GET", "/api/dataValues?approved=false&orgUnit=01", token=secret).json()
    submissions = call(node.base, "GET", "/api/submissions?orgUnit=01", token=secret).json()
    return values, submissions


@pytest.fixture
def node(live_node: LiveNode) -> Iterator[LiveNode]:
    before = _stored(live_node)
    yield live_node
    assert _stored(live_node) == before, "a hostile request stored something"
    assert live_node.alive()


def _post(node: LiveNode, what: str, path: str, body: bytes, content_type: str) -> Response:
    answer = call(node.base, "POST", path, token=node.tokens["hn.system"], body=body,
                  headers={"Content-Type": content_type}, timeout=60)
    SENT.append((what, answer.status))
    return answer


# -- spreadsheets ----------------------------------------------------------------------------

@pytest.fixture
def template(db: None) -> bytes:
    """A real NRS Excel template for Hà Nội, built by the code the web page uses."""
    from nrs.collection import excel
    from nrs.lib import periods
    from nrs.registry.models import OrgUnit, Regime

    unit = OrgUnit.objects.filter(code="01").order_by("-valid_from").first()
    assert unit is not None
    return excel.build_template(Regime.objects.get(code="PROV_KTXH_M"), unit, periods.parse(PERIOD))


def _rezip(data: bytes, patch: Callable[[str, bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, patch(info.filename, src.read(info)))
    return out.getvalue()


def _with_prolog(xml: bytes, prolog: bytes, reference: bytes = b"") -> bytes:
    """The part with a DTD prolog, and the entity referenced in its first value or text."""
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    for marker in (b"<v>", b"<t>"):
        if reference and marker in body:
            head, tail = body.split(marker, 1)
            return prolog + head + marker + reference + tail
    return prolog + body


def _patch_part(part: str, prolog: bytes, reference: bytes) -> Callable[[str, bytes], bytes]:
    def patch(name: str, data: bytes) -> bytes:
        return _with_prolog(data, prolog, reference) if name == part else data

    return patch


def test_xxe_in_an_uploaded_workbook_is_refused(node: LiveNode, template: bytes) -> None:
    # The workbook part is read when the file is opened, the sheets as they are read.
    for part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        hostile = _rezip(template, _patch_part(part, XXE, b"&xxe;"))
        answer = _post(node, f"xlsx XXE in {part}", "/api/dataValueSets", hostile, XLSX)
        assert answer.status == 400, answer.body
        body = _bilingual(answer)
        assert "root:" not in answer.body.decode(), "the server read /etc/passwd"
        assert "DTD" in body["message_en"] or "not a valid Excel" in body["message_en"]


def test_billion_laughs_in_a_workbook_is_refused(node: LiveNode, template: bytes) -> None:
    hostile = _rezip(template, _patch_part("xl/worksheets/sheet1.xml", LAUGHS, b"&lol9;"))
    started = time.monotonic()
    answer = _post(node, "xlsx billion laughs", "/api/dataValueSets", hostile, XLSX)
    assert answer.status == 400, answer.body
    assert "DTD" in _bilingual(answer)["message_en"]
    assert time.monotonic() - started < 10


def _deflate_repeated(head: bytes, chunk: bytes, times: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + chunk * times + tail without compressing every copy: after a full
    flush the compressor keeps no history, so each copy of ``chunk`` compresses to the same bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)]
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    second = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert first == second
    out += [first] * (times - 1)
    out.append(comp.compress(tail) + comp.flush())
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return b"".join(out), crc, len(head) + len(chunk) * times + len(tail)


def _zip_raw(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from already-deflated members (name, deflated, crc, size); sizes under 4 GiB."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, deflated, crc, size in members:
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc, len(deflated), size, len(name.encode()), 0)
        out.write(struct.pack("<4s2H3H3I2H", b"PK\x03\x04", *fields[:2], *fields[2:]) + name.encode())
        out.write(deflated)
        central.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                                  len(deflated), size, len(name.encode()), 0, 0, 0, 0, 0, offset)
                      + name.encode())
    directory = central.getvalue()
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory),
                      out.tell(), 0)
    return out.getvalue() + directory + end


def test_a_zip_bomb_workbook_is_refused_unopened(node: LiveNode, template: bytes) -> None:
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(template)) as src:
        members = []
        for info in src.infolist():
            if info.filename == sheet:
                continue
            data = src.read(info)
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            members.append((info.filename, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data)))
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
            b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    deflated, crc, size = _deflate_repeated(head, b" " * (1 << 20), 3 * 1024, b"</sheetData></worksheet>")
    bomb = _zip_raw([*members, (sheet, deflated, crc, size)])
    assert size > 3 * 1024**3 and len(bomb) < 4 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as check:  # a well-formed zip: the sheet is 3 GB unpacked
        assert check.getinfo(sheet).file_size == size
    answer = _post(node, f"xlsx zip bomb ({len(bomb) // 1024} KB -> {size // 1024**3} GB)",
                   "/api/dataValueSets", bomb, XLSX)
    assert answer.status == 400, answer.body
    assert "zip bomb" in _bilingual(answer)["message_en"]


# -- e-document package ----------------------------------------------------------------------

def _multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_billion_laughs_in_an_e_document_package_is_refused(node: LiveNode) -> None:
    from nrs.lib import edoc

    package = edoc.Package(
        package_id=str(uuid.uuid4()), created_at=datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
        sender=edoc.Agency("01", "UBND TP Hà Nội"), receivers=(edoc.Agency("VPCP", "Văn phòng Chính phủ"),),
        meta=edoc.DocumentMeta(number="1", symbol="BC-UBND", issued_on=date(2026, 10, 5), doc_type="Báo cáo",
                               urgency="thuong", subject="Báo cáo tháng 9"),
        attachments=(edoc.Attachment("bao-cao.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"),))
    laughs = _rezip(edoc.build(package), lambda name, data: LAUGHS + data.split(b"?>", 1)[1].replace(
        b"<subject>", b"<subject>&lol9;", 1) if name == "envelope.xml" else data)
    body, content_type = _multipart("file", "goi.edoc.zip", laughs)
    answer = _post(node, "e-document package billion laughs",
                   f"/api/documents?regime=PROV_KTXH_M&orgUnit=01&period={PERIOD}", body, content_type)
    assert answer.status == 400, answer.body
    assert "envelope.xml" in _bilingual(answer)["message_en"]


# -- CSV injection ---------------------------------------------------------------------------

def test_csv_injection_is_refused_as_a_value_and_inert_as_a_comment(node: LiveNode) -> None:
    payload = "=cmd|' /C calc'!A0"
    rows = io.StringIO()
    csv.writer(rows).writerows([["indicator", "value", "comment"], ["EXPORT_TOTAL", payload, "x"]])
    answer = _post(node, "CSV import with a formula as the value",
                   f"/api/dataValueSets?regime=PROV_KTXH_M&orgUnit=01&period={PERIOD}",
                   rows.getvalue().encode(), "text/csv")
    assert answer.status in (400, 422), answer.body
    assert "message_vi" in answer.body.decode() and "message_en" in answer.body.decode()
    # As a comment it is only text; a dry run proves it is accepted as such (nothing stored),
    # and tests/test_exports_guarded.py proves every export writes it guarded.
    rows = io.StringIO()
    csv.writer(rows).writerows([["indicator", "value", "comment"], ["EXPORT_TOTAL", "1200", payload]])
    answer = _post(node, "CSV import with a formula as the comment (dry run)",
                   f"/api/dataValueSets?dryRun=true&regime=PROV_KTXH_M&orgUnit=01&period={PERIOD}",
                   rows.getvalue().encode(), "text/csv")
    assert answer.status in (200, 422), answer.body
    assert answer.json()["dryRun"] is True


# -- oversize and deeply nested bodies -------------------------------------------------------

def _tree_pids(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            queue += [int(child) for child in task.read_text().split()]
    return pids


def _rss_kb(node: LiveNode) -> dict[int, int]:
    """VmRSS of every process of the shared server (uvicorn and its workers)."""
    found: dict[int, int] = {}
    for proc in node.processes[:1]:
        for pid in _tree_pids(proc.pid):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[pid] = int(line.split()[1])
    return found


def _raw_post(base: str, path: str, token: str, chunks: Iterator[bytes], length: int | None,
              heed_answer: bool = True) -> tuple[int, bytes, int]:
    """POST a body streamed from ``chunks`` over a plain socket, chunked when ``length`` is None;
    stops sending as soon as the server answers (with ``heed_answer``; else sends all of
    ``chunks`` first, as clients that read only after sending do). Returns status, body and
    bytes sent."""
    host, port = base.removeprefix("http://").split(":")
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n").encode()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in chunks:
                if heed_answer and select.select([sock], [], [], 0)[0]:
                    break  # the server has answered: stop sending
                sock.sendall(chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            else:
                if length is None:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        raw = b""
        try:
            while data := sock.recv(65536):
                raw += data
        except (ConnectionResetError, TimeoutError):
            pass
    status_line, _, rest = raw.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2], sent


def _big_json(total: int) -> Iterator[bytes]:
    item = b'{"indicator":"EXPORT_TOTAL","value":"1","comment":"' + b"x" * 1000 + b'"},'
    chunk = item * ((1 << 20) // len(item))
    yield b'{"regime":"PROV_KTXH_M","orgUnit":"01","period":"2026-09","dataValues":['
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_200_mb_body_gets_413_before_it_is_read(node: LiveNode, chunked: bool) -> None:
    total = 200 * 1024 * 1024
    rss_before = _rss_kb(node)
    started = time.monotonic()
    status, body, sent = _raw_post(node.base, "/api/dataValueSets", node.tokens["hn.system"],
                                   _big_json(total), None if chunked else total)
    elapsed = time.monotonic() - started
    rss_after = _rss_kb(node)
    SENT.append((f"200 MB JSON body, {'chunked' if chunked else 'Content-Length'}", status))
    print(f"\n200 MB body ({'chunked' if chunked else 'Content-Length'}): {status} in {elapsed:.2f} s, "
          f"{sent // (1024 * 1024)} MB sent before the answer; server RSS (kB) before {rss_before}, "
          f"after {rss_after}")
    assert status == 413
    answer = json.loads(body)
    assert "64 MB" in answer["message_en"] and "64 MB" in answer["message_vi"]
    assert sent < 80 * 1024 * 1024  # cut off near the limit, never the whole 200 MB
    assert elapsed < 15
    grown = max(rss_after.get(pid, 0) - kb for pid, kb in rss_before.items())
    assert grown < 100 * 1024, (rss_before, rss_after)  # the body was not held in memory


def test_the_413_reaches_a_client_that_sends_on_before_reading(node: LiveNode) -> None:
    """Lingering close: the server drops what still arrives after its 413 rather than closing
    at once, which would reset the connection and destroy the answer unread."""
    status, body, sent = _raw_post(node.base, "/api/dataValueSets", node.tokens["hn.system"],
                                   itertools.islice(_big_json(1 << 40), 17), 1 << 40, heed_answer=False)
    SENT.append(("1 TB declared, 16 MB sent before reading", status))
    assert sent > 15 * 1024 * 1024
    assert status == 413
    assert "64 MB" in json.loads(body)["message_vi"]


def test_an_oversize_form_post_gets_a_bilingual_page(node: LiveNode) -> None:
    status, body, _sent = _raw_post(node.base, "/accounts/login/", "", _big_json(100 * 1024 * 1024),
                                    100 * 1024 * 1024)
    SENT.append(("100 MB form post (HTML page)", status))
    assert status == 413
    page = body.decode()
    assert "Yêu cầu quá lớn" in page and "request too large" in page


def test_json_nested_100000_deep_is_a_clear_400(node: LiveNode) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = _post(node, "JSON nested 100,000 deep (data value set)", "/api/dataValueSets", deep,
                   "application/json")
    assert answer.status == 400, answer.body
    assert "nested too deeply" in _bilingual(answer)["message_en"]
    # The same through ninja's own body parser (a schema-typed operation).
    answer = _post(node, "JSON nested 100,000 deep (schema body)", "/api/submissions/1/submit",
                   b'{"comment": ' + deep + b"}", "application/json")
    assert answer.status == 400, answer.body
    assert "nested too deeply" in _bilingual(answer)["message_en"]


def test_zz_summary(live_node: LiveNode) -> None:
    """Runs last in this module: every hostile request got a 4xx, and the server is up."""
    print(f"\n{len(SENT)} hostile requests: " + "; ".join(f"{what} -> {status}" for what, status in SENT))
    assert all(400 <= status < 500 for what, status in SENT if "dry run" not in what), SENT
    assert live_node.alive()
