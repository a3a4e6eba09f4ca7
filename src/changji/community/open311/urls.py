"""The URLs of GeoReport v2 under ``/open311/v2/``: each resource with a format suffix (``.json``/``.xml``)."""

from __future__ import annotations

from django.urls import re_path

from changji.community.open311 import views

#: A resource's format suffix; ``views.endpoint`` accepts json and xml in any case and answers anything else 400.
FORMAT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="open311_discovery"),
    re_path(r"^services" + FORMAT, views.services, name="open311_services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + FORMAT, views.service_definition, name="open311_service"),
    re_path(r"^requests" + FORMAT, views.requests, name="open311_requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FORMAT, views.request_detail, name="open311_request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FORMAT, views.token_lookup, name="open311_token"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="open311_not_found"),
]
