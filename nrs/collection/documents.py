"""Checking an uploaded report document: PDF or DOCX, by content, within limits.

Only the first bytes and the zip directory are read; nothing is executed or
expanded. Signature verification comes with the briefing-document work.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_RATIO = 100


@dataclass(frozen=True)
class DocumentError(Exception):
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


def sniff(data: bytes, filename: str) -> str:
    """'pdf' or 'docx', judged by content; raises DocumentError otherwise."""
    if len(data) > MAX_BYTES:
        raise DocumentError(f"tệp quá lớn (tối đa {MAX_BYTES // 1024 // 1024} MB)",
                            f"the file is too large (at most {MAX_BYTES // 1024 // 1024} MB)")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return "docx"
    raise DocumentError(f"'{filename}' không phải tệp PDF hoặc DOCX",
                        f"'{filename}' is not a PDF or DOCX file")


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_UNZIPPED or any(
                    m.compress_size and m.file_size / m.compress_size > MAX_RATIO for m in members):
                raise DocumentError("tệp nén bất thường (nghi zip bomb)",
                                    "the archive expands abnormally (zip bomb?)")
            return "word/document.xml" in {m.filename for m in members}
    except zipfile.BadZipFile:
        return False
