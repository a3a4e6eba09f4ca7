"""Pages of the water app (一屏看水、一网治水、一图懂水)."""

from django.urls import path

from changji.water.web import alarms, dashboard, map, reports, tax, terminals, wells

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
    path("tax/", tax.tax_page, name="tax"),
    path("tax/users/<str:water_user_code>/", tax.tax_user, name="tax_user"),
    path("tax/rates/", tax.rates, name="tax_rates"),
    path("tax/rates/import", tax.rates_import, name="tax_rates_import"),
    path("tax/rates/<id:rate_id>/", tax.rate_edit, name="tax_rate"),
    path("tax/overdraft/", tax.overdraft_areas, name="tax_overdraft"),
    path("tax/overdraft/<id:area_id>/", tax.overdraft_area_edit, name="tax_overdraft_area"),
    path("terminals/quarantine/", terminals.quarantine, name="quarantine"),
    path("terminals/quarantine/<id:quarantined_id>/register/", terminals.register, name="quarantine_register"),
]
