"""Command-line messages from the one catalogue (issue 20 leftover): `nrs grant`, `token`, `twofactor`,
`restore`, `createuser`, `notify` and `aggregates` print the texts they printed when the Vietnamese was
written beside the English in the code. The expected texts are those former literals.

Until django.po holds the new msgids, the Vietnamese halves come out in English and these tests fail.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def refusal(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO())
    return str(caught.value)


def output(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_refusals_name_the_problem_in_english_and_vietnamese() -> None:
    assert refusal("grant", "add", "nobody", "--role", "reporter", "--unit", "01") == (
        "give an existing user, --role and --unit / cần người dùng, --role và --unit")
    assert refusal("token", "revoke", "nrs_nothing") == "no such token / không có token này"
    assert refusal("token", "issue", "nobody", "--unit", "01") == (
        "give an existing user and --unit / cần người dùng và --unit")
    assert refusal("twofactor", "reset", "nobody") == "no such user / không có người dùng này"
    assert refusal("restore", "/nonexistent/nrs-backup.zip") == (
        "không tìm thấy tệp /nonexistent/nrs-backup.zip / no such file: /nonexistent/nrs-backup.zip")
    assert refusal("createuser", "an.nguyen", "--role", "reporter") == (
        "--role and --unit go together / --role và --unit đi cùng nhau")


def test_a_grant_needs_a_time_zone_and_a_live_grant(make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("an.nguyen")
    assert refusal("grant", "add", "an.nguyen", "--role", "reporter", "--unit", "01", "--expires", "2026-12-31") == (
        "'2026-12-31': ISO 8601 with a time zone, e.g. 2026-12-31T23:59:00+07:00 / "
        "cần ISO 8601 có múi giờ, ví dụ 2026-12-31T23:59:00+07:00")
    assert refusal("grant", "revoke", "an.nguyen", "--role", "reporter", "--unit", "01") == (
        "no live grant / không có quyền đang hiệu lực")
    assert output("grant", "add", "an.nguyen", "--role", "reporter", "--unit", "01").startswith("granted / đã cấp: ")
    assert refusal("grant", "expire", "an.nguyen", "--role", "reporter", "--unit", "01") == (
        "--at is required / cần --at")
    assert output("grant", "expire", "an.nguyen", "--role", "reporter", "--unit", "01", "--at", "never") == (
        "unchanged / không đổi\n")
    assert output("grant", "revoke", "an.nguyen", "--role", "reporter", "--unit", "01") == "revoked / đã thu hồi\n"


def test_successes_say_what_was_done_in_both_languages() -> None:
    assert output("createuser", "an.nguyen", "--password", "Kh0ng-de-doan-2026!").endswith(
        "an.nguyen: created / đã tạo\n")
    assert output("createuser", "an.nguyen").endswith("an.nguyen: exists, unchanged / đã có, giữ nguyên\n")
    assert output("twofactor", "reset", "an.nguyen").endswith("an.nguyen: 0 removed / đã xoá 0\n")
    assert output("notify", "--date", "2026-01-05") == "0 notices sent / đã gửi 0 thông báo\n"


def test_aggregates_keep_their_english_and_say_the_same_in_vietnamese() -> None:
    pending = output("aggregates", "--pending")
    assert pending.startswith("Queued refreshes applied: 0, still open: 0 (")
    assert " s) / Đã áp dụng 0 lượt tổng hợp chờ, còn 0 lượt chờ (" in pending and pending.endswith(" giây)\n")
    rebuilt = output("aggregates")
    assert rebuilt.startswith("Aggregates: ") and " cells in " in rebuilt
    assert " / Số liệu tổng hợp: " in rebuilt and rebuilt.endswith(" giây\n")
