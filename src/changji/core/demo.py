"""Prepare and run a demo installation.

It sets up the schema, static files, a demo administrator and each app's demo data, and runs the processes the
apps run beside the web server.

Apps take part through their ``AppConfig``: ``prepare_demo()`` seeds demo data and returns a line to print;
``demo_processes()`` returns ``changji`` subcommands to run alongside (the water app's gateway, derivation loop
and simulated fleet). The recurring jobs of every app run in one ``changji jobs`` (``core.jobs``), started
here. The core never imports an app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.apps import apps
from django.core.management import call_command

from changji.core.models import Role, User
from changji.core.notifications.events import events
from changji.core.regions import root_region

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD_DEFAULT = "changji-demo-2026"


def prepare_demo() -> list[str]:
    """Migrate, collect static files, make the demo administrator and seed each app's demo data.

    Return the lines to show the person running the demo. The administrator's password comes
    from ``CHANGJI_ADMIN_PASSWORD`` when set; an existing account keeps its password.
    """
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    password = os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT)
    user, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={
            "role": Role.PREFECTURE_ADMIN,
            "region": root_region(),
            "is_staff": True,
            "is_superuser": True,
            "last_name": "州级管理员",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    lines = [f"Demo administrator: {DEMO_ADMIN_USERNAME} / {password if created else '(unchanged)'}"]
    for config in apps.get_app_configs():
        prepare = getattr(config, "prepare_demo", None)
        if prepare is not None:
            lines.append(prepare())
    return lines


#: The demo's ``changji jobs`` waits this long before its first round: the simulated fleet replays its
#: history first, and the alarm rules judge it once it reports live.
DEMO_JOBS_START_DELAY_S = 180


#: Where the demo's local SMS provider listens (``core.notifications.local_sms``, Aliyun SendSms's format).
DEMO_SMS_PORT = 9100


def demo_sms_environment() -> dict[str, str]:
    """Settings that send the demo's SMS notices to the local provider: its endpoint, key and a template per event.

    Empty when an SMS provider is configured (``CHANGJI_SMS_ACCESS_KEY_ID``): a real one is then used as set.
    """
    if os.environ.get("CHANGJI_SMS_ACCESS_KEY_ID"):
        return {}
    codes = {spec.action: f"SMS_DEMO_{n:03d}" for n, spec in enumerate(events(), start=1)}
    return {"CHANGJI_SMS_ENDPOINT": f"http://127.0.0.1:{DEMO_SMS_PORT}/", "CHANGJI_SMS_ACCESS_KEY_ID": "LTAI-local",
            "CHANGJI_SMS_ACCESS_KEY_SECRET": "local-secret", "CHANGJI_SMS_TEMPLATE_CODES": json.dumps(codes)}


def start_demo_processes() -> list[subprocess.Popen[bytes]]:
    """Start the recurring jobs (``changji jobs``) and every app's demo processes as ``changji`` subcommands.

    Without a configured SMS provider the local one (``core.notifications.local_sms``) runs too, so the notices
    of the demo's quota stops and licences are delivered and show as sent in the delivery log.
    """
    commands = [["jobs", "--start-delay", str(DEMO_JOBS_START_DELAY_S)]]
    for config in apps.get_app_configs():
        commands.extend(getattr(config, "demo_processes", lambda: [])())
    sms = demo_sms_environment()
    env = {**os.environ, **sms}
    processes = [subprocess.Popen([sys.executable, "-m", "changji.cli", *argv], env=env) for argv in commands]
    if sms:
        processes.append(subprocess.Popen([sys.executable, "-m", "changji.core.notifications.local_sms", "--port",
                                           str(DEMO_SMS_PORT), "--key", "LTAI-local:local-secret"], env=env))
    return processes
