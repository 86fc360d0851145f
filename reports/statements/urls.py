"""The statement: the head of mission's editor, approval, the signed PDF and the public verification page."""

from django.urls import path

from reports.statements import views

urlpatterns = [
    path("m/<slug:code>/statement/", views.statement_detail, name="statement"),
    path("m/<slug:code>/statement/start/", views.statement_start, name="statement_start"),
    path("m/<slug:code>/statement/save/", views.statement_save, name="statement_save"),
    path("m/<slug:code>/statement/preview/", views.statement_preview, name="statement_preview"),
    path("m/<slug:code>/statement/approve/", views.statement_approve, name="statement_approve"),
    path("m/<slug:code>/statement/settings/", views.statement_settings, name="statement_settings"),
    path("m/<slug:code>/statement/reset/<str:key>/", views.statement_reset, name="statement_reset"),
    path(
        "m/<slug:code>/statement/do/<slug:action>/",
        views.statement_action,
        name="statement_action",
    ),
    path("m/<slug:code>/statement/v<int:number>/", views.statement_detail, name="statement_version"),
    path("m/<slug:code>/statement/v<int:number>/pdf/", views.statement_pdf, name="statement_pdf"),
    path(
        "m/<slug:code>/statement/v<int:number>/render/",
        views.statement_render_status,
        name="statement_render_status",
    ),
    path(
        "m/<slug:code>/statement/v<int:number>/figure/<str:name>/",
        views.statement_figure,
        name="statement_figure",
    ),
    path("verify/", views.verify, name="verify"),
    path("verify/<uuid:uuid>/", views.verify_version, name="verify_version"),
    path("verify/<uuid:uuid>/certificate.pem", views.verify_certificate, name="verify_certificate"),
]
