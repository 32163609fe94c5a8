"""Rendering a briefing's content as a Vietnamese administrative document:
DOCX (python-docx) and PDF (WeasyPrint, from an HTML template). Both take the
same Content and the same chart PNGs, so their figures are the same."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import docx
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from docx.document import Document as Docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from nrs.lib.periods import Kind, Period
from nrs.reports.content import Content, Row

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]


@dataclass(frozen=True)
class Heading:
    """The administrative heading of the document (Decree 30/2020/NĐ-CP)."""

    issuer: str
    number: str  # "125/BC-VPCP"
    place: str
    issued_on: date
    title: str
    subtitle: str
    signer_title: str


def period_label(period: Period, language: str) -> str:
    if language == "en":
        match period.kind:
            case Kind.MONTH:
                return f"{MONTHS_EN[period.index - 1]} {period.year}"
            case Kind.QUARTER:
                return f"Q{period.index} {period.year}"
            case Kind.YTD:
                return f"January–{MONTHS_EN[period.index - 1]} {period.year}"
        return str(period.year)
    match period.kind:
        case Kind.MONTH:
            return f"tháng {period.index} năm {period.year}"
        case Kind.QUARTER:
            return f"quý {ROMAN[period.index]} năm {period.year}"
        case Kind.YTD:
            return f"{period.index} tháng năm {period.year}"
    return f"năm {period.year}"


def heading(content: Content, *, number: str, issued_on: date, brief: bool = False) -> Heading:
    with translation.override(content.language):
        label = period_label(content.period, content.language)
        if content.language == "en":
            dated = f"Ha Noi, {issued_on.day} {MONTHS_EN[issued_on.month - 1]} {issued_on.year}"
        else:
            dated = f"Hà Nội, ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}"
        title = _("BRIEF") if brief else _("REPORT")
        subtitle = (_("Key socio-economic figures, %(period)s") if brief
                    else _("Socio-economic situation, %(period)s")) % {"period": label}
        return Heading(_("GOVERNMENT OFFICE"), number, dated, issued_on, title, subtitle,
                       _("MINISTER, CHAIRMAN OF THE GOVERNMENT OFFICE"))


def fmt(value: Decimal | None, decimals: int = 1) -> str:
    if value is None:
        return "–"
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def change(row: Row) -> str:
    if row.change is None:
        return "–"
    sign = "+" if row.change > 0 else ("−" if row.change < 0 else "±")
    unit = _("pp") if row.change_unit == "pp" else "%"
    return f"{sign}{fmt(abs(row.change), 1)} {unit}"


def cells(row: Row) -> list[str]:
    """The table's cells for one indicator, shared by DOCX and PDF."""
    name = row.name
    if row.coverage:  # a partial national figure says so, and is not compared with last year
        name += " (" + _("partial: %(coverage)s provinces reported") % {"coverage": row.coverage} + ")"
    return [name, row.unit, fmt(row.value, row.decimals), change(row), fmt(row.ytd, row.decimals),
            fmt(row.plan_pct, 1) + (" %" if row.plan_pct is not None else "")]


def columns() -> list[str]:
    return [_("Indicator"), _("Unit"), _("Value"), _("vs same period last year"), _("Year to date"),
            _("of annual plan")]


# -- DOCX ---------------------------------------------------------------------------

def to_docx(content: Content, head: Heading, charts: dict[int, bytes]) -> bytes:
    with translation.override(content.language):
        doc = docx.Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        style = doc.styles["Normal"]
        style.font.name, style.font.size = "Times New Roman", Pt(12)
        _docx_heading(doc, head)
        for number, part in enumerate(content.sections, start=1):
            doc.add_heading(f"{number}. {part.title}", level=2)
            _docx_table(doc, [columns(), *(cells(r) for r in part.rows)])
            if part.area in charts:
                doc.add_picture(io.BytesIO(charts[part.area]), width=Cm(15.5))
        _docx_annex(doc, content)
        _docx_signature(doc, head)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def _docx_heading(doc: Docx, head: Heading) -> None:
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _lines(left, [(head.issuer, True), ("———", False), (_("No.") + f" {head.number}", False)])
    _lines(right, [(_("SOCIALIST REPUBLIC OF VIET NAM"), True), (_("Independence - Freedom - Happiness"), True),
                   ("———", False), (head.place, False)])
    for text, size in ((head.title, 14), (head.subtitle, 13)):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = True, Pt(size)


def _lines(cell, lines: list[tuple[str, bool]]) -> None:  # type: ignore[no-untyped-def]
    cell.paragraphs[0].text = ""
    for i, (text, bold) in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = bold, Pt(12)


def _docx_table(doc: Docx, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            cell = table.cell(r, c)
            cell.text = text
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size, run.bold = Pt(9), r == 0
                if c >= 2 and r > 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def summary_rows(content: Content) -> list[list[str]]:
    return [[s.regime, str(s.expected), str(s.on_time), str(s.late), str(s.missing), str(s.returned)]
            for s in content.summary]


def summary_columns() -> list[str]:
    return [_("Report regime"), _("Expected"), _("On time"), _("Late"), _("Missing"), _("Returned")]


def _docx_annex(doc: Docx, content: Content) -> None:
    doc.add_heading(_("Annex: reporting compliance"), level=2)
    if content.summary:
        _docx_table(doc, [summary_columns(), *summary_rows(content)])
    if not content.annex:
        doc.add_paragraph(_("Every expected report arrived on time."))
        return
    rows = [[_("Report regime"), _("Reporting unit"), _("Status"), _("Deadline")]]
    rows += [[late.regime, late.unit, status_label(late.status), late.deadline.strftime("%d/%m/%Y")]
             for late in content.annex]
    _docx_table(doc, rows)


def _docx_signature(doc: Docx, head: Heading) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(head.signer_title)
    run.bold = True
    doc.add_paragraph(_("(Digitally signed)")).alignment = WD_ALIGN_PARAGRAPH.RIGHT


def status_label(status: str) -> str:
    return {"late": _("Late"), "missing": _("Missing"), "returned": _("Returned")}.get(status, status)


# -- PDF -----------------------------------------------------------------------------

def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def to_pdf(content: Content, head: Heading, charts: dict[int, bytes], *, brief: bool = False) -> bytes:
    """The same content as a PDF, through an HTML template (A4, Times-like serif)."""
    with translation.override(content.language):
        context = {
            "head": head, "content": content, "columns": columns(), "brief": brief,
            "sections": [{"title": s.title, "rows": [cells(r) for r in s.rows],
                          "chart": _data_uri(charts[s.area]) if s.area in charts else ""}
                         for s in content.sections],
            "annex": [(late.regime, late.unit, status_label(late.status), late.deadline.strftime("%d/%m/%Y"))
                      for late in content.annex],
            "summary_columns": summary_columns(), "summary": summary_rows(content),
            "headline": [cells(r) for s in content.sections for r in s.rows if r.headline][:14] if brief else [],
        }
        html = render_to_string("reports/brief.html" if brief else "reports/situation.html", context)
    # Imported here: WeasyPrint needs the system's Pango, and the rest of the site must run without it.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
