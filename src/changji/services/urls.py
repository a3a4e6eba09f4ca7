"""Pages of the services app (一件事一次办)."""

from django.urls import path

from changji.services.web import catalogue, catalogue_admin, inbox, statistics, track, window

app_name = "services"
urlpatterns: list = [
    path("", catalogue.catalogue, name="catalogue"),
    path("apply/<id:bundle_id>/", catalogue.apply, name="apply"),
    path("applied/", catalogue.applied, name="applied"),
    path("track/", track.track, name="track"),
    path("verify/", track.verify, name="verify"),
    path("window/", window.window, name="window"),
    path("window/<id:case_id>/", window.window_case, name="window_case"),
    path("cases/<id:case_id>/certificate.pdf", window.certificate_pdf, name="certificate"),
    path("materials/<id:material_id>/", window.material, name="material"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<id:sub_case_id>/", inbox.sub_case, name="inbox_sub_case"),
    path("statistics/", statistics.statistics, name="statistics"),
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
