"""The secretariat's checklist pages: list, builder, preview, import, export, copy.

Set-up roles (secretariat, head of mission) build checklists; every member may list them and preview
how observers will see them. Writes go through polling.checklists.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from missions.access import MissionAccess, get_mission_for
from polling import checklists
from polling.checklists.forms import (
    ChecklistCopyForm,
    ChecklistForm,
    ChecklistImportForm,
    OptionFormSet,
    QuestionForm,
    option_initial,
)
from polling.models import Checklist, ChecklistVersion, Question, Visit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUESTION_FIELDS = {
    "code": "code",
    "section": "section",
    "text": "text",
    "type": "type",
    "required": "required",
    "help_text": "help_text",
    "min": "min_value",
    "max": "max_value",
    "show_if": "show_if",
}


def _checklist(access: MissionAccess, code: str) -> Checklist:
    return get_object_or_404(access.mission.checklists.select_related("current_version"), code=code)


def _version(checklist: Checklist, number: str | None = None) -> ChecklistVersion:
    """The version `?version=N` asks for, else the current one (every checklist made here has one)."""
    if number and number.isdigit():
        return get_object_or_404(checklist.versions, number=int(number))
    if checklist.current_version is None:
        raise Http404(_("This checklist has no version."))
    return checklist.current_version


def _questions(version: ChecklistVersion) -> list[Question]:
    """The version's questions in order, each dependent one knowing the label of the answer it waits for."""
    questions = list(version.questions.prefetch_related("options").order_by("order", "pk"))
    by_pk = {q.pk: q for q in questions}
    for question in questions:
        target = by_pk.get(question.show_if_question_id)
        if target is not None:
            question.show_if_question = target
            labels = {o.value: o.label for o in target.options.all()}
            question.show_if_label = labels.get(question.show_if_value, question.show_if_value)
    return questions


def _sections(questions: list[Question]) -> list[tuple[str, list[Question]]]:
    """Consecutive questions of the same section, in order: what the builder and the preview show."""
    sections: list[tuple[str, list[Question]]] = []
    for question in questions:
        if not sections or sections[-1][0] != question.section:
            sections.append((question.section, []))
        sections[-1][1].append(question)
    return sections


def _builder_url(checklist: Checklist, question: str = "") -> str:
    url = reverse("polling:checklist_detail", args=[checklist.mission.code, checklist.code])
    return f"{url}#q-{question}" if question else url


