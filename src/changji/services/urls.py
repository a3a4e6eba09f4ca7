"""Pages of the services app (一件事一次办)."""

from django.urls import path

from changji.services.web import catalogue, inbox, statistics, track, window

app_name = "services"
urlpatterns: list = [
    path("", catalogue.catalogue, name="catalogue"),
    path("apply/<id:bundle_id>/", catalogue.apply, name="apply"),
    path("applied/", catalogue.applied, name="applied"),
    path("track/", track.track, name="track"),
    path("verify/", track.verify, name="verify"),
    path("verify/licence/", track.verify_licence, name="verify_licence"),
    path("window/", window.window, name="window"),
    path("window/<id:case_id>/", window.window_case, name="window_case"),
    path("cases/<id:case_id>/certificate.pdf", window.certificate_pdf, name="certificate"),
    path("materials/<id:material_id>/", window.material, name="material"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<id:sub_case_id>/", inbox.sub_case, name="inbox_sub_case"),
    path("statistics/", statistics.statistics, name="statistics"),
]
