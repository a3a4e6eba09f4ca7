from django.apps import AppConfig


class WaterConfig(AppConfig):
    name = "changji.water"
    verbose_name = "井电双控 地下水取用水监管"
