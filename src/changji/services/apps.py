"""一件事一次办: one window, one form, parallel approval by several departments."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "changji.services"
    verbose_name = "一件事一次办"
    #: Header entries (label, URL name, permission of core.access); core.navigation shows those the user may open.
    menu = (
        ("综合窗口", "services:window", "services.case.intake"),
        ("窗口受理", "services:intake", "services.case.intake"),
        ("部门收件箱", "services:inbox", "services.sub_case.review"),
        ("办件统计", "services:statistics", "services.statistics.read"),
        ("事项目录", "services:admin_bundles", "services.catalogue.manage"),
        ("叫号", "services:queue_console", "services.queue.call"),
        ("咨询导办", "services:consultations", "services.consultation.record"),
        ("窗口管理", "services:admin_windows", "services.centre.manage"),
        ("目录导入导出", "services:catalogue_transfer", "services.catalogue.manage"),
    )

    def prepare_demo(self) -> str:
        """Seed the demo catalogue, accounts, case history and hall (all marked as demo data)."""
        import os  # deferred: the app registry is ready only in ready()

        from changji.core import localtime  # deferred: the app registry is ready only in ready()
        from changji.core.demo import DEMO_ADMIN_PASSWORD_DEFAULT  # deferred: the app registry is ready only in ready()
        from changji.services.demo_cases import seed_demo_cases  # deferred: the app registry is ready only in ready()
        from changji.services.demo_catalogue import (  # deferred: the app registry is ready only in ready()
            seed_demo_catalogue,
            seed_demo_staff,
        )
        from changji.services.demo_hall import seed_demo_hall  # deferred: the app registry is ready only in ready()

        bundles = seed_demo_catalogue()
        staff = seed_demo_staff(os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT))
        demo_cases = seed_demo_cases()
        hall = seed_demo_hall(localtime.today())
        return (f"services: {len(bundles)} demo bundles published; window and reviewers: {', '.join(staff)}"
                f" (the administrator's password); {demo_cases} demo cases of the past six months;"
                f" hall: {hall['windows']} windows, {hall['tickets']} queue numbers,"
                f" {hall['consultations']} consultations")
