"""Pages of the services app (一件事一次办)."""

from django.urls import path

from changji.services.web import (
    catalogue,
    catalogue_admin,
    catalogue_transfer,
    hall,
    inbox,
    intake,
    queue,
    statistics,
    track,
    window,
)

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
    path("window/intake/", intake.intake_list, name="intake"),
    path("window/intake/<id:bundle_id>/", intake.intake_form, name="intake_form"),
    path("window/<id:case_id>/receipt.pdf", intake.receipt_pdf, name="receipt"),
    path("window/instant/<id:sub_case_id>/", intake.instant_decide, name="instant"),
    path("inspections/<id:sub_case_id>/", intake.inspection_record, name="inspection"),
    path("cases/<id:case_id>/certificate.pdf", window.certificate_pdf, name="certificate"),
    path("materials/<id:material_id>/", window.material, name="material"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<id:sub_case_id>/", inbox.sub_case, name="inbox_sub_case"),
    path("statistics/", statistics.statistics, name="statistics"),
    # the hall: queue numbers, the called-number display, the clerk's console, windows, 咨询导办 (services.web.queue,
    # services.web.hall)
    path("queue/take/", queue.queue_take, name="queue_take"),
    path("queue/tickets/<id:ticket_id>/", queue.queue_ticket, name="queue_ticket"),
    path("queue/display/", queue.queue_display, name="queue_display"),
    path("queue/display.json", queue.queue_display_json, name="queue_display_json"),
    path("queue/console/", queue.queue_console, name="queue_console"),
    path("queue/statistics/", queue.queue_statistics_page, name="queue_statistics"),
    path("admin/windows/", hall.admin_windows, name="admin_windows"),
    path("admin/windows/<id:window_id>/", hall.admin_window, name="admin_window"),
    path("consultations/", hall.consultation_list, name="consultations"),
    path("consultations/new/", hall.consultation_record, name="consultation_record"),
    path("consultations/<id:consultation_id>/", hall.consultation_detail, name="consultation"),
    path("admin/catalogue/transfer/", catalogue_transfer.transfer, name="catalogue_transfer"),
    path("admin/catalogue/export.xlsx", catalogue_transfer.export, name="catalogue_export"),
    # the catalogue administrator's pages (services.web.catalogue_admin) and the public material files
    path("admin/departments/", catalogue_admin.departments, name="admin_departments"),
    path("admin/departments/<str:department_code>/", catalogue_admin.department, name="admin_department"),
    path("admin/materials/", catalogue_admin.materials, name="admin_materials"),
    path("admin/materials/<str:material_code>/", catalogue_admin.material, name="admin_material"),
    path("admin/items/", catalogue_admin.items, name="admin_items"),
    path("admin/items/<str:item_code>/", catalogue_admin.item, name="admin_item"),
    path("admin/bundles/", catalogue_admin.bundle_list, name="admin_bundles"),
    path("admin/bundles/<id:bundle_id>/", catalogue_admin.bundle, name="admin_bundle"),
    path("materials/<str:material_code>/template/", catalogue_admin.material_template, name="material_template"),
    path("materials/<str:material_code>/example/", catalogue_admin.material_example, name="material_example"),
]
