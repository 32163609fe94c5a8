"""Rendering a briefing's content as a Vietnamese administrative document:
DOCX (python-docx) and PDF (WeasyPrint, from an HTML template). Both take the
same Content and the same chart PNGs, so their figures are the same.

The format follows Decree 30/2020/NĐ-CP (Appendix I): A4, margins 20 mm top and
bottom, 30 mm left, 20 mm right; Times New Roman (in the PDF the metric-compatible
Liberation Serif or Tinos, Debian's fonts-liberation2 and fonts-croscore); body 13 pt;
page numbers at the top centre from page 2; the recipients ("Nơi nhận", 12 pt bold
italic, entries 11 pt) at the bottom left and the signer (authority and title in bold
capitals, full name in bold) at the bottom right."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import docx
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx.document import Document as Docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from nrs.lib import periods
from nrs.lib.numbers import written
from nrs.lib.periods import Period
from nrs.reports.content import Content, Row

FONT = "Times New Roman"  # Decree 30/2020/NĐ-CP; the PDF uses a metric-compatible serif (_style.html)
BODY_PT, TITLE_PT, TABLE_PT = 13, 14, 11  # body 13-14 pt; tables of figures smaller, as annexes are
RECIPIENTS_PT, RECIPIENTS_LABEL_PT = 11, 12

# "Nơi nhận": who receives a briefing, in the decree's order; the last line is the
# archive (the clerical office, VT, and the general affairs department, TH).
RECIPIENTS: tuple[Promise, ...] = (
    gettext_lazy("The Prime Minister (for reporting)"),
    gettext_lazy("The Deputy Prime Ministers"),
    gettext_lazy("Ministries, ministerial-level agencies, government agencies"),
    gettext_lazy("People's Committees of provinces and centrally-run cities"),
    gettext_lazy("Government Office: the Minister-Chairman, the Vice Chairmen"),
    gettext_lazy("Archive: Clerical Office, General Affairs Department"),
)
# The signer's authority and title, line by line, when the deployment configures none
# (NRS_BRIEFING_SIGNER_TITLE, lines separated by "|"): a Vice Chairman signing for the Minister.
SIGNER_TITLE: tuple[Promise, ...] = (gettext_lazy("FOR THE MINISTER, CHAIRMAN"), gettext_lazy("VICE CHAIRMAN"))
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
    signer_title: tuple[str, ...]  # authority ("KT. BỘ TRƯỞNG, CHỦ NHIỆM") and position, in capitals
    signer_name: str = ""  # the official's full name, printed under the signature
    signed: bool = True  # "(Đã ký số)" under the title; else the space is left for a handwritten signature
    recipients: tuple[str, ...] = ()

    @property
    def recipient_lines(self) -> list[str]:
        """"- Thủ tướng Chính phủ (để b/c);" … "- Lưu: VT, TH." (the last ends with a full stop)."""
        return [f"- {text}{'.' if i == len(self.recipients) - 1 else ';'}" for i, text in enumerate(self.recipients)]


def period_label(period: Period, language: str) -> str:
    """The period as the document's title and sentences write it: "tháng 10 năm 2026", "quý IV năm 2026",
    "6 tháng đầu năm 2026"; in English "October 2026", "Q4 2026", "H1 2026" (nrs.lib.periods.label)."""
    return periods.label(period, language, style="document")


def signer_title() -> tuple[str, ...]:
    configured = str(getattr(settings, "NRS_BRIEFING_SIGNER_TITLE", "") or "")
    if configured:
        return tuple(line.strip().upper() for line in configured.split("|") if line.strip())
    return tuple(str(line) for line in SIGNER_TITLE)


def heading(content: Content, *, number: str, issued_on: date, brief: bool = False,
            signer_name: str = "", signed: bool = True) -> Heading:
    with translation.override(content.language):
        label = period_label(content.period, content.language)
        if content.language == "en":
            dated = f"Ha Noi, {issued_on.day} {MONTHS_EN[issued_on.month - 1]} {issued_on.year}"
        else:
            dated = f"Hà Nội, ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}"
        title = _("BRIEF") if brief else _("REPORT")
        subtitle = (_("Key socio-economic figures, %(period)s") if brief
                    else _("Socio-economic situation, %(period)s")) % {"period": label}
        return Heading(_("GOVERNMENT OFFICE"), number, dated, issued_on, title, subtitle, signer_title(),
                       signer_name, signed, tuple(str(r) for r in RECIPIENTS))


def fmt(value: Decimal | None, decimals: int = 1) -> str:
    """A figure in the active language, rounded half away from zero (nrs.lib.numbers.written):
    1.073.036,7 in Vietnamese, 1,073,036.7 in English; the same rule as the pages and the alerts."""
    if value is None:
        return "–"
    return written(value, decimals, translation.get_language())


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


def coverage_note(rows: list[Row]) -> str:
    """A sentence for the body where national figures are partial: how many provinces
    reported, and which figures ("29/34 tỉnh, thành phố đã báo cáo"). "" when all are complete."""
    partial = [r for r in rows if r.coverage]
    if not partial:
        return ""
    by_coverage: dict[str, list[str]] = {}
    for row in partial:
        by_coverage.setdefault(row.coverage, []).append(row.name)
    notes = []
    for covered, names in by_coverage.items():
        if len(names) == len(rows):
            notes.append(_("The national figures above are partial: %(coverage)s provinces reported; they are not "
                           "compared with the same period last year.") % {"coverage": covered})
        else:
            notes.append(_("Partial national figures (%(names)s): %(coverage)s provinces reported; they are not "
                           "compared with the same period last year.") % {"coverage": covered,
                                                                          "names": "; ".join(names)})
    return " ".join(notes)


def introduction(content: Content) -> str:
    return _("The Government Office reports the key socio-economic figures of %(period)s, from the reports approved "
             "in the National Reporting System, as follows:") % {"period": period_label(content.period,
                                                                                       content.language)}


# -- DOCX ---------------------------------------------------------------------------

def _fonts(rpr_parent) -> None:  # type: ignore[no-untyped-def]
    """Times New Roman for every script (Latin, complex, East Asian), replacing the theme's
    fonts, so that Word and LibreOffice set Vietnamese in it too."""
    rpr = rpr_parent.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_parent.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for attribute in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{attribute}"), FONT)


def _styles(doc: Docx) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None and (rpr_default := defaults.find(qn("w:rPrDefault"))) is not None:
        _fonts(rpr_default)
    for name, size in (("Normal", BODY_PT), ("Heading 1", BODY_PT), ("Heading 2", BODY_PT), ("Table Grid", TABLE_PT)):
        style = doc.styles[name]
        _fonts(style.element)
        style.font.size = Pt(size)
        if name.startswith("Heading"):
            style.font.bold, style.font.italic, style.font.color.rgb = True, False, RGBColor(0, 0, 0)
            style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(6), Pt(6)
    body = doc.styles["Normal"].paragraph_format
    body.space_after, body.line_spacing = Pt(6), 1.0


def _body(doc: Docx, text: str) -> Paragraph:
    """A paragraph of the body: justified, the first line indented 1 cm (the decree's layout)."""
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    _run(paragraph, text, BODY_PT)
    return paragraph


def _run(paragraph: Paragraph, text: str, size: int, *, bold: bool = False, italic: bool = False):  # type: ignore[no-untyped-def]
    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.bold, run.italic = FONT, Pt(size), bold, italic
    _fonts(run._r)
    return run


def _page_numbers(section) -> None:  # type: ignore[no-untyped-def]
    """The page number at the top centre, from page 2: the first page's header is empty."""
    section.different_first_page_header_footer = True
    section.header_distance = Cm(1)
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("text", "2"), ("end", "")):
        run = _run(paragraph, text if kind == "text" else "", BODY_PT)
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
            run._r.append(element)
        elif kind != "text":
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)


