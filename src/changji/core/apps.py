from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "changji.core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from . import checks, sign_in  # noqa: F401  (register the system checks and the lockout audit)
