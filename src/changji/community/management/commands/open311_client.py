"""``changji open311_client``: register an Open311 client and print its api_key (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.community.open311 import create_client
from changji.core.models import Region


class Command(BaseCommand):
    help = "签发 Open311 GeoReport v2 客户端的 api_key（只显示一次）；客户端只能在所给区划内上报诉求。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="客户端名称（如 12345 热线、某市民 App）")
        parser.add_argument("--region", required=True, help="受理范围的区划代码（县、乡镇、社区或网格）")

    def handle(self, *args: Any, **options: Any) -> None:
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"未知区划代码 {options['region']}")
        if not options["name"].strip():
            raise CommandError("请填写客户端名称")
        client, key = create_client(options["name"], region)
        self.stdout.write(f"已登记 Open311 客户端 {client.name}（{region.name}）")
        self.stdout.write(f"api_key（只显示这一次）：{key}")
