"""``django.contrib.admin`` with the platform's admin site (``core.admin_site.PlatformAdminSite``) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "changji.core.admin_site.PlatformAdminSite"
