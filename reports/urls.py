from django.urls import path

from reports import views, views_dashboard

app_name = "reports"

urlpatterns: list = [
    path("m/<slug:code>/results/", views_dashboard.dashboard, name="results"),
    path("m/<slug:code>/results/panel/", views_dashboard.dashboard_panel, name="results_panel"),
    path("m/<slug:code>/results/visits/", views_dashboard.figure_visits, name="figure_visits"),
    path("m/<slug:code>/exports/", views.exports, name="exports"),
    path("m/<slug:code>/exports/<uuid:export>/", views.export_status, name="export_status"),
    path("m/<slug:code>/exports/<uuid:export>/download/", views.export_download, name="export_download"),
]

from reports import statement_urls  # noqa: E402

urlpatterns += statement_urls.urlpatterns
