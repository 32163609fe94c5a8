"""Errors that name where the bad input is, in Vietnamese and English."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input at ``ref`` (a JSON path, a CSV line, a spreadsheet cell)."""

    def __init__(self, ref: str, vi: str, en: str) -> None:
        self.ref, self.vi, self.en = ref, vi, en
        super().__init__(f"{ref}: {vi} / {en}")

    def as_dict(self) -> dict[str, str]:
        return {"status": "error", "ref": self.ref, "message_vi": self.vi, "message_en": self.en}
