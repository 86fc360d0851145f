"""The checklist admin: for looking and repairs; a filed version cannot be changed there either."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

import polling.checklists.admin  # noqa: F401 - registers the checklist models (polling/admin.py imports it)
from polling.models import Checklist, Question
from tests.helpers.factories import make_user
from tests.polling.checklists.test_checklists_services import file_visit, make_opening

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_request():
    request = RequestFactory().get("/admin/")
    request.user = make_user(is_staff=True, is_superuser=True)
    return request


def test_a_question_of_a_version_without_visits_can_be_changed_in_the_admin(mission, staff_request):
    question = make_opening(mission).current_version.questions.get(code="A1")
    model_admin = admin.site._registry[Question]
    assert model_admin.has_change_permission(staff_request, question)
    inline = model_admin.get_inline_instances(staff_request, question)[0]
    assert inline.has_delete_permission(staff_request, question)


def test_a_question_of_a_filed_version_is_read_only_in_the_admin(mission, observer, staff_request):
    checklist = make_opening(mission)
    file_visit(checklist.current_version, observer, {"A1": "yes"})
    question = checklist.current_version.questions.get(code="A1")
    model_admin = admin.site._registry[Question]
    assert not model_admin.has_change_permission(staff_request, question)
    assert not model_admin.has_delete_permission(staff_request, question)
    inline = model_admin.get_inline_instances(staff_request, question)[0]
    assert not inline.has_change_permission(staff_request, question)
    assert not inline.has_add_permission(staff_request, question)


def test_the_checklist_admin_pages_render(client, mission):
    checklist = make_opening(mission)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    question = checklist.current_version.questions.get(code="A2")
    for url in (
        reverse("admin:polling_checklist_changelist"),
        reverse("admin:polling_checklist_change", args=[checklist.pk]),
        reverse("admin:polling_checklistversion_changelist"),
        reverse("admin:polling_question_changelist"),
        reverse("admin:polling_question_change", args=[question.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert Checklist.objects.count() == 1
