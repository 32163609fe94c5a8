"""The Excel entry path: a protected .xlsx template per regime × unit × period,
and a safe parser that turns an uploaded copy back into validation.Rows.

Layout of the data sheet "BaoCao" (rows are 1-based):

- rows 1-5: title block (regime, reporting unit, period, regime code, instructions);
- row 6: Vietnamese column headers, row 7: English headers (smaller);
- rows 8…: one row per non-derived indicator of the regime, totals only.

Columns: A STT (no.), B Mã chỉ tiêu (code), C Tên chỉ tiêu (name), D Đơn vị tính (unit),
E Giá trị (value), F Cờ (flag), G Ghi chú (comment). Only E, F and G are unlocked.

The very hidden sheet "_meta" holds key/value rows (column A key, column B value):
format, regime, org_unit, period (SDMX id, e.g. 2026-10), first_row. Nobody sees it, so
errors never name it: a wrong unit, period or regime is reported at the visible cell that
shows it (A2, A3, A4 of "BaoCao"), and every place is told as a person reads it
("ô E12 của trang BaoCao" / "cell E12 of the BaoCao sheet"), see ``place``.

Flags are stored as codes (estimate, provisional, revised, confidential). The Vietnamese
template offers them by their Vietnamese names (the data validation list); an upload
accepts the code, the Vietnamese name or the English name, in any case (``flag_code``).

Sheet protection and data validation only guide the person typing; they are not a
security boundary (anyone can unprotect a sheet, and pasting skips validation). The
authoritative checks are nrs.collection.validation, which every entry path shares.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

# XXE / billion-laughs protection: openpyxl parses the package XML with defusedxml
# whenever it is importable (openpyxl.xml.DEFUSEDXML). Import it here so that a
# deployment without it fails loudly instead of parsing uploads unprotected.
import defusedxml  # noqa: F401
from defusedxml import DefusedXmlException
from django.utils.translation import gettext_noop as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from nrs.collection.models import Flag
from nrs.collection.validation import ERROR, MAX_ABS, Issue, Row
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from nrs.lib.periods import Period
    from nrs.registry.models import Indicator, OrgUnit, Regime

SHEET, META_SHEET = "BaoCao", "_meta"
FORMAT = "nrs-excel/1"
HEADER_ROW, FIRST_ROW = 6, 8          # Vietnamese header row; first indicator row
COL_NO, COL_CODE, COL_NAME, COL_UNIT, COL_VALUE, COL_FLAG, COL_COMMENT = "ABCDEFG"
# The headers are the template's fixed layout (an upload is recognised by the Vietnamese code
# header), not catalogue messages: the catalogue's one Vietnamese per msgid differs ("Indicator"
# is "Chỉ tiêu", "No." is "Số:").
COLUMNS = (  # letter, Vietnamese header, English header, width
    (COL_NO, "STT", "No.", 6),
    (COL_CODE, "Mã chỉ tiêu", "Indicator code", 26),
    (COL_NAME, "Tên chỉ tiêu", "Indicator", 60),
    (COL_UNIT, "Đơn vị tính", "Unit", 16),
    (COL_VALUE, "Giá trị", "Value", 18),
    (COL_FLAG, "Cờ", "Flag", 14),
    (COL_COMMENT, "Ghi chú", "Comment", 40),
)
FLAGS = ("estimate", "provisional", "revised", "confidential")
# The flags' names as the Vietnamese template lists them (the catalogue's translations of
# collection.models.Flag); English templates list the codes, which are English words.
FLAG_NAMES_VI = {"estimate": "Ước tính", "provisional": "Sơ bộ", "revised": "Điều chỉnh",
                 "confidential": "Mật"}
# The visible cells that show what _meta records (rows 2-4 of the title block), with the
# messages for a template made for another target and for a template that lost the value.
META_CELLS = {
    "org_unit": ("A", 2, _("this template is for the reporting unit '%(got)s', not '%(want)s' of the open report"),
                 _("the template's reporting unit is missing; download the Excel template again")),
    "period": ("A", 3, _("this template is for the period '%(got)s', not '%(want)s' of the open report"),
               _("the template's period is missing; download the Excel template again")),
    "regime": ("A", 4, _("this template is for the report regime '%(got)s', not '%(want)s' of the open report"),
               _("the template's report regime is missing; download the Excel template again")),
}

MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024   # sum of all members, as unpacked
MAX_RATIO = 100                        # uncompressed / compressed, per member
RATIO_MIN_SIZE = 1024 * 1024           # small members may compress well legitimately
MAX_MEMBERS = 1000
MAX_DATA_ROWS = 10_000
ZIP_MAGIC = b"PK\x03\x04"
# Characters that make Excel, LibreOffice or a CSV consumer treat text as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

UNLOCKED = Protection(locked=False)
INPUT_FILL = PatternFill("solid", start_color="FFF9E5")
HEADER_FILL = PatternFill("solid", start_color="DCE6F1")


class ExcelError(InputError):
    """A structural problem with an uploaded workbook, in both languages."""


@dataclass
class ParsedWorkbook:
    regime: str
    org_unit: str
    period: str
    rows: list[Row] = field(default_factory=list)

    def check_target(self, regime: str, org_unit: str, period: str) -> None:
        """Refuse a workbook made for another regime, unit or period than the target."""
        for name, got, want in (("regime", self.regime, regime), ("org_unit", self.org_unit, org_unit),
                                ("period", self.period, period)):
            if got != want:
                letter, row, wrong, _missing = META_CELLS[name]
                raise ExcelError(_ref(letter, row), *bilingual(wrong, got=got, want=want))


def safe_text(value: object) -> str:
    """Text that no spreadsheet will run as a formula: a leading = + - @ (or tab/CR)
    gets a "'" prefix, and characters XML cannot hold are dropped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


