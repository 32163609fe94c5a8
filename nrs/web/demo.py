"""Demo users and demo data for `nrs demo`. Never loaded outside demo mode."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nrs.accounts import actions as account_actions
from nrs.accounts.models import User
from nrs.analytics import queries
from nrs.collection import bulk
from nrs.lib import periods, signatures
from nrs.registry import actions as registry_actions
from nrs.registry.models import Indicator, OrgUnit, Target
from nrs.web import demo_national, demo_values

DEMO_PASSWORD = "nrs-demo-2026"
TARGETS_FILE = Path(__file__).parent / "data" / "demo_targets.yaml"


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit_code: str
    full_name: str


DEMO_SERVICE = DemoLogin("nrs.demo", "system", "CP", "Nạp dữ liệu demo (hệ thống)")
DEMO_USERS = [
    DemoLogin("lanhdao", "leader", "CP", "Lãnh đạo Chính phủ (demo)"),
    DemoLogin("dieuphoi", "coordinator", "CP", "Chuyên viên điều phối VPCP (demo)"),
    DemoLogin("kiemtoan", "auditor", "CP", "Kiểm toán viên (demo)"),
    DemoLogin("hanoi.baocao", "reporter", "01", "Cán bộ báo cáo, UBND TP Hà Nội (demo)"),
    DemoLogin("hanoi.duyet", "approver", "01", "Lãnh đạo duyệt, UBND TP Hà Nội (demo)"),
    DemoLogin("btc.baocao", "reporter", "BTC", "Cán bộ báo cáo, Bộ Tài chính (demo)"),
    DemoLogin("btc.duyet", "approver", "BTC", "Lãnh đạo duyệt, Bộ Tài chính (demo)"),
    DemoLogin("btc.hethong", "system", "BTC", "Hệ thống báo cáo Bộ Tài chính (demo)"),
    DemoLogin("ninhbinh.xem", "viewer", "37", "Người xem, tỉnh Ninh Bình (demo)"),
]


@dataclass
class DemoResult:
    users_created: int = 0
    targets_changed: int = 0
    reports: int = 0
    values: int = 0


def _current_unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.current().filter(code=code).first()
    if unit is None:
        raise DemoError(f"org unit '{code}' is missing: run `nrs init` first / "
                        f"thiếu đơn vị '{code}': hãy chạy `nrs init` trước")
    return unit


@transaction.atomic
def load_demo() -> DemoResult:
    result = DemoResult()
    coordinator = None
    for login in DEMO_USERS:
        user, created = account_actions.create_user(
            login.username, DEMO_PASSWORD, full_name=login.full_name, is_demo=True,
            check_password=False)
        account_actions.grant_role(user, login.role, _current_unit(login.unit_code))
        result.users_created += int(created)
        if login.role == "coordinator":
            coordinator = user
    for item in yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8")):
        indicator = Indicator.objects.get(code=item["indicator"])
        _target, changed = registry_actions.set_target(
            indicator, _current_unit(str(item["unit"])), int(item["year"]),
            Decimal(str(item["value"])), actor=coordinator, reason="Demo data / Dữ liệu demo")
        result.targets_changed += int(changed)
    return result


def _service_account() -> Any:
    """The demo's own loader: a system and approver grant on the whole country."""
    user, _created = account_actions.create_user(
        DEMO_SERVICE.username, secrets.token_urlsafe(24), full_name=DEMO_SERVICE.full_name,
        is_demo=True, check_password=False)
    root = _current_unit("CP")
    account_actions.grant_role(user, "system", root)
    account_actions.grant_role(user, "approver", root)
    return user


def load_demo_values(progress: Callable[[int], None] = lambda n: None) -> DemoResult:
    """The provinces' monthly reports since 2020-01 (63 old provinces until 2025-06),
    leaving Hà Nội's current month for the demo reporter to fill in."""
    today = timezone.localdate()
    current = periods.Period.containing(periods.Kind.MONTH, today)
    skip = frozenset({("01", current.sdmx)})
    service = _service_account()
    reports = chain(demo_values.population_reports(today), demo_national.reports(today),
                    demo_values.reports(today, skip=skip))
    result = bulk.import_reports(reports,
                                 actor=service, today=today, progress=progress,
                                 rebuild=True)  # a whole history into an empty store
    if result.issues:
        raise DemoError("; ".join(str(issue) for issue in result.issues[:5]))
    targets = _plan_targets(today.year)
    publish_demo()  # public dissemination: a release calendar for a few headline indicators
    return DemoResult(reports=result.reports, values=result.values, targets_changed=targets)


PLAN_GROWTH = Decimal("1.08")


