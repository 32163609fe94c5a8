"""Demo users and demo data for `nrs demo`. Never loaded outside demo mode."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from nrs.accounts import actions as account_actions
from nrs.registry import actions as registry_actions
from nrs.registry.models import Indicator, OrgUnit

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
