"""The URLs of the SensorThings API: everything under ``/sta/v1.1/`` goes to one view that reads the path."""

from django.urls import re_path

from changji.water.sharing.sensorthings.views import sta_service

urlpatterns = [
    re_path(r"^(?P<path>.*)$", sta_service, name="sta"),
]
