"""Changing checklists: the builder's writes, copy-on-write versions, copying between missions."""

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from missions.audit_trail import audit_record, diff
from missions.models import SETUP_ROLES, Mission
from polling.models import Checklist, ChecklistVersion, Option, Question

from .definition import (
    CHOICE_TYPES,
    CODE_RE,
    RESERVED_CHECKLIST_CODES,
    clean_definition,
    question_to_json,
)
from .errors import ChecklistError, Path, Problem

QUESTION_FIELDS = (
    "code",
    "section",
    "order",
    "text",
    "type",
    "required",
    "help_text",
    "min_value",
    "max_value",
    "finding_none",
    "finding_some",
)
OPTION_FIELDS = ("order", "value", "label", "flagged", "severity", "negative")


# Writing a whole version from clean definitions (an import) or from another version (a clone).


def _question_fields(data: dict) -> dict:
    """Model fields of a question from its cleaned definition."""
    finding = data.get("finding") or {}
    return {
        "code": data["code"],
        "section": data["section"],
        "text": data["text"],
        "type": data["type"],
        "required": data["required"],
        "help_text": data["help_text"],
        "min_value": data["min"],
        "max_value": data["max"],
        "finding_none": finding.get("none", ""),
        "finding_some": finding.get("some", ""),
    }


def version_fill(*, version: ChecklistVersion, questions: list[dict]) -> None:
    """Write the cleaned questions (clean_definition's output) into an empty version, in three queries."""
    rows = [
        Question(version=version, order=order, **_question_fields(q)) for order, q in enumerate(questions, 1)
    ]
    Question.objects.bulk_create(rows)
    by_code = {row.code: row for row in rows}
    Option.objects.bulk_create(
        Option(question=row, order=order, **option)
        for row, q in zip(rows, questions, strict=True)
        for order, option in enumerate(q["options"], 1)
    )
    linked = []
    for row, q in zip(rows, questions, strict=True):
        if q["show_if"]:
            row.show_if_question = by_code[q["show_if"]["question"]]
            row.show_if_value = q["show_if"]["equals"]
            linked.append(row)
    Question.objects.bulk_update(linked, ["show_if_question", "show_if_value"])


def _version_clone(source: ChecklistVersion, target: ChecklistVersion) -> None:
    """Copy every question, option and show-if link of `source` into the empty `target`."""
    old = list(source.questions.prefetch_related("options").order_by("order", "pk"))
    new = [Question(version=target, **{f: getattr(q, f) for f in QUESTION_FIELDS}) for q in old]
    Question.objects.bulk_create(new)
    new_for = {o.pk: n for o, n in zip(old, new, strict=True)}
    Option.objects.bulk_create(
        Option(question=new_for[q.pk], **{f: getattr(o, f) for f in OPTION_FIELDS})
        for q in old
        for o in q.options.all()
    )
    linked = []
    for o, n in zip(old, new, strict=True):
        if o.show_if_question_id in new_for:
            n.show_if_question = new_for[o.show_if_question_id]
            n.show_if_value = o.show_if_value
            linked.append(n)
    Question.objects.bulk_update(linked, ["show_if_question", "show_if_value"])


# Checklists


