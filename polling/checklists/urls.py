"""Checklist pages of the secretariat; included by polling/urls.py in the `polling` namespace.

Checklist and question codes may contain dots, so they are matched as `str`; "new", "import" and
"copy" come first and cannot be checklist codes (polling.checklists refuses them).
"""

from django.urls import path

from polling.checklists import views

_CHECKLIST = "m/<slug:code>/checklists/<str:checklist>/"
_QUESTION = _CHECKLIST + "questions/<str:question>/"

urlpatterns = [
    path("m/<slug:code>/checklists/", views.checklist_list, name="checklist_list"),
    path("m/<slug:code>/checklists/new/", views.checklist_create, name="checklist_create"),
    path("m/<slug:code>/checklists/import/", views.checklist_import, name="checklist_import"),
    path("m/<slug:code>/checklists/copy/", views.checklist_copy, name="checklist_copy"),
    path(_CHECKLIST, views.checklist_detail, name="checklist_detail"),
    path(_CHECKLIST + "edit/", views.checklist_edit, name="checklist_edit"),
    path(_CHECKLIST + "delete/", views.checklist_delete, name="checklist_delete"),
    path(_CHECKLIST + "preview/", views.checklist_preview, name="checklist_preview"),
    path(_CHECKLIST + "export.json", views.checklist_export_json, name="checklist_export_json"),
    path(_CHECKLIST + "export.xlsx", views.checklist_export_xlsx, name="checklist_export_xlsx"),
    path(_CHECKLIST + "questions/new/", views.question_create, name="question_create"),
    path(_QUESTION + "edit/", views.question_edit, name="question_edit"),
    path(_QUESTION + "delete/", views.question_delete, name="question_delete"),
    path(_QUESTION + "move/", views.question_move, name="question_move"),
]
