from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "changji.community"
    verbose_name = "网格化社区治理"
