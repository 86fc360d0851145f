"""The results dashboard, its self-refreshing panel and the visits behind a figure."""

from django.urls import path

from reports.results import views

urlpatterns = [
    path("m/<slug:code>/results/", views.dashboard, name="results"),
    path("m/<slug:code>/results/panel/", views.dashboard_panel, name="results_panel"),
    path("m/<slug:code>/results/visits/", views.figure_visits, name="figure_visits"),
]