# -- the template ------------------------------------------------------------------------

def build_template(regime: Regime, org_unit: OrgUnit, period: Period, *,
                   existing: dict[str, Decimal | None] | None = None, language: str = "vi") -> bytes:
    """The .xlsx template for regime × org_unit × period, prefilled with ``existing``."""
    english = language.startswith("en")
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("area", "code"))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _title_block(ws, regime, org_unit, period, english)
    _headers(ws)
    _indicator_rows(ws, indicators, existing or {}, english)
    _validations(ws, indicators, english)
    _protect(ws)
    _meta_sheet(wb, regime, org_unit, period)
    wb.security = WorkbookProtection(lockStructure=True)  # keeps _meta from being unhidden
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _name(obj: Any, english: bool) -> str:
    return str(obj.name_en if english and obj.name_en else obj.name_vi)


def _title_block(ws: Worksheet, regime: Regime, unit: OrgUnit, period: Period, english: bool) -> None:
    lines = (
        (safe_text(_name(regime, english)), Font(bold=True, size=14)),
        (safe_text("{} / {}: {} ({})".format(*bilingual(_("Reporting unit")), _name(unit, english), unit.code)),
         Font(bold=True)),
        # Not from the catalogue: its "Period" is "Kỳ", the template's label "Kỳ báo cáo".
        (safe_text(f"Kỳ báo cáo / Period: {period.sdmx}"), Font(bold=True)),
        (safe_text("{} / {}: {}".format(*bilingual(_("Regime code")), regime.code)), Font(size=10)),
        ("{} / {}".format(*bilingual(_("Enter data only in the Value, Flag and Comment columns."))),
         Font(italic=True, size=9, color="555555")),
    )
    last = COLUMNS[-1][0]
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        ws.merge_cells(f"A{row}:{last}{row}")