def to_docx(content: Content, head: Heading, charts: dict[int, bytes]) -> bytes:
    with translation.override(content.language):
        doc = docx.Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
        _styles(doc)
        _page_numbers(section)
        _docx_heading(doc, head)
        _body(doc, introduction(content))
        for number, part in enumerate(content.sections, start=1):
            doc.add_heading(f"{number}. {part.title}", level=2)
            _docx_table(doc, [columns(), *(cells(r) for r in part.rows)])
            if note := coverage_note(part.rows):
                _body(doc, note).runs[0].italic = True
            if part.area in charts:
                doc.add_picture(io.BytesIO(charts[part.area]), width=Cm(15.5))
        _docx_annex(doc, content)
        _docx_closing(doc, head)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def _docx_heading(doc: Docx, head: Heading) -> None:
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6), Cm(10)
    _lines(left, [(head.issuer, 12, "b"), ("———", 12, ""), (_("No.") + f" {head.number}", 13, "")])
    _lines(right, [(_("SOCIALIST REPUBLIC OF VIET NAM"), 12, "b"), (_("Independence - Freedom - Happiness"), 13, "b"),
                   ("———", 12, ""), (head.place, 13, "i")])
    for text, size in ((head.title, TITLE_PT), (head.subtitle, TITLE_PT)):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, text, size, bold=True)


