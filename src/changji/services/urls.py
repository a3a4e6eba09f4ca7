"""Pages of the services app (一件事一次办)."""

from django.urls import path

from .web import catalogue, inbox, statistics, track, window

app_name = "services"
urlpatterns: list = [
    path("", catalogue.catalogue, name="catalogue"),
    path("apply/<int:bundle_id>/", catalogue.apply, name="apply"),
    path("track/", track.track, name="track"),
    path("verify/", track.verify, name="verify"),
    path("window/", window.window, name="window"),
    path("window/<int:case_id>/", window.window_case, name="window_case"),
    path("cases/<int:case_id>/certificate.pdf", window.certificate_pdf, name="certificate"),
    path("materials/<int:material_id>/", window.material, name="material"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:sub_case_id>/", inbox.sub_case, name="inbox_sub_case"),
    path("statistics/", statistics.statistics, name="statistics"),
]
