"""Pages of the water app (一屏看水、一网治水、一图懂水)."""

from django.urls import path

from changji.water.web import alarms, dashboard, map, norms, plans, reports, terminals, wells

app_name = "water"
urlpatterns: list = [
    path("", dashboard.dashboard, name="dashboard"),
    path("live/", dashboard.dashboard_live, name="dashboard_live"),
    path("map/", map.map_page, name="map"),
    path("map/wells.json", map.map_data, name="map_data"),
    path("wells/<id:well_id>/", wells.well_page, name="well"),
    path("wells/<id:well_id>/series.json", wells.well_series, name="well_series"),
    path("wells/<id:well_id>/commands/", wells.well_commands, name="well_commands"),
    path("wells/<id:well_id>/command/", wells.well_command, name="well_command"),
    path("alarms/", alarms.alarm_list, name="alarms"),
    path("alarms/<uuid:alarm_id>/", alarms.alarm_detail, name="alarm"),
    path("reports/", reports.reports, name="reports"),
    path("reports/download", reports.report_download, name="report_download"),
    path("terminals/quarantine/", terminals.quarantine, name="quarantine"),
    path("terminals/quarantine/<id:quarantined_id>/register/", terminals.register, name="quarantine_register"),
    path("plans/", plans.plans, name="plans"),
    path("plans/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/targets/", plans.targets, name="plan_targets"),
    path("plans/export.xlsx", plans.plans_export, name="plans_export"),
    path("plans/import/", plans.plans_import, name="plans_import"),
    path("plans/carry-forward/", plans.plans_carry_forward, name="plans_carry_forward"),
    path("plans/execution/", plans.execution, name="plan_execution"),
    path("norms/", norms.norm_list, name="norms"),
    path("norms/new/", norms.norm_new, name="norm_new"),
    path("norms/<id:norm_id>/", norms.norm_edit, name="norm_edit"),
    path("norms/<id:norm_id>/delete/", norms.norm_delete, name="norm_delete"),
    path("norms/copy/", norms.norm_copy, name="norm_copy"),
    path("norms/export.xlsx", norms.norm_export, name="norm_export"),
    path("norms/import/", norms.norm_import, name="norm_import"),
    path("norms/compare/", norms.norm_compare, name="norm_compare"),
    path("norms/compare.xlsx", norms.norm_compare_export, name="norm_compare_export"),
    path("norms/crop-plans/<id:water_user_id>/", norms.crop_plan, name="crop_plan"),
    path("norms/crop-plans.xlsx", norms.crop_plan_export, name="crop_plan_export"),
    path("norms/crop-plans/import/", norms.crop_plan_import, name="crop_plan_import"),
]
