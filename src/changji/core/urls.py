"""URLs of the shared shell: the home page, the health probes, the metrics and the notification pages."""

from django.urls import path

from changji.core import views
from changji.core.notifications import web as notifications

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_text, name="metrics"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/preferences/", notifications.preferences, name="notification_preferences"),
    path("notifications/outbox/", notifications.outbox, name="notification_outbox"),
]
