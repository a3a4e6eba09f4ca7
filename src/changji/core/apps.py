from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "changji.core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from django.db.models import IntegerField
        from django.urls import register_converter

        from . import checks, sign_in  # noqa: F401  (register the system checks and the lockout audit)
        from .converters import IdConverter
        from .lookups import BoundedIntegerIn

        register_converter(IdConverter, "id")
        IntegerField.register_lookup(BoundedIntegerIn)
