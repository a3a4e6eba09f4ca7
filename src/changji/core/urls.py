"""URLs of the shared shell."""

from django.urls import path

from changji.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
