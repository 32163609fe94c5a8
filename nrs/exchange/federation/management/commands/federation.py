"""`nrs federation …`: this node's key, where it pushes, and (national side) the nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrs.exchange.federation import actions, signing, sync
from nrs.exchange.federation.models import Node
from nrs.lib.errors import InputError


class Command(BaseCommand):
    help = ("Federation. On a sending node: `keygen` (writes NRS_NODE_KEY, prints the public key), "
            "`pubkey`, `upstream URL --node CODE --token SECRET --unit 01`, `status`. On the national "
            "node: `node add CODE --public-key KEY --unit 01 [--name …]` (prints the node's token "
            "once), `node list`.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        keygen = sub.add_parser("keygen", help="write this node's Ed25519 private key (mode 0600)")
        keygen.add_argument("--key", type=Path, default=None)
        pubkey = sub.add_parser("pubkey", help="print this node's public key")
        pubkey.add_argument("--key", type=Path, default=None)
        upstream = sub.add_parser("upstream", help="set the national node this node pushes to")
        upstream.add_argument("url")
        upstream.add_argument("--node", required=True, help="this node's code upstream")
        upstream.add_argument("--token", required=True, help="the write token issued upstream")
        upstream.add_argument("--unit", action="append", required=True,
                              help="org-unit code this node owns (repeatable)")
        sub.add_parser("status", help="the upstream and how far it has acknowledged")
        node = sub.add_parser("node", help="the nodes allowed to push here")
        node.add_argument("node_action", choices=["add", "list"])
        node.add_argument("code", nargs="?")
        node.add_argument("--public-key", default="")
        node.add_argument("--unit", action="append", default=[])
        node.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except InputError as exc:
            raise CommandError(f"{exc.ref}: {exc.vi} / {exc.en}") from None

    def _keygen(self, options: dict[str, Any]) -> None:
        path = options["key"] or settings.NRS_NODE_KEY
        if path.exists():
            key = signing.load_private(path)
            self.stderr.write(f"{path}: exists, unchanged / đã có, giữ nguyên")
        else:
            key = signing.generate(path)
            self.stderr.write(f"{path}: written / đã tạo")
        self.stdout.write(signing.public_text(key))

    def _pubkey(self, options: dict[str, Any]) -> None:
        path = options["key"] or settings.NRS_NODE_KEY
        if not path.exists():
            raise CommandError(f"{path}: no key; run `nrs federation keygen` / chưa có khóa")
        self.stdout.write(signing.public_text(signing.load_private(path)))

    def _upstream(self, options: dict[str, Any]) -> None:
        config = sync.configure(options["url"], options["node"], options["token"], options["unit"])
        self.stdout.write(f"{config}: cursor {config.cursor}")

    def _status(self, options: dict[str, Any]) -> None:
        config = sync.upstream()
        if config is None:
            self.stdout.write("no upstream / chưa cấu hình nút cấp trên")
            return
        waiting = len(sync.pending(config, 100_000))
        self.stdout.write(f"{config}: units {','.join(config.units)}; {config.sequence} batches "
                          f"acknowledged, cursor {config.cursor}; {waiting} approvals waiting")

    def _node(self, options: dict[str, Any]) -> None:
        if options["node_action"] == "list":
            for node in Node.objects.prefetch_related("units"):
                units = ",".join(u.code for u in node.units.all())
                self.stdout.write(f"{node.code}  {units}  {'active' if node.active else 'inactive'}  "
                                  f"{node.public_key}  {node.name}")
            return
        if not options["code"] or not options["public_key"]:
            raise CommandError("node add CODE --public-key KEY --unit CODE / cần mã, khóa và đơn vị")
        node, secret = actions.register_node(options["code"], options["public_key"], options["unit"],
                                             name=options["name"])
        self.stderr.write(f"{node.code}: account {node.user.username}")
        if secret:
            self.stdout.write(secret)
