"""Polling-station pages: the list, one station, and the import from the election commission's file."""

from django.urls import path

from polling.stations import views

urlpatterns = [
    path("m/<slug:code>/stations/", views.station_list, name="station_list"),
    path("m/<slug:code>/stations/import/", views.station_import, name="station_import"),
    path("m/<slug:code>/stations/import/<uuid:upload>/", views.station_import_map, name="station_import_map"),
    # Station codes may contain slashes (Nigeria: 01/02/03/004), so this one comes last.
    path("m/<slug:code>/stations/<path:station>/", views.station_detail, name="station_detail"),
]
