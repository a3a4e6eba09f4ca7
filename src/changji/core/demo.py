"""Prepare a demo installation: schema, static files and a demo administrator."""

from __future__ import annotations

import os

from django.core.management import call_command

from .models import Region, Role, User
from .regions import CHANGJI_CODE

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD_DEFAULT = "changji-demo-2026"


def prepare_demo() -> tuple[str, str]:
    """Migrate, collect static files and make sure the demo administrator exists.

    Return the administrator's username and password. The password comes from
    ``CHANGJI_ADMIN_PASSWORD`` when set; an existing account keeps its password.
    """
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    password = os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT)
    user, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={
            "role": Role.PREFECTURE_ADMIN,
            "region": Region.objects.get(code=CHANGJI_CODE),
            "is_staff": True,
            "is_superuser": True,
            "last_name": "州级管理员",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return DEMO_ADMIN_USERNAME, password if created else "(unchanged)"