def _checklist_new(*, mission: Mission, code: str, name: str, description: str, user) -> Checklist:
    """A checklist with an empty version 1; the caller has checked the code."""
    order = (mission.checklists.aggregate(m=Max("order"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            checklist = Checklist.objects.create(
                mission=mission, code=code, name=name, description=description, order=order
            )
    except IntegrityError as error:
        raise ChecklistError(_checklist_code_taken(code)) from error
    version = ChecklistVersion.objects.create(checklist=checklist, number=1, created_by=user)
    checklist.current_version = version
    checklist.save(update_fields=["current_version"])
    return checklist


def _checklist_code_taken(code: str) -> str:
    return _("This mission already has a checklist with the code %(code)s.") % {"code": code}


def checklist_code_problem(mission: Mission, code: str) -> str | None:
    """Why `code` cannot name a new checklist of `mission`, or None."""
    if not CODE_RE.match(code):
        return _(
            "Use up to 40 letters, digits, dots, hyphens and underscores, starting with a letter or digit."
        )
    if code.lower() in RESERVED_CHECKLIST_CODES:
        return _("“%(code)s” is reserved; choose another code.") % {"code": code}
    if mission.checklists.filter(code=code).exists():
        return _checklist_code_taken(code)
    return None


def _checklist_state(checklist: Checklist) -> dict:
    return {f: getattr(checklist, f) for f in ("code", "name", "description", "is_active", "order")}


def _audit_checklist(action: str, checklist: Checklist, changes: dict, *, user, request) -> None:
    audit_record(
        action=action,
        actor=user,
        mission=checklist.mission,
        target=checklist,
        changes=changes,
        request=request,
    )


@transaction.atomic
def checklist_create(
    *, mission: Mission, code: str, name: str, description: str = "", user=None, request=None
) -> Checklist:
    """A new, empty checklist; questions are added in the builder."""
    problem = checklist_code_problem(mission, code)
    if problem:
        raise ChecklistError(problem)
    checklist = _checklist_new(mission=mission, code=code, name=name, description=description, user=user)
    _audit_checklist(
        "checklist.create", checklist, diff({}, _checklist_state(checklist)), user=user, request=request
    )
    return checklist


@transaction.atomic
def checklist_update(
    *,
    checklist: Checklist,
    name: str,
    description: str,
    is_active: bool,
    order: int,
    user=None,
    request=None,
) -> Checklist:
    """Name, description, order and whether it is open for filing: not part of a version."""
    before = _checklist_state(Checklist.objects.get(pk=checklist.pk))  # a ModelForm has changed `checklist`
    checklist.name, checklist.description = name, description
    checklist.is_active, checklist.order = is_active, order
    checklist.save(update_fields=["name", "description", "is_active", "order"])
    changes = diff(before, _checklist_state(checklist))
    if changes:
        _audit_checklist("checklist.update", checklist, changes, user=user, request=request)
    return checklist


@transaction.atomic
def checklist_delete(*, checklist: Checklist, user=None, request=None) -> None:
    """Delete a checklist nobody has filed yet; a filed one is closed for filing instead."""
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    filed = ChecklistVersion.objects.filter(checklist=checklist, visits__isnull=False).exists()
    if filed:
        raise ChecklistError(
            _("Visits have been filed against this checklist, so it cannot be deleted; close it for filing.")
        )
    before = {**_checklist_state(checklist), "questions": _question_count(checklist)}
    _audit_checklist("checklist.delete", checklist, diff(before, {}), user=user, request=request)
    checklist.delete()


def _question_count(checklist: Checklist) -> int:
    return Question.objects.filter(version_id=checklist.current_version_id).count()


@transaction.atomic
def checklist_editable_version(*, checklist: Checklist, user=None, request=None) -> ChecklistVersion:
    """The version the builder may change: the current one, or a copy of it once it has visits.

    1. The checklist row is locked, so two editors cannot both make version N+1.
    2. The current version's row is locked FOR UPDATE. Filing a visit takes a KEY SHARE lock on that
       row (PostgreSQL's foreign-key check), so a visit is either committed before this point, and
       seen in step 3, or waits until this transaction (and the change made in it) is over.
    3. Without visits, the current version is returned and changed in place. With visits, it is
       cloned (questions, options, show-if links, codes) into version N+1, which becomes current;
       the visits keep pointing at version N, and results compare across versions by question code.
    Call it inside the transaction that makes the change, so the lock covers the change.
    """
    checklist_row = Checklist.objects.select_for_update().get(pk=checklist.pk)
    current = None
    if checklist_row.current_version_id:
        current = ChecklistVersion.objects.select_for_update().get(pk=checklist_row.current_version_id)
        if not current.visits.exists():
            checklist.current_version = current
            return current
    last = checklist_row.versions.aggregate(n=Max("number"))["n"] or 0
    version = ChecklistVersion.objects.create(checklist=checklist_row, number=last + 1, created_by=user)
    if current is not None:
        _version_clone(current, version)
    checklist_row.current_version = version
    checklist_row.save(update_fields=["current_version"])
    checklist.current_version = version
    audit_record(
        action="checklist.version_create",
        actor=user,
        mission=checklist_row.mission,
        target=version,
        changes={"version": [current.number if current else None, version.number]},
        request=request,
    )
    return version


# Questions


def _questions(version: ChecklistVersion) -> list[Question]:
    return list(
        version.questions.select_related("show_if_question")
        .prefetch_related("options")
        .order_by("order", "pk")
    )


def _index(questions: list[Question], code: str) -> int:
    for i, question in enumerate(questions):
        if question.code == code:
            return i
    raise ChecklistError(_("This checklist has no question %(code)s.") % {"code": code})


def _renumber(questions: list[Question]) -> None:
    changed = []
    for order, question in enumerate(questions, 1):
        if question.order != order:
            question.order = order
            changed.append(question)
    Question.objects.bulk_update(changed, ["order"])


def _problems_for(found: list[tuple[Path, str]], index: int, definitions: list[dict]) -> list[Problem]:
    """Validation problems of a whole version, told from the point of view of question `index`.

    A problem of the question being saved keeps its field (("show_if", "equals")) so the form can put
    it next to that field; a problem the change causes elsewhere names the other question.
    """
    problems = []
    for path, message in found:
        if len(path) >= 2 and path[0] == "questions":
            field = path[2:]
            if path[1] == index:
                problems.append(Problem("", message, field))
            else:
                where = definitions[path[1]]["code"]
                problems.append(Problem(where, message))
        else:
            problems.append(Problem("", message))
    return problems


@transaction.atomic
def question_save(
    *,
    checklist: Checklist,
    code: str | None,
    data: dict,
    options: list[dict],
    after: str | None = None,
    user=None,
    request=None,
) -> Question:
    """Add a question (`code` None) or change question `code`, with its options, in the editable version.

    `data` holds the question's fields in our format (code, section, text, type, required, help_text,
    min, max, show_if, finding) and `options` its options in order. The whole version is checked as it
    would be after the change, by the same rules as an import, so that no change here can leave a
    show-if pointing at a question that is now later, gone or without that option.
    A new question goes after question `after`, or at the end.
    """
    version = checklist_editable_version(checklist=checklist, user=user, request=request)
    questions = _questions(version)
    definitions = [question_to_json(q) for q in questions]
    before = {} if code is None else dict(definitions[_index(questions, code)])
    proposed = {**data, "options": options if data.get("type") in CHOICE_TYPES else []}
    if code is None:
        index = _index(questions, after) + 1 if after else len(questions)
        definitions.insert(index, proposed)
        question = Question(version=version)
        questions.insert(index, question)
    else:
        index = _index(questions, code)
        definitions[index] = proposed
        question = questions[index]
        for other in definitions:  # a renamed question keeps its dependents
            if other["show_if"] and other["show_if"]["question"] == code:
                other["show_if"] = {**other["show_if"], "question": data["code"]}
    clean, found = clean_definition(
        {"code": checklist.code, "name": checklist.name, "questions": definitions}
    )
    if found:
        raise ChecklistError(_("The question was not saved."), _problems_for(found, index, definitions))
    cleaned = clean["questions"][index]
    for field, value in _question_fields(cleaned).items():
        setattr(question, field, value)
    rule = cleaned["show_if"]
    question.show_if_question = (
        next(q for q in questions if q.code == rule["question"] and q is not question) if rule else None
    )
    question.show_if_value = rule["equals"] if rule else ""
    question.save()
    _options_set(question, cleaned["options"])
    _renumber(questions)
    _audit_question(
        "checklist.question_add" if code is None else "checklist.question_update",
        checklist,
        question,
        diff(before, question_to_json(Question.objects.prefetch_related("options").get(pk=question.pk))),
        user=user,
        request=request,
    )
    return question


def _audit_question(action: str, checklist: Checklist, question: Question, changes: dict, *, user, request):
    audit_record(
        action=action,
        actor=user,
        mission=checklist.mission,
        target=question,
        changes={"checklist": [None, checklist.code], **changes},
        request=request,
    )


def _options_set(question: Question, options: list[dict]) -> None:
    """Make the question's options exactly `options`, keeping the rows whose value stays."""
    existing = {o.value: o for o in question.options.all()} if question.pk else {}
    wanted = {o["value"] for o in options}
    question.options.exclude(value__in=wanted).delete()
    changed, created = [], []
    for order, data in enumerate(options, 1):
        row = existing.get(data["value"])
        if row is None:
            created.append(Option(question=question, order=order, **data))
            continue
        for field, value in {"order": order, **data}.items():
            setattr(row, field, value)
        changed.append(row)
    Option.objects.bulk_update(changed, ["order", "label", "flagged", "severity", "negative"])
    Option.objects.bulk_create(created)


@transaction.atomic
def question_delete(*, checklist: Checklist, code: str, user=None, request=None) -> None:
    """Delete a question no other question's show-if depends on."""
    version = checklist_editable_version(checklist=checklist, user=user, request=request)
    questions = _questions(version)
    question = questions[_index(questions, code)]
    dependents = [q.code for q in questions if q.show_if_question_id == question.pk]
    if dependents:
        raise ChecklistError(
            ngettext(
                "Question %(codes)s is shown only depending on the answer to %(code)s; "
                "change its show-if or delete it first.",
                "Questions %(codes)s are shown only depending on the answer to %(code)s; "
                "change their show-if or delete them first.",
                len(dependents),
            )
            % {"codes": ", ".join(dependents), "code": code}
        )
    _audit_question(
        "checklist.question_delete",
        checklist,
        question,
        diff(question_to_json(question), {}),
        user=user,
        request=request,
    )
    question.delete()
    questions.remove(question)
    _renumber(questions)


@transaction.atomic
def question_move(*, checklist: Checklist, code: str, direction: str, user=None, request=None) -> Question:
    """Swap a question with the one above ("up") or below ("down"), keeping show-if rules earlier."""
    if direction not in ("up", "down"):
        raise ChecklistError(_("A question moves up or down."))
    version = checklist_editable_version(checklist=checklist, user=user, request=request)
    questions = _questions(version)
    index = _index(questions, code)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(questions):
        return questions[index]
    first, second = sorted((questions[index], questions[other]), key=questions.index)
    if second.show_if_question_id == first.pk:
        raise ChecklistError(
            _("%(second)s is shown depending on the answer to %(first)s, so it must stay after it.")
            % {"first": first.code, "second": second.code}
        )
    before = [q.code for q in questions]
    questions[index], questions[other] = questions[other], questions[index]
    _renumber(questions)
    _audit_question(
        "checklist.question_move",
        checklist,
        questions[other],
        {"order": [before, [q.code for q in questions]]},
        user=user,
        request=request,
    )
    return questions[other]


# Copying between missions


def checklists_copyable_by(user) -> QuerySet:
    """Checklists of every mission where `user` is an active set-up member (they may copy them)."""
    return (
        Checklist.objects.filter(
            Q(mission__members__user=user)
            & Q(mission__members__is_active=True)
            & Q(mission__members__role__in=SETUP_ROLES),
            current_version__isnull=False,
        )
        .select_related("mission", "current_version")
        .order_by("-mission__election_date", "mission__name", "order", "name")
        .distinct()
    )
