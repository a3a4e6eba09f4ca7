"""``changji notifications deliver [--once]``: send the outbox's SMS and e-mail notices (``core.notifications``).

Without ``--once`` it delivers every ``--interval`` seconds until stopped (the job ``core.notifications.deliver``
does the same once a minute inside ``changji jobs``); with ``--once`` it delivers what is due, prints the counts
and exits. Thin: the work is ``core.notifications.delivery.deliver``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from changji.core.notifications.delivery import deliver
from changji.core.notifications.senders import default_senders


class Command(BaseCommand):
    help = "发送通知发件箱中的短信与邮件（失败按退避重试，超过每小时上限的延后发送）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deliver"], help="deliver：发送到期的通知")
        parser.add_argument("--once", action="store_true", help="发送一轮后退出")
        parser.add_argument("--interval", type=float, default=5.0, help="循环发送的间隔秒数（默认 5）")

    def handle(self, *args: Any, **options: Any) -> None:
        if not default_senders():
            self.stderr.write("未配置短信（CHANGJI_SMS_ACCESS_KEY_ID）或邮件（CHANGJI_SMTP_HOST）服务，不发送。")
        while True:
            try:
                counts = deliver().as_dict()
            except DatabaseError as error:  # the database away for a moment: the next round tries again
                counts = {"error": str(error)[:200]}  # type: ignore[dict-item]
                close_old_connections()
            if options["once"]:
                self.stdout.write(json.dumps(counts, ensure_ascii=False))
                return
            time.sleep(options["interval"])
