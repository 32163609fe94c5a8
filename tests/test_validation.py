"""The validation module on plain data: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from nrs.collection import validation as v
from nrs.lib import periods

SPEC = v.IndicatorSpec("X", "decimal", 2, {"SEX": frozenset({"M", "F"})})
WHOLE = v.IndicatorSpec("N", "integer", 0, {})


def ctx(**kw) -> v.Context:  # type: ignore[no-untyped-def]
    base = dict(period=periods.Period.month(2026, 10), expected_kind=periods.Kind.MONTH,
                today=date(2026, 11, 1), form={"X": SPEC, "N": WHOLE},
                units={"01": v.UnitSpec("01", date(1900, 1, 1), None)}, submission_unit="01")
    base.update(kw)
    return v.Context(**base)  # type: ignore[arg-type]


def test_values_parse_strictly() -> None:
    assert v.parse_value("12.25", SPEC)[0] == Decimal("12.25")
    assert v.parse_value(7, WHOLE)[0] == Decimal(7)
    assert v.parse_value(None, SPEC) == (None, "", "")
    for bad in ("12.345", "1e400", "nan", "=1+1", "12,5", True, [1]):
        assert v.parse_value(bad, SPEC)[1], bad
    assert v.parse_value("2.5", WHOLE)[2] == "this indicator takes whole numbers"


def test_breakdowns_are_canonical() -> None:
    assert v.parse_breakdown({"SEX": "F"}, SPEC)[0] == "SEX=F"
    assert v.parse_breakdown("SEX=M", SPEC)[0] == "SEX=M"
    assert v.parse_breakdown("SEX=X", SPEC)[2] == "code 'X' is not in breakdown SEX"
    assert v.parse_breakdown("AGE=Y15", SPEC)[2] == "indicator X has no breakdown 'AGE'"


def test_rules_range_compare_and_sum() -> None:
    rules = [
        v.Rule("R", "range", "error", "X", "vi", "en", minimum=Decimal(0), maximum=Decimal(100)),
        v.Rule("C", "compare", "error", "N", "vi", "en", op="<=", other="X"),
        v.Rule("S", "sum", "warning", "X", "vi", "en", terms=("A", "B"), other="X",
               tolerance=Decimal("0.5")),
    ]
    ok = {("X", "01", ""): Decimal(10), ("N", "01", ""): Decimal(5), ("A", "01", ""): Decimal(4),
          ("B", "01", ""): Decimal("6.4")}
    assert v.check_rules(ok, rules, {}) == []
    bad = {**ok, ("X", "01", ""): Decimal(120), ("N", "01", ""): Decimal(200)}
    codes = {i.code: i.severity for i in v.check_rules(bad, rules, {})}
    assert codes == {"rule:R": "error", "rule:C": "error", "rule:S": "warning"}


def test_period_checks() -> None:
    assert v.check_period(ctx()) == []
    assert v.check_period(ctx(period=periods.Period.quarter(2026, 3)))[0].code == "period_kind"
    assert v.check_period(ctx(today=date(2026, 9, 30)))[0].code == "period_not_open"


@given(st.lists(st.decimals(min_value=90, max_value=110, places=1), min_size=6, max_size=24))
def test_values_inside_their_history_are_not_outliers(history: list[Decimal]) -> None:
    median = sorted(history)[len(history) // 2]
    z = v.robust_z(median, history)
    assert z is None or abs(z) <= v.OUTLIER_Z


def test_a_spike_is_an_outlier() -> None:
    history = [Decimal(x) for x in (100, 102, 98, 101, 99, 103, 97)]
    z = v.robust_z(Decimal(900), history)
    assert z is not None and z > v.OUTLIER_Z
    assert v.robust_z(Decimal(900), history[:3]) is None  # too little history
