"""Pages of the water app (一屏看水、一网治水、一图懂水)."""

from django.urls import path

from changji.water.web import alarms, dashboard, licences, map, reports, terminals, wells

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
    path("licences/", licences.licence_list, name="licences"),
    path("licences/export.xlsx", licences.licence_export, name="licence_export"),
    path("licences/new/", licences.licence_new, name="licence_new"),
    path("licences/import/", licences.licence_import, name="licence_import"),
    path("licences/import/template.xlsx", licences.licence_template, name="licence_template"),
    path("licences/<id:licence_id>/", licences.licence_detail, name="licence"),
    path("licences/<id:licence_id>/edit/", licences.licence_edit, name="licence_edit"),
    path("licences/<id:licence_id>/state/", licences.licence_state, name="licence_state"),
    path("terminals/quarantine/", terminals.quarantine, name="quarantine"),
    path("terminals/quarantine/<id:quarantined_id>/register/", terminals.register, name="quarantine_register"),
]
