"""Rebuild nrs/registry/data/regimes.yaml from the regime definitions below
and the indicator catalogue (indicators.csv).

    .venv/bin/python scripts/build_regimes.py

Each regime's data form is derived from the catalogue: the provinces' reports
take the province- and commune-level indicators of the matching frequency;
each ministry has a sector report per frequency its indicators are published at
(required: those whose own frequency it is; optional: those also published at
it); the statistics office (CTK, TCTK before 2025-03) reports the national
statistical series at every frequency it publishes them, as staggered releases
(every indicator optional, no text document required).
Deadlines follow Decree 09/2019/NĐ-CP's pattern; exact days are NRS
assumptions, editable per regime in the admin.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import yaml

DATA = Path(os.environ.get("NRS_REGISTRY_DATA", Path(__file__).resolve().parent.parent / "nrs" / "registry" / "data"))
FREQ_ORDER = {"M": 0, "Q": 1, "S": 2, "N": 3, "Y": 4, "YTD": 5}
FREQ_NAME = {"M": ("hằng tháng", "monthly"), "Q": ("hằng quý", "quarterly"),
             "S": ("6 tháng", "six-monthly"), "N": ("9 tháng", "nine-month"),
             "Y": ("hằng năm", "annual"), "YTD": ("lũy kế từ đầu năm", "year-to-date")}
# A regime of frequency F collects the indicators reported at F or more often.
COVERS = {"M": {"M"}, "Q": {"M", "Q"}, "S": {"M", "Q", "S"}, "N": {"M", "Q"},
          "Y": {"M", "Q", "S", "Y"}}

OUTLINE_VI = """I. TÌNH HÌNH KINH TẾ - XÃ HỘI
1. Tăng trưởng kinh tế; sản xuất công nghiệp, nông nghiệp, dịch vụ
2. Thu, chi ngân sách; giải ngân vốn đầu tư công
3. Xuất nhập khẩu; thu hút đầu tư; phát triển doanh nghiệp
4. Lao động, việc làm; an sinh xã hội; y tế, giáo dục
5. Tài nguyên, môi trường; cải cách hành chính
II. ĐÁNH GIÁ CHUNG: kết quả nổi bật, tồn tại, hạn chế và nguyên nhân
III. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM KỲ TỚI
IV. KIẾN NGHỊ, ĐỀ XUẤT"""
OUTLINE_EN = """I. THE SOCIO-ECONOMIC SITUATION
1. Economic growth; industry, agriculture and services
2. Budget revenue and spending; public investment disbursement
3. Trade; investment; enterprise development
4. Labour and employment; social security; health and education
5. Natural resources and environment; administrative reform
II. OVERALL ASSESSMENT: achievements, shortcomings and causes
III. PRIORITY TASKS AND SOLUTIONS FOR THE NEXT PERIOD
IV. RECOMMENDATIONS"""

PROVINCE_DEADLINES = {
    "M": {"kind": "day_of_month", "value": 20},           # by the 20th of the month
    "Q": {"kind": "day_of_month", "value": 20},
    "S": {"kind": "day_of_month", "value": 20},
    "N": {"kind": "day_of_month", "value": 20},
    "Y": {"kind": "day_of_month", "value": 20},
}
MINISTRY_DEADLINE = {"kind": "working_days", "value": 2}

AGENCY_NAMES = {
    "BTC": ("Bộ Tài chính", "Ministry of Finance"),
    "BCT": ("Bộ Công Thương", "Ministry of Industry and Trade"),
    "BNNMT": ("Bộ Nông nghiệp và Môi trường", "Ministry of Agriculture and Environment"),
    "BXD": ("Bộ Xây dựng", "Ministry of Construction"),
    "BKHCN": ("Bộ Khoa học và Công nghệ", "Ministry of Science and Technology"),
    "BGDDT": ("Bộ Giáo dục và Đào tạo", "Ministry of Education and Training"),
    "BYT": ("Bộ Y tế", "Ministry of Health"),
    "BNV": ("Bộ Nội vụ", "Ministry of Home Affairs"),
    "BVHTTDL": ("Bộ Văn hóa, Thể thao và Du lịch", "Ministry of Culture, Sports and Tourism"),
    "NHNN": ("Ngân hàng Nhà nước Việt Nam", "State Bank of Viet Nam"),
    "VPCP": ("Văn phòng Chính phủ", "Government Office"),
    "BCA": ("Bộ Công an", "Ministry of Public Security"),
    "BTP": ("Bộ Tư pháp", "Ministry of Justice"),
    "BHXH": ("Bảo hiểm xã hội Việt Nam", "Viet Nam Social Security"),
    "TTCP": ("Thanh tra Chính phủ", "Government Inspectorate"),
    "BDTTG": ("Bộ Dân tộc và Tôn giáo", "Ministry of Ethnic Minorities and Religions"),
    "BNG": ("Bộ Ngoại giao", "Ministry of Foreign Affairs"),
    "BQP": ("Bộ Quốc phòng", "Ministry of National Defence"),
}


def _catalogue() -> list[dict[str, str]]:
    with (DATA / "indicators.csv").open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if not row["formula"]]


def _province_regimes(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    regimes = []
    for freq in ("M", "Q", "S", "N", "Y"):
        vi, en = FREQ_NAME[freq]
        form = [r["code"] for r in rows
                if r["level"] in ("province", "commune") and r["frequency"] in COVERS[freq]]
        regimes.append({
            "code": f"PROV_KTXH_{freq}", "type": "periodic", "content": "both",
            "name_vi": f"Báo cáo tình hình kinh tế - xã hội {vi} của UBND tỉnh, thành phố",
            "name_en": f"Provincial {en} socio-economic report",
            "frequency": freq, "cutoff_day": 15, "deadline": PROVINCE_DEADLINES[freq],
            "reporters": "all_provinces", "recipient": "VPCP", "indicators": form,
            "outline_vi": OUTLINE_VI, "outline_en": OUTLINE_EN, "approval_required": True,
            "legal_basis": "Nghị định 09/2019/NĐ-CP",
        })
    return regimes


def _commune_regime(rows: list[dict[str, str]]) -> dict[str, object]:
    form = [r["code"] for r in rows if r["level"] == "commune" and r["frequency"] == "M"]
    return {
        "code": "XA_KTXH_M", "type": "periodic", "content": "data",
        "name_vi": "Báo cáo số liệu kinh tế - xã hội hằng tháng cấp xã",
        "name_en": "Commune monthly socio-economic data report",
        "frequency": "M", "cutoff_day": 15, "deadline": {"kind": "working_days", "value": 1},
        "reporters": "all_communes", "indicators": form, "approval_required": True,
        "legal_basis": "Nghị định 09/2019/NĐ-CP; chính quyền địa phương hai cấp từ 01/7/2025",
    }


def _published(row: dict[str, str]) -> list[str]:
    return [row["frequency"], *[f for f in row["frequencies"].split(";") if f and f != row["frequency"]]]


def _by_frequency(rows: list[dict[str, str]]) -> dict[str, tuple[list[str], list[str]]]:
    """Frequency -> (the form, its optional part): every indicator published at the
    frequency; those whose own frequency it is not are optional."""
    forms: dict[str, tuple[list[str], list[str]]] = {}
    for row in rows:
        for freq in _published(row):
            form, optional = forms.setdefault(freq, ([], []))
            form.append(row["code"])
            if freq != row["frequency"]:
                optional.append(row["code"])
    return dict(sorted(forms.items(), key=lambda item: FREQ_ORDER[item[0]]))


def _ministry_regimes(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """A sector report per frequency, for the indicators a ministry is the national
    source of (those the statistics office publishes are in its own regimes)."""
    regimes = []
    by_agency: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if not row["source_agency"]:
            by_agency.setdefault(row["agency"], []).append(row)
    for agency in sorted(by_agency):
        name_vi, name_en = AGENCY_NAMES[agency]
        for freq, (form, optional) in _by_frequency(by_agency[agency]).items():
            if len(optional) == len(form):
                continue  # nothing of its own at this frequency: the longer periods are derived
            vi, en = FREQ_NAME[freq]
            regimes.append({
                "code": f"{agency}_NGANH_{freq}", "type": "periodic", "content": "both",
                "name_vi": f"Báo cáo ngành {vi} của {name_vi}",
                "name_en": f"{name_en}: {en} sector report",
                "frequency": freq, "cutoff_day": 16 if agency == "TTCP" else 15,
                "deadline": MINISTRY_DEADLINE, "reporters": [agency], "recipient": "VPCP",
                "indicators": form, "optional": optional,
                "approval_required": True, "legal_basis": "Nghị định 09/2019/NĐ-CP",
            })
    return regimes


def _statistics_regimes(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """The national statistical series, at every frequency the statistics office publishes
    them: staggered releases, so every indicator is optional and no text is required."""
    regimes = []
    ours = [r for r in rows if r["source_agency"] == "CTK"]
    for freq, (form, _optional) in _by_frequency(ours).items():
        vi, en = FREQ_NAME[freq]
        regimes.append({
            "code": f"CTK_TK_{freq}", "type": "periodic", "content": "data",
            "name_vi": f"Số liệu thống kê quốc gia {vi} (Cục Thống kê)",
            "name_en": f"National statistical series, {en} (Statistics Office)",
            "frequency": freq, "cutoff_day": 15, "deadline": MINISTRY_DEADLINE,
            "reporters": ["TCTK", "CTK"], "recipient": "VPCP", "indicators": form,
            "optional": form, "document_required": False, "approval_required": True,
            "legal_basis": "Luật Thống kê 2015; Nghị định 94/2022/NĐ-CP; Nghị định 09/2019/NĐ-CP",
        })
    return regimes


def _special_regimes(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    codes = {r["code"] for r in rows}
    investment = [c for c in ("PUBLIC_INV_DISBURSED",) if c in codes]
    return [
        {"code": "CD_GIAINGAN_DTC", "type": "thematic", "content": "both",
         "name_vi": "Báo cáo chuyên đề tình hình giải ngân vốn đầu tư công",
         "name_en": "Thematic report on public investment disbursement",
         "frequency": "M", "cutoff_day": 15, "deadline": {"kind": "working_days", "value": 3},
         "reporters": "all_provinces", "recipient": "BTC", "indicators": investment,
         "approval_required": True, "legal_basis": "Nghị định 09/2019/NĐ-CP, Điều 5"},
        {"code": "DX_THIENTAI", "type": "adhoc", "content": "text",
         "name_vi": "Báo cáo đột xuất về thiệt hại do thiên tai",
         "name_en": "Ad hoc report on natural-disaster damage",
         "frequency": "", "deadline": {"kind": "working_days", "value": 1},
         "reporters": "all_provinces", "recipient": "VPCP", "indicators": [],
         "approval_required": False, "legal_basis": "Nghị định 09/2019/NĐ-CP, Điều 5"},
    ]


def main() -> None:
    rows = _catalogue()
    regimes = ([*_province_regimes(rows), _commune_regime(rows), *_ministry_regimes(rows),
                *_statistics_regimes(rows), *_special_regimes(rows)])
    header = ("# Report regimes. Generated by scripts/build_regimes.py from the regime\n"
              "# definitions in that script and indicators.csv; edit the script, then rerun.\n")
    text = yaml.safe_dump({"regimes": regimes}, allow_unicode=True, sort_keys=False, width=100)
    (DATA / "regimes.yaml").write_text(header + text, encoding="utf-8")
    print(f"{len(regimes)} regimes written")


if __name__ == "__main__":
    main()
