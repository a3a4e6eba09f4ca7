from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "changji.core"
    verbose_name = "平台核心"
