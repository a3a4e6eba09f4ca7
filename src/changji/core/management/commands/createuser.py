"""``changji createuser``: create an account with a role and a region (the first administrator, too)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from changji.core import audit
from changji.core.models import ApiToken, Region, Role, User
from changji.core.regions import root


class Command(BaseCommand):
    help = "创建平台账号：角色与管辖区划（首个州级管理员也用它创建）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=[r.value for r in Role], default=Role.PREFECTURE_ADMIN)
        parser.add_argument("--region", default=None, help="管辖区划代码（默认本平台的根区划 CHANGJI_ROOT_REGION）")
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（脚本用）")
        parser.add_argument("--token", metavar="NAME", help="同时签发一个接口令牌（只显示一次）")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户 {username} 已存在")
        code = options["region"] or root()
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"未知区划代码 {code}")
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else getpass.getpass("密码：")
        # Whether the account may enter the admin follows from its role (core.access), not from is_staff.
        user = User(username=username, role=options["role"], region=region)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        user.set_password(password)
        user.save()
        audit.record("core.user.create", actor="createuser", target=user, region=region, role=user.role)
        self.stdout.write(f"已创建 {username}（{user.get_role_display()}，{region.name}）")
        if options["token"]:
            token, raw = ApiToken.issue(user, options["token"])
            audit.record("core.token.issue", actor="createuser", target=token, region=region)
            self.stdout.write(f"接口令牌（只显示这一次）：{raw}")
