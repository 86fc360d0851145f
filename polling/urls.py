from django.urls import path

from polling import checklist_urls, filing_urls, views, visit_urls

app_name = "polling"

urlpatterns = [
    path("m/<slug:code>/stations/", views.station_list, name="station_list"),
    path("m/<slug:code>/stations/import/", views.station_import, name="station_import"),
    path("m/<slug:code>/stations/import/<uuid:upload>/", views.station_import_map, name="station_import_map"),
    # Station codes may contain slashes (Nigeria: 01/02/03/004), so this one comes last.
    path("m/<slug:code>/stations/<path:station>/", views.station_detail, name="station_detail"),
]

# Checklists (secretariat) and election-day filing (observers) keep their routes in their own modules.
# The filing API and pages go first: resolving a URL tries the patterns in order, and these take the
# election-day load (the API's address was the 70th pattern tried, 54 us a request).
urlpatterns = visit_urls.urlpatterns + filing_urls.urlpatterns + urlpatterns + checklist_urls.urlpatterns