def _headers(ws: Worksheet) -> None:
    for letter, vi, en, width in COLUMNS:
        ws.column_dimensions[letter].width = width
        top, bottom = ws[f"{letter}{HEADER_ROW}"], ws[f"{letter}{HEADER_ROW + 1}"]
        top.value, bottom.value = vi, en
        top.font, bottom.font = Font(bold=True, size=11), Font(italic=True, size=8, color="555555")
        for cell in (top, bottom):
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _indicator_rows(ws: Worksheet, indicators: list[Indicator], existing: dict[str, Decimal | None],
                    english: bool) -> None:
    for n, indicator in enumerate(indicators, start=1):
        row = FIRST_ROW + n - 1
        ws[f"{COL_NO}{row}"] = n
        ws[f"{COL_CODE}{row}"] = safe_text(indicator.code)
        ws[f"{COL_NAME}{row}"] = safe_text(_name(indicator, english))
        ws[f"{COL_UNIT}{row}"] = safe_text(_name(indicator.unit, english))
        ws[f"{COL_NAME}{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws[f"{COL_VALUE}{row}"] = _cell_number(existing.get(indicator.code))
        for letter in (COL_VALUE, COL_FLAG, COL_COMMENT):
            ws[f"{letter}{row}"].protection = UNLOCKED
            ws[f"{letter}{row}"].fill = INPUT_FILL


def _cell_number(value: Decimal | None) -> int | float | None:
    """A stored value as a number Excel keeps (it holds 15 significant digits)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def flag_names(english: bool) -> list[str]:
    """The flags as the template's list offers them: Vietnamese names, or the English codes."""
    return list(FLAGS) if english else [FLAG_NAMES_VI[code] for code in FLAGS]


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _flag_lookup() -> dict[str, str]:
    found = {_fold(code): code for code in FLAGS}
    found.update({_fold(name): code for code, name in FLAG_NAMES_VI.items()})
    found.update({_fold(str(label)): str(value) for value, label in Flag.choices})  # English names
    return found


def flag_code(text: str) -> str:
    """The stored code for a flag as typed or picked: the code, or its Vietnamese or English
    name, in any case; anything else comes back as typed, for validation to refuse."""
    return _flag_lookup().get(_fold(text), text.strip())


def _validations(ws: Worksheet, indicators: list[Indicator], english: bool = False) -> None:
    if not indicators:
        return
    limit = str(int(MAX_ABS) - 1)
    # Excel allows 32 characters in a title: room for the Vietnamese only.
    invalid = bilingual(_("Invalid value")).vi
    whole = DataValidation(type="whole", operator="between", formula1=f"-{limit}", formula2=limit,
                           allow_blank=True, showErrorMessage=True, errorTitle=invalid,
                           error="{} / {}".format(*bilingual(_("This indicator takes whole numbers."))))
    decimal = DataValidation(type="decimal", operator="between", formula1=f"-{limit}", formula2=limit,
                             allow_blank=True, showErrorMessage=True, errorTitle=invalid,
                             error="{} / {}".format(*bilingual(_("The value must be a number."))))
    names = flag_names(english)
    legend = "; ".join(f"{FLAG_NAMES_VI[code]} ({code})" for code in FLAGS)
    # The list's legend (Vietnamese names) is in the Vietnamese half only, as before.
    flags = DataValidation(type="list", formula1='"{}"'.format(",".join(names)), allow_blank=True,
                           showErrorMessage=True, errorTitle="{} / {}".format(*bilingual(_("Invalid flag"))),
                           error="{} / {}".format(bilingual(_("Choose a flag from the list: %(flags)s."),
                                                            flags=legend).vi,
                                                  bilingual(_("Choose a flag from the list.")).en),
                           showInputMessage=True, promptTitle="{} / {}".format(*bilingual(_("Flag"))),
                           prompt=bilingual(_("Leave blank if the figure is official. %(flags)s."), flags=legend).vi)
    for n, indicator in enumerate(indicators):
        row = FIRST_ROW + n
        (whole if indicator.value_type == "integer" else decimal).add(f"{COL_VALUE}{row}")
        flags.add(f"{COL_FLAG}{row}")
    for dv in (whole, decimal, flags):
        if dv.sqref:
            ws.add_data_validation(dv)


def _protect(ws: Worksheet) -> None:
    # No password: protection only stops accidental edits of codes and names.
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # allow resizing columns
    ws.protection.formatRows = False


def _meta_sheet(wb: Workbook, regime: Regime, unit: OrgUnit, period: Period) -> None:
    meta = wb.create_sheet(META_SHEET)
    for key, value in (("format", FORMAT), ("regime", regime.code), ("org_unit", unit.code),
                       ("period", period.sdmx), ("first_row", str(FIRST_ROW))):
        meta.append([key, safe_text(value)])
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True


# -- reading an upload -------------------------------------------------------------------

def parse_upload(data: bytes, *, max_bytes: int = MAX_BYTES) -> ParsedWorkbook:
    """The rows of a filled-in template. Raises ExcelError for anything that is not one;
    the values themselves are left to nrs.collection.validation."""
    _check_size(data, max_bytes)
    _check_zip(data)
    wb = _open(data)
    try:
        meta = _read_meta(wb)
        if SHEET not in wb.sheetnames:
            raise ExcelError(SHEET, *bilingual(_("the workbook has no sheet '%(sheet)s'"), sheet=SHEET))
        ws = wb[SHEET]
        rows = list(_read_rows(ws, meta["org_unit"]))
    except (DefusedXmlException, SyntaxError, zipfile.BadZipFile):  # XML refused or malformed
        raise _not_xlsx() from None
    finally:
        wb.close()
    return ParsedWorkbook(regime=meta["regime"], org_unit=meta["org_unit"], period=meta["period"], rows=rows)


def _not_xlsx() -> ExcelError:
    return ExcelError("file", *bilingual(_("the file is not a valid Excel workbook (.xlsx)")))


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise ExcelError("file", *bilingual(_("the file is too large (at most %(limit)s KB)"), limit=max_bytes // 1024))


def _check_zip(data: bytes) -> None:
    """Refuse non-zip data and zip bombs before openpyxl unpacks anything. zipfile never
    inflates a member past its declared size, so the declared sizes can be trusted."""
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_xlsx() from None
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise _bomb()
    for member in members:
        if member.file_size > RATIO_MIN_SIZE and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise _bomb()
    _check_no_dtd(data, members)


def _check_no_dtd(data: bytes, members: list[zipfile.ZipInfo]) -> None:
    """A spreadsheet never needs a DTD: one in any XML part (XXE, billion laughs) is refused
    outright (openpyxl's defusedxml would refuse its entities too, deeper down)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")):
                try:
                    raw = archive.read(member)
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                    raise _not_xlsx() from None
                if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw or b"<\x00!\x00" in raw:
                    raise ExcelError("file", *bilingual(_("the file declares an XML DTD or entities; refused")))


def _bomb() -> ExcelError:
    return ExcelError("file", *bilingual(_("the file unpacks to an unreasonable size (possible zip bomb); refused")))


def _open(data: bytes) -> Any:
    try:
        # read_only streams the sheets; data_only=False keeps formulas visible as "=…".
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds of errors for a malformed package
        raise _not_xlsx() from None


def _read_meta(wb: Any) -> dict[str, str]:
    if META_SHEET not in wb.sheetnames:
        raise ExcelError("file", *bilingual(_("the file is not a report template downloaded from NRS (its identifying "
                                              "data is missing); download this report's Excel template and fill "
                                              "that in")))
    meta: dict[str, str] = {}
    for row in wb[META_SHEET].iter_rows(min_row=1, max_row=50, max_col=2, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0]).strip()] = "" if row[1] is None else str(row[1]).strip()
    if meta.get("format") != FORMAT:
        raise ExcelError("file", *bilingual(_("this template version is not supported; download the Excel "
                                              "template again")))
    for key in ("regime", "org_unit", "period"):
        if not meta.get(key):
            letter, row, _wrong, missing = META_CELLS[key]
            raise ExcelError(_ref(letter, row), *bilingual(missing))
    return meta


def _ref(letter: str, row: int) -> str:
    return f"{SHEET}!{letter}{row}"


def _read_rows(ws: Any, org_unit: str) -> Iterator[Row]:
    lines = ws.iter_rows(min_row=HEADER_ROW, max_col=len(COLUMNS))
    header: tuple[Any, ...] = next(lines, ())
    code_header = header[1].value if len(header) > 1 else None
    if code_header != COLUMNS[1][1]:
        raise ExcelError(_ref(COL_CODE, HEADER_ROW), *bilingual(_("the sheet's layout has been changed")))
    for row, cells in enumerate(lines, start=HEADER_ROW + 1):
        if row < FIRST_ROW:
            continue
        parsed = _row(cells, row, org_unit)
        if parsed is None:
            continue
        if row >= FIRST_ROW + MAX_DATA_ROWS:
            raise ExcelError(_ref(COL_VALUE, row), *bilingual(_("at most %(max)s data rows"), max=MAX_DATA_ROWS))
        yield parsed


def _row(cells: tuple[Any, ...], row: int, org_unit: str) -> Row | None:
    """One data row, or None when nothing was entered in it."""
    cells = tuple(cells) + (None,) * (len(COLUMNS) - len(cells))
    value = _cell_value(cells[4])
    flag, comment = (_text_value(cells[i], letter, row) for i, letter in ((5, COL_FLAG), (6, COL_COMMENT)))
    if _blank(value) and _blank(flag) and _blank(comment):
        return None
    code = _cell_value(cells[1])
    refs = {"value": _ref(COL_VALUE, row), "flag": _ref(COL_FLAG, row),
            "comment": _ref(COL_COMMENT, row), "indicator": _ref(COL_CODE, row)}
    return Row(ref=refs["value"], indicator="" if code is None else str(code).strip(), org_unit=org_unit,
               value=value, flag=flag_code(flag) if flag else "", comment=comment or "", refs=refs)


def _cell_value(cell: Any) -> Any:
    """The raw value; a formula comes back as its text "=…" so validation refuses it."""
    if cell is None:
        return None
    value = cell.value
    if getattr(cell, "data_type", None) == "f" and not isinstance(value, str):
        value = "=" + str(getattr(value, "text", "") or "").lstrip("=")  # array/table formulas
    return value


def _text_value(cell: Any, letter: str, row: int) -> str | None:
    value = _cell_value(cell)
    if value is None:
        return None
    text = str(value)
    if getattr(cell, "data_type", None) == "f":
        raise ExcelError(_ref(letter, row), *bilingual(_("formulas are not accepted here, only text")))
    return text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- telling a person where and what -------------------------------------------------------

_CELL = re.compile(r"^(?P<sheet>[^!]+)!(?P<cell>[A-Z]{1,3}[0-9]+)$")


def place(ref: str) -> tuple[str, str]:
    """Where an upload problem is, as a person reads it (Vietnamese, English): a cell of a
    visible sheet, the sheet, or the file; never the hidden sheet's internal keys."""
    found = _CELL.match(ref)
    if found and found["sheet"] != META_SHEET:
        return bilingual(_("cell %(cell)s of the %(sheet)s sheet"), cell=found["cell"], sheet=found["sheet"])
    if ref == SHEET:
        return bilingual(_("the %(sheet)s sheet"), sheet=SHEET)
    if "@" in ref:  # a rule between indicators: "CODE@unit"
        return bilingual(_("indicator %(code)s"), code=ref.split("@")[0])
    return bilingual(_("the file"))


@dataclass(frozen=True)
class UploadLine:
    place_vi: str
    place_en: str
    vi: str
    en: str
    code: str  # the issue's code (value_invalid, outlier, ...)


@dataclass(frozen=True)
class UploadResult:
    """The outcome of one upload, told apart: errors (nothing was stored) and warnings (the
    values were stored; each needs a look, an outlier a comment before the report is sent)."""

    errors: list[UploadLine]
    warnings: list[UploadLine]
    saved: int = 0

    @property
    def stored(self) -> bool:
        return not self.errors


def upload_result(issues: list[Issue], saved: int = 0) -> UploadResult:
    def line(issue: Issue) -> UploadLine:
        vi, en = place(issue.ref)
        return UploadLine(vi, en, issue.vi, issue.en, issue.code)

    errors = [line(i) for i in issues if i.severity == ERROR]
    warnings = [line(i) for i in issues if i.severity != ERROR]
    return UploadResult(errors, warnings, 0 if errors else saved)
