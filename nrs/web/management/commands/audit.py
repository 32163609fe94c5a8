"""`nrs audit verify` and `nrs audit anchor`: the audit log's hash chain (nrs/audit/chain.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrs.audit import actions, chain


class Command(BaseCommand):
    help = ("The audit log's hash chain. `nrs audit verify` recomputes every hash and checks the "
            "anchors (exit 1 with the first broken seq otherwise); `nrs audit anchor` verifies, then "
            "appends the head's \"seq hash time\" to NRS_AUDIT_ANCHOR_FILE.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "anchor"])
        parser.add_argument("--no-record", action="store_true",
                            help="verify: do not record the successful run as an audit event")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "anchor":
            result, anchor = actions.anchor_chain()
            if anchor is None:
                self._broken(result)
            assert anchor is not None
            self.stdout.write(f"Đã neo seq {anchor.seq} {anchor.hash} vào {chain.anchor_file()}\n"
                              f"Anchored seq {anchor.seq} {anchor.hash} in {chain.anchor_file()}")
            return
        try:
            result = actions.verify_chain(record_success=not options["no_record"])
        except chain.AnchorFileError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if not result.ok:
            self._broken(result)
        self.stdout.write(
            f"Chuỗi nhật ký toàn vẹn: {result.count} sự kiện, đầu chuỗi seq {result.head_seq} "
            f"{result.head_hash}, {result.anchors} mốc neo, {result.seconds:.2f} giây\n"
            f"Audit chain intact: {result.count} events, head seq {result.head_seq} "
            f"{result.head_hash}, {result.anchors} anchors, {result.seconds:.2f} s")

    def _broken(self, result: chain.Result) -> None:
        raise CommandError(
            f"Chuỗi nhật ký bị phá vỡ tại seq {result.broken_seq}: {result.message_vi}\n"
            f"Audit chain broken at seq {result.broken_seq}: {result.message_en} [{result.reason}]",
            returncode=1)