@transaction.atomic
def _plan_targets(year: int) -> int:
    """This year's plan for the headline totals, where none was set: last year's
    figure plus 8 %, for the nation and each province (demo only)."""
    coordinator = User.objects.filter(username="dieuphoi").first()
    reader = queries.Reader()
    units = [_current_unit("CP"), *queries.units_at(_current_unit("CP"), "province")]
    changed = 0
    for indicator in Indicator.objects.filter(headline=True, ou_aggregation="sum", time_aggregation="sum"):
        cells = reader.cells([indicator.code], [u.pk for u in units], periods=[str(year - 1)])
        for unit in units:
            last = cells.get((indicator.code, unit.pk, str(year - 1)))
            if last is None or Target.objects.filter(indicator=indicator, org_unit=unit, year=year).exists():
                continue
            plan = (last.value * PLAN_GROWTH).quantize(Decimal(1).scaleb(-indicator.decimals))
            registry_actions.set_target(indicator, unit, year, plan, actor=coordinator,
                                        reason="Demo: kế hoạch = năm trước + 8% / plan = last year + 8%")
            changed += 1
    return changed


DEMO_SIGNER = ("Lãnh đạo Văn phòng Chính phủ (demo)", "Văn phòng Chính phủ (demo)")


def ensure_demo_pki() -> bool:
    """A test CA and a signer for the demo's documents, in the configured PEM files,
    when they are missing. Demo only: a deployment configures its real certificate."""
    key, cert, roots = settings.NRS_SIGNING_KEY, settings.NRS_SIGNING_CERT, settings.NRS_TRUST_ROOTS
    if key.is_file() and cert.is_file():
        return False
    ca_key, ca_cert = signatures.create_test_ca()
    signer = signatures.issue_signer(ca_key, ca_cert, name=DEMO_SIGNER[0], organisation=DEMO_SIGNER[1])
    for path in (key, cert, roots):
        path.parent.mkdir(parents=True, exist_ok=True)
    key.write_bytes(signer.key_pem)
    key.chmod(0o600)
    cert.write_bytes(signer.cert_pem)
    roots.write_bytes(ca_cert)
    return True


# -- public dissemination (issue 19, part 3) ---------------------------------------------------

PUBLIC_INDICATORS = {"GDP_GROWTH": "national", "CPI_YOY": "national", "RETAIL_SALES": "province",
                     "EXPORT_TOTAL": "province"}
PUBLIC_PERIODS = 24  # the newest periods of each that get a calendar
STAGES = {1: ["official"], 2: ["preliminary", "official"], 3: ["estimate", "preliminary", "official"]}


def publish_demo() -> int:
    """A few headline indicators made public (the demo turns NRS_PUBLIC on) with a release
    calendar built from the stored versions: one release per version of each period (estimate →
    preliminary → official), at the hour after its last approval; the newest period with figures
    is put under embargo until three days from now, and the next one scheduled. Through the
    publishing actions (audited), as the coordinator. Returns the releases written."""
    from datetime import timedelta

    from django.db.models import Max

    from nrs.collection.models import DataValue
    from nrs.exchange.public import actions as publishing

    coordinator = User.objects.filter(username="dieuphoi").first()
    if coordinator is None:
        return 0
    now = timezone.now()
    written = 0
    for code, lowest in PUBLIC_INDICATORS.items():
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is None:
            continue
        approvals = (DataValue.objects.filter(indicator=indicator, breakdown="", version__approved_at__isnull=False)
                     .values("period", "version__number").annotate(last=Max("version__approved_at")))
        by_period: dict[str, dict[int, Any]] = {}
        for row in approvals:
            try:
                if periods.parse_sdmx(row["period"]).kind.value != indicator.frequency:
                    continue
            except ValueError:
                continue
            by_period.setdefault(row["period"], {})[row["version__number"]] = row["last"]
        newest = sorted(by_period, key=lambda p: periods.parse_sdmx(p).start)[-PUBLIC_PERIODS:]
        calendar = []
        for position, period in enumerate(newest):
            moments = [by_period[period][n] for n in sorted(by_period[period])][-3:]
            for stage, moment in zip(STAGES[len(moments)], moments, strict=True):
                release = (moment + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
                if position == len(newest) - 1 and stage == "official":
                    release = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
                calendar.append((period, stage, release))
        if newest:
            following = periods.parse_sdmx(newest[-1]).next()
            calendar.append((following.sdmx, "official",
                             (now + timedelta(days=33)).replace(hour=2, minute=0, second=0, microsecond=0)))
        publishing.publish(indicator, actor=coordinator, min_level=lowest, calendar=calendar)
        written += len(calendar)
    return written
