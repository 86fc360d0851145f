"""Exports of visits and results (CSV, XLSX), prepared by the worker."""

from django.urls import path

from reports.exports import views

urlpatterns = [
    path("m/<slug:code>/exports/", views.exports, name="exports"),
    path("m/<slug:code>/exports/<uuid:export>/", views.export_status, name="export_status"),
    path("m/<slug:code>/exports/<uuid:export>/download/", views.export_download, name="export_download"),
]
