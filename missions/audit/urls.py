"""The audit trail page (head of mission and secretariat)."""

from django.urls import path

from missions.audit import views

urlpatterns = [
    path("m/<slug:code>/audit/", views.audit_trail, name="audit_trail"),
]
