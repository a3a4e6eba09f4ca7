"""The core app's configuration.

When the app registry is ready it registers the system checks (``checks``), the sign-in lockout audit
(``sign_in``), the ``<id:…>`` path converter (``converters``) and the bounded ``__in`` lookup on integer columns
(``lookups``), the outbox's delivery job (``notifications.jobs``) and
Arabic-script Kazakh in Django's language table (``languages``).
"""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "changji.core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from django.db.models import IntegerField  # deferred: the app registry is ready only in ready()
        from django.db.models.signals import post_migrate  # deferred: the app registry is ready only in ready()
        from django.urls import register_converter  # deferred: the app registry is ready only in ready()

        from changji.core import checks, sign_in  # noqa: F401  (register the system checks and the lockout audit)  # deferred: the app registry is ready only in ready()
        from changji.core.converters import IdConverter  # deferred: the app registry is ready only in ready()
        from changji.core.languages import register_kazakh  # deferred: the app registry is ready only in ready()
        from changji.core.lookups import BoundedIntegerIn  # deferred: the app registry is ready only in ready()
        from changji.core.notifications import jobs as notification_jobs  # noqa: F401  (registers core.notifications.deliver)  # deferred: the app registry is ready only in ready()
        from changji.core.regions import seed_after_migrate  # deferred: the app registry is ready only in ready()

        register_converter(IdConverter, "id")
        register_kazakh()
        IntegerField.register_lookup(BoundedIntegerIn)
        post_migrate.connect(seed_after_migrate, sender=self, dispatch_uid="changji.core.regions.seed")
