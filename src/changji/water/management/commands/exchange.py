"""``changji exchange <task>``: the operator's side of the four-level exchange (四级联通).

``push [--loop]`` delivers the outbox to the upstream (as the ``water.sharing.push`` job does);
``issue --name N --region CODE`` issues a downstream's credential and prints its key id and secret (once);
``link --url URL --key-id K --secret-file F`` stores this instance's upstream link; ``status`` prints the
per-stream push state.
After linking, ``changji water share-snapshot`` queues what existed before (``water.sharing.snapshot``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from changji.core.errors import Refusal
from changji.core.models import Region
from changji.water.models import StreamDelivery
from changji.water.sharing import credentials, delivery


class Command(BaseCommand):
    help = "上下级数据交换：push（上报）、issue（签发下级凭据）、link（配置上级平台）、status（上报状态）。"

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True)
        push = tasks.add_parser("push", help="deliver the outbox to the upstream instance")
        push.add_argument("--loop", action="store_true", help="keep pushing until interrupted")
        push.add_argument("--interval", type=float, default=5.0, help="seconds between runs with --loop when idle")
        push.add_argument("--now", action="store_true", help="clear the back-off first (「立即上报」)")
        issue = tasks.add_parser("issue", help="issue a downstream instance's credential (secret printed once)")
        issue.add_argument("--name", required=True)
        issue.add_argument("--region", required=True, help="GB/T 2260 code of the downstream's root region")
        link = tasks.add_parser("link", help="store this instance's upstream link")
        link.add_argument("--url", required=True)
        link.add_argument("--key-id", required=True)
        link.add_argument("--secret-file", required=True, help="file holding the secret (not on the command line)")
        link.add_argument("--batch-size", type=int, default=500)
        link.add_argument("--name", default="上级平台")
        tasks.add_parser("status", help="print each stream's push state as JSON")


    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['task']}")(options)
        except Refusal as error:
            raise CommandError(error.message) from None

    def _push(self, options):
        if options["now"]:
            delivery.retry_now()
        while True:
            result = delivery.push()
            self.stdout.write(json.dumps(result.summary()))
            if not options["loop"]:
                return
            if not result.summary()["batches"]:
                time.sleep(options["interval"])

    def _issue(self, options):
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"no region with code {options['region']}")
        peer, secret = credentials.issue(options["name"], region, None)
        self.stdout.write(json.dumps({"key_id": peer.key_id, "secret": secret}))

    def _link(self, options):
        secret = Path(options["secret_file"]).read_text().strip()
        credentials.save_link(name=options["name"], base_url=options["url"], key_id=options["key_id"],
                              secret=secret, batch_size=options["batch_size"], by=None)
        self.stdout.write("upstream link saved")

    def _status(self, options):
        rows = [{"stream": s.stream, "next_seq": s.next_seq, "formed_seq": s.formed_seq,
                 "backlog": delivery.backlog(s.stream), "last_error": s.last_error}
                for s in StreamDelivery.objects.all()]
        self.stdout.write(json.dumps(rows, ensure_ascii=False))
