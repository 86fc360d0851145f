"""The polling app's pages, one URLconf per feature, all in the `polling` namespace.

Resolving a URL tries the patterns in order: the visits (with the filing API) and the filing pages take
the election-day load, so they come first (bench/filing_cpu.py measures the cost of a later place).
"""

from django.urls import include, path

app_name = "polling"

urlpatterns = [
    path("", include("polling.visits.urls")),
    path("", include("polling.filing.urls")),
    path("", include("polling.stations.urls")),
    path("", include("polling.teams.urls")),
    path("", include("polling.checklists.urls")),
]
