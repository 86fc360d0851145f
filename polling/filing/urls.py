"""The observer's filing pages and the service worker; included by polling/urls.py in the `polling` namespace.

Checklist codes may contain dots, so they are matched as `str`; "incident" comes first.
"""

from django.urls import path

from polling.filing import views

urlpatterns = [
    # At the root: a service worker's scope is the folder it is served from, and it must cover /m/.
    path("sw.js", views.service_worker, name="service_worker"),
    path("m/<slug:code>/file/", views.filing, name="filing"),
    path("m/<slug:code>/file/incident/", views.filing_incident, name="filing_incident"),
    path("m/<slug:code>/file/<str:checklist>/", views.filing_checklist, name="filing_checklist"),
    path("m/<slug:code>/visits/<uuid:visit>/edit/", views.visit_edit, name="visit_edit"),
]