def _count_of(queryset, outer: str, ref: str = "pk"):
    counted = (
        queryset.filter(**{outer: OuterRef(ref)}).order_by().values(outer).annotate(n=Count("*")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# Checklists


@login_required
def checklist_list(request, code):
    access = get_mission_for(request.user, code)
    rows = access.mission.checklists.select_related("current_version").annotate(
        question_count=_count_of(Question.objects.all(), "version", "current_version"),
        visit_count=_count_of(Visit.objects.all(), "checklist_version__checklist"),
    )
    return render(request, "polling/checklists/list.html", access.page_context(checklists=rows))


@login_required
@require_http_methods(["GET", "POST"])
def checklist_create(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = ChecklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = checklists.checklist_create(
                mission=access.mission,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                user=request.user,
                request=request,
            )
        except checklists.ChecklistError as error:
            form.add_error("code", error.message)
        else:
            messages.success(request, _("Checklist created. Add its first question."))
            return redirect("polling:question_create", code=code, checklist=checklist.code)
    return render(request, "polling/checklists/form.html", access.page_context(form=form))


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request, code, checklist):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    form = ChecklistForm(request.POST or None, instance=checklist)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("name", "description", "is_active", "order")}
        checklists.checklist_update(checklist=checklist, **fields, user=request.user, request=request)
        messages.success(request, _("Checklist saved."))
        return redirect(_builder_url(checklist))
    return render(
        request, "polling/checklists/form.html", access.page_context(form=form, checklist=checklist)
    )


@login_required
@require_http_methods(["GET", "POST"])
def checklist_delete(request, code, checklist):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    if request.method == "POST":
        try:
            checklists.checklist_delete(checklist=checklist, user=request.user, request=request)
        except checklists.ChecklistError as error:
            messages.error(request, error.message)
            return redirect(_builder_url(checklist))
        messages.success(request, _("Checklist “%(name)s” deleted.") % {"name": checklist.name})
        return redirect("polling:checklist_list", code=code)
    question = _("Delete the checklist “%(name)s” with all its questions and versions?") % {
        "name": checklist.name
    }
    return _confirm(
        request, access, title=_("Delete checklist"), question=question, cancel=_builder_url(checklist)
    )


def _confirm(request, access: MissionAccess, *, title: str, question: str, cancel: str):
    context = access.page_context(title=title, question=question, cancel_url=cancel)
    return render(request, "polling/checklists/confirm.html", context)


@login_required
def checklist_detail(request, code, checklist):
    """The builder: every question in order with its options, flags and show-if, and the versions."""
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    version = _version(checklist)
    versions = checklist.versions.annotate(visit_count=Count("visits")).order_by("-number")
    questions = _questions(version)
    context = access.page_context(
        checklist=checklist,
        version=version,
        versions=versions,
        sections=_sections(questions),
        question_count=len(questions),
        current_visits=next((v.visit_count for v in versions if v.pk == version.pk), 0),
    )
    return render(request, "polling/checklists/detail.html", context)


@login_required
def checklist_preview(request, code, checklist):
    """The questions as an observer will see them (read-only; show-if rules work)."""
    access = get_mission_for(request.user, code)
    checklist = _checklist(access, checklist)
    version = _version(checklist, request.GET.get("version"))
    context = access.page_context(
        checklist=checklist, version=version, sections=_sections(_questions(version))
    )
    return render(request, "polling/checklists/preview.html", context)


def _download_name(version: ChecklistVersion, extension: str) -> str:
    return f"{version.checklist.mission.code}-{version.checklist.code}-v{version.number}.{extension}"


@login_required
def checklist_export_json(request, code, checklist):
    access = get_mission_for(request.user, code, write=True)
    version = _version(_checklist(access, checklist), request.GET.get("version"))
    data = checklists.checklist_to_json(version=version)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{_download_name(version, "json")}"'
    return response


@login_required
def checklist_export_xlsx(request, code, checklist):
    access = get_mission_for(request.user, code, write=True)
    version = _version(_checklist(access, checklist), request.GET.get("version"))
    response = HttpResponse(checklists.checklist_to_xlsform(version=version), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_download_name(version, "xlsx")}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def checklist_import(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = ChecklistImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checklist = checklists.checklist_import(
                mission=access.mission,
                content=upload.read(),
                filename=upload.name,
                **{k: form.cleaned_data[k] for k in ("format", "code", "name")},
                user=request.user,
                request=request,
            )
        except checklists.ChecklistError as error:
            problems = error.problems  # listed above the form, each with its place in the file
            if not problems:
                form.add_error(None, error.message)
        else:
            count = checklist.current_version.questions.count()
            messages.success(
                request,
                _("Imported “%(name)s”: %(count)d questions.") % {"name": checklist.name, "count": count},
            )
            return redirect(_builder_url(checklist))
    return render(
        request, "polling/checklists/import.html", access.page_context(form=form, problems=problems)
    )


@login_required
@require_http_methods(["GET", "POST"])
def checklist_copy(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = ChecklistCopyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = checklists.checklist_copy(
                mission=access.mission,
                **{k: form.cleaned_data[k] for k in ("source", "code", "name")},
                user=request.user,
                request=request,
            )
        except checklists.ChecklistError as error:
            for problem in error.problems or [checklists.Problem("", error.message)]:
                form.add_error("code" if problem.path[:1] == ("code",) else None, problem.message)
        else:
            messages.success(request, _("Copied “%(name)s”.") % {"name": checklist.name})
            return redirect(_builder_url(checklist))
    return render(request, "polling/checklists/copy.html", access.page_context(form=form))


# Questions


def _put_problems(form: QuestionForm, formset, error: checklists.ChecklistError) -> None:
    """Each problem next to the field it is about; problems of other questions above the form."""
    if not error.problems:
        form.add_error(None, error.message)
    for problem in error.problems:
        field = problem.path[0] if problem.path else None
        if field == "finding":
            form.add_error(
                "finding_some" if problem.path[1:2] == ("some",) else "finding_none", problem.message
            )
        elif field == "options":
            number = problem.path[1] + 1 if len(problem.path) > 1 else None
            prefix = _("Answer %(number)d: ") % {"number": number} if number else ""
            formset.non_form_errors().append(prefix + problem.message)
        elif field in QUESTION_FIELDS:
            form.add_error(QUESTION_FIELDS[field], problem.message)
        else:
            form.add_error(None, str(problem))


def _question_forms(request, questions: list[Question], question: Question | None):
    """The question form and its answers' formset; show-if may only pick questions above this one."""
    if question is None:
        after = request.POST.get("after", request.GET.get("after", ""))
        cut = next((i + 1 for i, q in enumerate(questions) if q.code == after), len(questions))
        initial = {"after": after, "section": request.GET.get("section", "")}
    else:
        cut, initial = questions.index(question), {}
    positions = questions if question is None else None
    data = request.POST or None
    form = QuestionForm(
        data, instance=question, initial=initial, earlier=questions[:cut], positions=positions
    )
    formset = OptionFormSet(data, prefix="options", initial=option_initial(question))
    formset.extra = 0 if question else 2  # an existing question's page adds answers with its button
    return form, formset


def _question_page(request, access: MissionAccess, checklist: Checklist, question: Question | None):
    """Add (question None) or edit a question with its options; both pages are the same form."""
    questions = _questions(checklist.current_version)
    code = question.code if question else None  # validating the form writes the new code into `question`
    form, formset = _question_forms(request, questions, question)
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        number = checklist.current_version.number
        try:
            saved = checklists.question_save(
                checklist=checklist,
                code=code,
                data=form.definition(),
                options=formset.options(),
                after=form.cleaned_data.get("after") or None,
                user=request.user,
                request=request,
            )
        except checklists.ChecklistError as error:
            _put_problems(form, formset, error)
        else:
            _saved_message(request, checklist, number, saved)
            return redirect(_builder_url(checklist, saved.code))
    sections = sorted({q.section for q in questions if q.section})
    filed = checklist.current_version.visits.count()
    context = access.page_context(checklist=checklist, question=question, form=form, formset=formset)
    return render(
        request, "polling/checklists/question_form.html", {**context, "sections": sections, "filed": filed}
    )


def _saved_message(request, checklist: Checklist, number: int, question: Question) -> None:
    if checklist.current_version.number != number:
        message = _(
            "Question %(code)s saved in a new version, v%(new)d. Visits already filed stay on v%(old)d."
        ) % {"code": question.code, "new": checklist.current_version.number, "old": number}
    else:
        message = _("Question %(code)s saved.") % {"code": question.code}
    messages.success(request, message)


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request, code, checklist):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    _version(checklist)
    return _question_page(request, access, checklist, None)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, code, checklist, question):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    question = get_object_or_404(_version(checklist).questions, code=question)
    return _question_page(request, access, checklist, question)


@login_required
@require_http_methods(["GET", "POST"])
def question_delete(request, code, checklist, question):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    question = get_object_or_404(_version(checklist).questions, code=question)
    if request.method == "POST":
        try:
            checklists.question_delete(
                checklist=checklist, code=question.code, user=request.user, request=request
            )
        except checklists.ChecklistError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Question %(code)s deleted.") % {"code": question.code})
        return redirect(_builder_url(checklist))
    text = _("Delete question %(code)s, “%(text)s”?") % {"code": question.code, "text": question.text}
    return _confirm(
        request,
        access,
        title=_("Delete question"),
        question=text,
        cancel=_builder_url(checklist, question.code),
    )


@login_required
@require_POST
def question_move(request, code, checklist, question):
    access = get_mission_for(request.user, code, write=True)
    checklist = _checklist(access, checklist)
    try:
        checklists.question_move(
            checklist=checklist,
            code=question,
            direction=request.POST.get("direction", ""),
            user=request.user,
            request=request,
        )
    except checklists.ChecklistError as error:
        messages.error(request, error.message)
    return redirect(_builder_url(checklist, question))
