"""Briefings per Decree 30/2020/NĐ-CP (issue 20, item 9), checked with independent
tools: the DOCX read back with python-docx, the PDF through poppler (pdffonts for the
embedded fonts, pdftotext for the words and where they sit, pdftoppm for the page image)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from nrs.accounts.models import User
from tests.test_reports import SOFFICE, WRITER, _generate, figures  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
SIGNER = "Nguyễn Thị Hồng Nhung"
FONTS = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout if shutil.which(
    "fc-list") else ""
POPPLER = pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
                             reason="poppler-utils is not installed (make test installs it)")
SERIF = pytest.mark.skipif(not re.search(r"Liberation Serif|Tinos", FONTS) and os.environ.get("CI") != "true",
                           reason="no Times-compatible serif (make browser installs fonts-liberation2)")
TIMES_COMPATIBLE = re.compile(r"Liberation-?Serif|Tinos|Times-?New-?Roman", re.I)


@pytest.fixture
def briefing(figures):  # type: ignore[no-untyped-def]  # noqa: F811
    User.objects.filter(pk=figures.pk).update(full_name=SIGNER)
    figures.refresh_from_db()
    return _generate(figures)


def _run(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def test_the_docx_is_set_in_times_new_roman_13_pt_with_recipients_signer_and_page_numbers(briefing) -> None:  # type: ignore[no-untyped-def]
    import io

    document = docx.Document(io.BytesIO(briefing.docx.read()))
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size in (Pt(13), Pt(14))
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "cs", "eastAsia")} == {"Times New Roman"}
    assert fonts.get(qn("w:asciiTheme")) is None  # a theme font would override the name
    # Every run of the body prose (outside the tables) is Times New Roman 13-14 pt, by itself or its style.
    prose = [p for p in document.paragraphs if p.text.strip()]
    body = [p for p in prose if p.style.name == "Normal"]
    assert len(body) >= 3  # the introduction, the coverage notes, the source
    for paragraph in prose:
        for run in paragraph.runs:
            name = run.font.name or paragraph.style.font.name
            size = run.font.size or paragraph.style.font.size
            assert name == "Times New Roman", (paragraph.text, name)
            assert size is not None and Pt(13) <= size <= Pt(14), (paragraph.text, size)
    for heading in (p for p in prose if p.style.name.startswith("Heading")):
        assert heading.style.font.bold and heading.style.font.color.rgb in (None, docx.shared.RGBColor(0, 0, 0))
    # The coverage note is a sentence of the body, not only a table cell.
    assert any("2/34 tỉnh, thành phố đã báo cáo" in p.text for p in body)
    # The closing table: "Nơi nhận:" (12 pt bold italic, entries 11 pt) at the left, the signer at the right.
    closing = document.tables[-1]
    left, right = closing.rows[0].cells
    label = left.paragraphs[0].runs[0]
    assert label.text == "Nơi nhận:" and label.bold and label.italic and label.font.size == Pt(12)
    entries = [p for p in left.paragraphs[1:]]
    assert entries[0].text == "- Thủ tướng Chính phủ (để b/c);" and entries[-1].text.startswith("- Lưu: VT")
    assert entries[-1].text.endswith(".") and all(p.runs[0].font.size == Pt(11) for p in entries)
    lines = [p for p in right.paragraphs if p.text]
    assert lines[0].text == "KT. BỘ TRƯỞNG, CHỦ NHIỆM" and lines[0].runs[0].bold
    assert lines[-1].text == SIGNER and lines[-1].runs[0].bold
    # Page numbers: a PAGE field in the header, none on the first page.
    section = document.sections[0]
    assert section.different_first_page_header_footer
    header = section.header._element.xml
    assert re.search(r"<w:instrText[^>]*>\s*PAGE\s*</w:instrText>", header)
    assert "PAGE" not in section.first_page_header._element.xml
    assert section.header.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" not in section.footer._element.xml
    # Margins: 30 mm left, 20 mm top (to the twip Word stores).
    assert abs(section.left_margin.mm - 30) < 0.1 and abs(section.top_margin.mm - 20) < 0.1


@POPPLER
@SERIF
def test_the_pdf_uses_a_times_compatible_serif_with_recipients_signer_and_numbers_at_the_top(briefing,  # type: ignore[no-untyped-def]
                                                                                             tmp_path) -> None:
    source = tmp_path / "bao-cao.pdf"
    source.write_bytes(briefing.pdf.read())
    fonts = _run(["pdffonts", str(source)]).splitlines()[2:]
    names = [line.split()[0] for line in fonts]
    assert any(TIMES_COMPATIBLE.search(n) for n in names), fonts
    assert not [n for n in names if "DejaVu" in n], fonts  # nothing falls back to DejaVu
    assert all(re.search(r"\byes\b", line) for line in fonts), fonts  # every font is embedded
    pages = int(re.search(r"^Pages:\s+(\d+)", _run(["pdfinfo", str(source)]), re.M).group(1))  # type: ignore[union-attr]
    assert pages >= 2
    text = _run(["pdftotext", "-layout", str(source), "-"])
    assert "Nơi nhận:" in text and "- Thủ tướng Chính phủ (để b/c);" in text and SIGNER in text
    assert "KT. BỘ TRƯỞNG, CHỦ NHIỆM" in text and "PHÓ CHỦ NHIỆM" in text
    # The recipients and the signer side by side: on the same line of the last page.
    last = _run(["pdftotext", "-layout", "-f", str(pages), "-l", str(pages), str(source), "-"])
    assert re.search(r"Nơi nhận:\s{5,}KT\. BỘ TRƯỞNG, CHỦ NHIỆM", last), last
    # The coverage note is a sentence of the body.
    words = " ".join(text.split())
    assert "Số liệu toàn quốc nêu trên chưa đầy đủ: 2/34 tỉnh, thành phố đã báo cáo" in words
    # Page numbers at the top centre from page 2: word boxes from pdftotext -bbox.
    for page in (1, 2):
        html = _run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(source), "-"])
        height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
        width = float(re.search(r'<page width="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
        words_at = [(float(x0), float(y1), float(x1), w) for x0, x1, y1, w in
                    re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                               html)]
        margin = 20 / 25.4 * 72  # the 20 mm top margin, in points
        top = [w for w in words_at if w[1] <= margin]  # words that end inside it
        assert height > 800  # A4
        if page == 1:
            assert not top, top  # no number on the first page
        else:
            assert [w[3] for w in top] == ["2"], top
            x0, _y, x1, _w = top[0]
            centre = (30 + (210 - 20)) / 2 / 25.4 * 72  # of the text column: 30 mm left, 20 mm right margins
            assert abs((x0 + x1) / 2 - centre) < 3 and abs(width - 595.3) < 1, (x0, x1, width)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")],
                   check=True, timeout=120)
    [png] = list(tmp_path.glob("p-*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@POPPLER
@SERIF
def test_the_one_page_brief_keeps_to_one_page_with_its_closing_blocks(figures, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    User.objects.filter(pk=figures.pk).update(full_name=SIGNER)
    figures.refresh_from_db()
    brief = _generate(figures, kind="brief")
    source = tmp_path / "brief.pdf"
    source.write_bytes(brief.pdf.read())
    assert re.search(r"^Pages:\s+1$", _run(["pdfinfo", str(source)]), re.M)
    text = " ".join(_run(["pdftotext", str(source), "-"]).split())
    assert "Nơi nhận:" in text and SIGNER in text and "2/34 tỉnh, thành phố đã báo cáo" in text
    assert not [n for n in _run(["pdffonts", str(source)]).splitlines()[2:] if "DejaVu" in n]


def test_a_configured_signer_stands_before_the_requesting_user(figures, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import io

    settings.NRS_BRIEFING_SIGNER_NAME = "Trần Văn Sơn"
    settings.NRS_BRIEFING_SIGNER_TITLE = "Bộ trưởng, Chủ nhiệm"
    briefing = _generate(figures)
    right = docx.Document(io.BytesIO(briefing.docx.read())).tables[-1].rows[0].cells[1]
    lines = [p.text for p in right.paragraphs if p.text]
    assert lines[0] == "BỘ TRƯỞNG, CHỦ NHIỆM" and lines[-1] == "Trần Văn Sơn"



@POPPLER
@SERIF
@pytest.mark.skipif(not WRITER and os.environ.get("CI") != "true",
                    reason="LibreOffice Writer is not installed (make test installs it)")
def test_libreoffice_sets_the_docx_in_a_times_metric_serif_numbered_from_page_2(briefing, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(briefing.docx.read())
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, timeout=180, capture_output=True)
    converted = str(tmp_path / "bao-cao.pdf")
    names = [line.split()[0] for line in _run(["pdffonts", converted]).splitlines()[2:]]
    assert any(TIMES_COMPATIBLE.search(n) for n in names) and not [n for n in names if "DejaVu" in n], names
    first = _run(["pdftotext", "-layout", "-f", "1", "-l", "1", converted, "-"]).lstrip().splitlines()
    second = _run(["pdftotext", "-layout", "-f", "2", "-l", "2", converted, "-"]).lstrip().splitlines()
    assert first[0].split()[0] == "VĂN" and second[0].strip() == "2", (first[:2], second[:2])
    text = _run(["pdftotext", "-layout", converted, "-"])
    assert "Nơi nhận:" in text and SIGNER in text
