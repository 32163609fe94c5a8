"""Bad registry data is rejected whole, with a message naming the file and row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nrs.registry.loader import load_registry
from nrs.registry.models import Indicator, OrgUnit
from nrs.registry.sources import DATA_DIR, RegistryError

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _expect(data: Path, source: str, row: int | str, words: str) -> RegistryError:
    units, indicators = OrgUnit.objects.count(), Indicator.objects.count()
    with pytest.raises(RegistryError) as caught:
        load_registry(data)
    error = caught.value
    assert (error.source, error.row) == (source, row), str(error)
    assert words in str(error)
    assert f"{source}, dòng/row {row}" in str(error)
    # Nothing was written.
    assert (OrgUnit.objects.count(), Indicator.objects.count()) == (units, indicators)
    return error


def test_duplicate_indicator_code(data: Path) -> None:
    lines = _rows(data / "indicators.csv")
    lines.append(lines[1])
    _write(data / "indicators.csv", lines)
    _expect(data, "indicators.csv", len(lines), "duplicate code")


def test_unknown_formula_reference(data: Path) -> None:
    lines = _rows(data / "indicators.csv")
    row = next(i for i, line in enumerate(lines) if line.startswith("ONLINE_DOSSIER_SHARE,"))
    lines[row] = lines[row].replace("DOSSIER_ONLINE", "NO_SUCH_CODE", 1)
    _write(data / "indicators.csv", lines)
    _expect(data, "indicators.csv", row + 1, "unknown indicator NO_SUCH_CODE")


def test_formula_cycle(data: Path) -> None:
    import csv
    import io

    lines = _rows(data / "indicators.csv")
    header = next(csv.reader([lines[0]]))
    rows = [next(csv.reader([line])) for line in lines[1:]]
    a = next(r for r in rows if r[0] == "ONLINE_DOSSIER_SHARE")
    b = next(r for r in rows if r[0] == "DOSSIER_ONLINE")
    b[header.index("formula")] = "ONLINE_DOSSIER_SHARE * 2"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    (data / "indicators.csv").write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(data)
    assert "cycle" in str(caught.value)
    assert caught.value.row in (rows.index(a) + 2, rows.index(b) + 2)


def test_unknown_parent(data: Path) -> None:
    path = data / "agencies.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("parent: BTC,", "parent: NOPE,"), encoding="utf-8")
    _expect(data, "agencies.yaml", 25, "unknown parent 'NOPE'")


def test_duplicate_agency_code(data: Path) -> None:
    path = data / "agencies.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{code: BCA,", "{code: BQP,"), encoding="utf-8")
    _expect(data, "agencies.yaml", 2, "duplicate code 'BQP'")


def test_unknown_unit_of_measure(data: Path) -> None:
    lines = _rows(data / "indicators.csv")
    cells = lines[1].split(",")
    unit_col = 4
    cells[unit_col] = "FURLONG"
    lines[1] = ",".join(cells)
    _write(data / "indicators.csv", lines)
    _expect(data, "indicators.csv", 2, "unknown 'FURLONG'")


def test_regime_with_unknown_indicator(data: Path) -> None:
    path = data / "regimes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- PUBLIC_INV_DISBURSED", "- NOT_AN_INDICATOR", 1),
                    encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(data)
    assert caught.value.source == "regimes.yaml"
    assert "NOT_AN_INDICATOR" in str(caught.value)


def test_invalid_yaml(data: Path) -> None:
    (data / "codelists.yaml").write_text("SEX: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(data)
    assert caught.value.source == "codelists.yaml"
