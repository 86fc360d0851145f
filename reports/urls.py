"""The reports app's pages, one URLconf per feature, all in the `reports` namespace."""

from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("", include("reports.results.urls")),
    path("", include("reports.exports.urls")),
    path("", include("reports.statements.urls")),
]