def _lines(cell, lines: list[tuple[str, int, str]]) -> None:  # type: ignore[no-untyped-def]
    cell.paragraphs[0].text = ""
    for i, (text, size, style) in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, text, size, bold="b" in style, italic="i" in style)


def _docx_table(doc: Docx, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            paragraph = table.cell(r, c).paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            _run(paragraph, text, TABLE_PT, bold=r == 0)
            if c >= 2 and r > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def summary_rows(content: Content) -> list[list[str]]:
    """Counts of reports per regime, grouped as figures are (3.321 communes, not 3321)."""
    language = translation.get_language()
    return [[s.regime, *(written(n, 0, language) for n in (s.expected, s.on_time, s.late, s.missing, s.returned))]
            for s in content.summary]


def summary_columns() -> list[str]:
    return [_("Report regime"), _("Expected"), _("On time"), _("Late"), _("Missing"), _("Returned")]


def _docx_annex(doc: Docx, content: Content) -> None:
    doc.add_heading(_("Annex: reporting compliance"), level=2)
    if content.summary:
        _docx_table(doc, [summary_columns(), *summary_rows(content)])
    if not content.annex:
        _body(doc, _("Every expected report arrived on time."))
    else:
        rows = [[_("Report regime"), _("Reporting unit"), _("Status"), _("Deadline")]]
        rows += [[late.regime, late.unit, status_label(late.status), late.deadline.strftime("%d/%m/%Y")]
                 for late in content.annex]
        _docx_table(doc, rows)
    _body(doc, source_note()).runs[0].italic = True


def source_note() -> str:
    return _("Figures: approved reports in the National Reporting System, aggregated by the catalogue's rules; "
             "figures of provinces merged in 2025 before July 2025 are rebuilt from their predecessors.")


def _docx_closing(doc: Docx, head: Heading) -> None:
    """"Nơi nhận" at the bottom left, the signer at the bottom right (one borderless table)."""
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(8.5)
    left.paragraphs[0].paragraph_format.space_after = Pt(0)
    _run(left.paragraphs[0], _("Recipients:"), RECIPIENTS_LABEL_PT, bold=True, italic=True)
    for line in head.recipient_lines:
        paragraph = left.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, line, RECIPIENTS_PT)
    first = right.paragraphs[0]
    lines = [(t, BODY_PT, "b") for t in head.signer_title]
    lines += [(_("(Digitally signed)") if head.signed else "", BODY_PT, "i"), ("", BODY_PT, "")]
    lines += [(head.signer_name, BODY_PT, "b")] if head.signer_name else []
    for i, (text, size, style) in enumerate(lines):
        paragraph = first if i == 0 else right.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        _run(paragraph, text, size, bold="b" in style, italic="i" in style)


def status_label(status: str) -> str:
    return {"late": _("Late"), "missing": _("Missing"), "returned": _("Returned")}.get(status, status)


# -- PDF -----------------------------------------------------------------------------

def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def to_pdf(content: Content, head: Heading, charts: dict[int, bytes], *, brief: bool = False) -> bytes:
    """The same content as a PDF, through an HTML template (A4, Times-like serif)."""
    headline = [r for s in content.sections for r in s.rows if r.headline][:14]
    with translation.override(content.language):
        context = {
            "head": head, "content": content, "columns": columns(), "brief": brief,
            "introduction": introduction(content), "source_note": source_note(),
            "sections": [{"title": s.title, "rows": [cells(r) for r in s.rows], "note": coverage_note(s.rows),
                          "chart": _data_uri(charts[s.area]) if s.area in charts else ""}
                         for s in content.sections],
            "annex": [(late.regime, late.unit, status_label(late.status), late.deadline.strftime("%d/%m/%Y"))
                      for late in content.annex],
            "summary_columns": summary_columns(), "summary": summary_rows(content),
            "headline": [cells(r) for r in headline] if brief else [],
            "headline_note": coverage_note(headline) if brief else "",
        }
        html = render_to_string("reports/brief.html" if brief else "reports/situation.html", context)
    # Imported here: WeasyPrint needs the system's Pango, and the rest of the site must run without it.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
