"""Draw the web app's PNG icons (issue 20): nrs/static/nrs/icons/icon-192.png and icon-512.png,
the same picture as icon.svg beside them (a red tile with three rising bars and a yellow star).

Run after changing icon.svg: `.venv/bin/python scripts/make_icons.py`. Pillow only; no download."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "nrs" / "static" / "nrs" / "icons"
RED, WHITE, YELLOW = "#b3261e", "#ffffff", "#ffd54f"
# In icon.svg's 512-unit square: the tile, the bars (x, y, width, height) and the dot.
BARS = [(112, 292, 56, 108), (228, 212, 56, 188), (344, 132, 56, 268)]
DOT = (372, 92, 26)


def draw(size: int) -> Image.Image:
    scale = 4  # drawn large, then shrunk: smooth edges
    big = size * scale
    k = big / 512
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(96 * k), fill=RED)
    for x, y, w, h in BARS:
        pen.rounded_rectangle((x * k, y * k, (x + w) * k, (y + h) * k), radius=int(8 * k), fill=WHITE)
    cx, cy, r = DOT
    pen.ellipse(((cx - r) * k, (cy - r) * k, (cx + r) * k, (cy + r) * k), fill=YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
