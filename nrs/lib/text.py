"""Text helpers for Vietnamese names."""

from __future__ import annotations

import unicodedata


def ascii_fold(text: str) -> str:
    """'Thành phố Hồ Chí Minh' -> 'Thanh pho Ho Chi Minh' (đ/Đ become d/D)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
