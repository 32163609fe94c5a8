"""`nrs audit verify` and `nrs audit anchor`: the audit log's hash chain (nrs/audit/chain.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.audit import actions, chain
from nrs.i18n import Pair, bilingual


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
            self.stdout.write("{}\n{}".format(*bilingual(_("Anchored seq %(seq)s %(hash)s in %(file)s"),
                                                          seq=anchor.seq, hash=anchor.hash, file=chain.anchor_file())))
            return
        try:
            result = actions.verify_chain(record_success=not options["no_record"])
        except chain.AnchorFileError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if not result.ok:
            self._broken(result)
        self.stdout.write("{}\n{}".format(*bilingual(
            _("Audit chain intact: %(count)s events, head seq %(seq)s %(hash)s, %(anchors)s anchors, %(seconds)s s"),
            count=result.count, seq=result.head_seq, hash=result.head_hash, anchors=result.anchors,
            seconds=f"{result.seconds:.2f}")))

    def _broken(self, result: chain.Result) -> None:
        vi, en = bilingual(_("Audit chain broken at seq %(seq)s: %(message)s"), seq=result.broken_seq,
                           message=Pair(result.message_vi, result.message_en))
        raise CommandError(f"{vi}\n{en} [{result.reason}]", returncode=1)
