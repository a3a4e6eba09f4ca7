"""一件事一次办: one window, one form, parallel approval by several departments."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "changji.services"
    verbose_name = "一件事一次办"

    def prepare_demo(self) -> str:
        """Seed the demo catalogue (marked as demo data): departments, items and five bundles."""
        from .demo_catalogue import seed_demo_catalogue

        return f"services: {len(seed_demo_catalogue())} demo bundles published"
