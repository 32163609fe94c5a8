"""Charts for documents, rendered on the server to PNG (matplotlib, no display).

One chart per section: each indicator's change against the same period last
year. The same PNG goes into the DOCX and the PDF.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from matplotlib.figure import Figure  # the object API: no pyplot state, no display, safe in threads
from matplotlib.ticker import FuncFormatter

from nrs.lib.numbers import written
from nrs.reports.content import Section

UP, DOWN = "#1a7f37", "#b42318"


def tick(value: float, _position: object = None) -> str:
    """An axis tick written as the document's figures are: "−10", "2,5" in Vietnamese, "2.5" in English."""
    number = Decimal(repr(round(value, 6)))
    return written(number, 0 if number == number.to_integral_value() else 1, get_language())


def change_chart(section: Section) -> bytes | None:
    """A horizontal bar per indicator: its change (%) against the same period last year."""
    rows = [r for r in section.rows if r.change is not None and r.change_unit == "%"][:12]
    if not rows:
        return None
    labels = [textwrap.shorten(r.name, 48, placeholder="…") for r in rows]
    values = [float(r.change or 0) for r in rows]
    fig = Figure(figsize=(6.3, 0.32 * len(rows) + 0.9), dpi=150)
    axis = fig.subplots()
    axis.barh(range(len(rows)), values, color=[UP if v >= 0 else DOWN for v in values])
    axis.set_yticks(range(len(rows)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.axvline(0, color="#333", linewidth=0.6)
    axis.set_xlabel(_("Change against the same period last year (%)"), fontsize=7)
    axis.tick_params(axis="x", labelsize=7)
    axis.xaxis.set_major_formatter(FuncFormatter(tick))
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
