"""The missions app's pages, one URLconf per feature, all in the `missions` namespace."""

from django.urls import include, path

app_name = "missions"

urlpatterns = [
    path("", include("missions.setup.urls")),
    path("", include("missions.audit.urls")),
    path("", include("missions.accounts.urls")),
]
