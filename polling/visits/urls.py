from django.urls import path

from polling.visits import api, views

urlpatterns = [
    # The filing API (docs/visit-api.md)
    path("m/<slug:code>/api/visits/", api.api_visit_submit, name="api_visit_submit"),
    path("m/<slug:code>/api/visits/<uuid:visit>/", api.api_visit_update, name="api_visit_update"),
    path("m/<slug:code>/api/incidents/", api.api_incident_report, name="api_incident_report"),
    path("m/<slug:code>/api/stations/", api.api_stations, name="api_stations"),
    # Visits, review and bulk import
    path("m/<slug:code>/visits/", views.visit_list, name="visit_list"),
    path("m/<slug:code>/visits/import/", views.visit_import_upload, name="visit_import"),
    path("m/<slug:code>/visits/import/<uuid:upload>/", views.visit_import_map, name="visit_import_map"),
    path("m/<slug:code>/visits/<uuid:visit>/", views.visit_detail, name="visit_detail"),
    path("m/<slug:code>/visits/<uuid:visit>/review/", views.visit_review, name="visit_review"),
    # Incidents
    path("m/<slug:code>/incidents/", views.incident_list, name="incident_list"),
    path("m/<slug:code>/incidents/new/", views.incident_report, name="incident_report"),
]
