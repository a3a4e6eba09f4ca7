"""一件事一次办: one window, one form, parallel approval by several departments."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "changji.services"
    verbose_name = "一件事一次办"
    #: Header entries (label, URL name, permission of core.access); core.navigation shows those the user may open.
    menu = (
        ("综合窗口", "services:window", "services.case.intake"),
        ("部门收件箱", "services:inbox", "services.sub_case.review"),
        ("办件统计", "services:statistics", "services.statistics.read"),
        ("事项目录", "services:admin_bundles", "services.catalogue.manage"),
    )

    def prepare_demo(self) -> str:
        """Seed the demo catalogue (marked as demo data) and the service centre's demo accounts."""
        import os  # deferred: the app registry is ready only in ready()

        from changji.core.demo import DEMO_ADMIN_PASSWORD_DEFAULT  # deferred: the app registry is ready only in ready()
        from changji.services.demo_catalogue import (  # deferred: the app registry is ready only in ready()
            seed_demo_catalogue,
            seed_demo_staff,
        )

        bundles = seed_demo_catalogue()
        staff = seed_demo_staff(os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT))
        return (f"services: {len(bundles)} demo bundles published; window and reviewers: {', '.join(staff)}"
                " (the administrator's password)")
