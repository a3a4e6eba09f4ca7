from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "changji.services"
    verbose_name = "一件事一次办"
