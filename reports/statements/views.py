"""Statement pages: the editor, the workflow buttons, the PDF, the render status, public verification."""

from __future__ import annotations

import hashlib
import io
import logging

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from polling.models import Visit
from reports.models import StatementRender, StatementVersion
from reports.statements import drafting, figures, services, tokens
from reports.statements.access import (
    get_statement,
    get_statement_access,
    get_version_for,
    is_approver,
    is_editor,
    visible_versions,
)
from reports.statements.document import build_document
from reports.statements.forms import LogoForm, SectionsForm, SigningKeyForm, VerifyForm, section_field_name
from reports.statements.rendering import file_for

logger = logging.getLogger(__name__)


def _figure_link(code: str, number: int):
    def link(name: str) -> str:
        return reverse("reports:statement_figure", kwargs={"code": code, "number": number, "name": name})

    return link


def _page_context(access, version, snapshot: dict) -> dict:
    mission = access.mission
    document = build_document(version, snapshot=snapshot, link=_figure_link(mission.code, version.number))
    return {
        "mission": mission,
        "access": access,
        "version": version,
        "document": document,
        "is_editor": is_editor(access),
        "is_approver": is_approver(access),
        "versions": visible_versions(access, version.statement),
        "render": StatementRender.objects.filter(version=version).first(),
        # What the head of mission reads here: the approve form names it (services.statement_approve).
        "reviewed": figures.review_digest(version, snapshot),
    }


@login_required
@require_GET
def statement_detail(request, code: str, number: int | None = None):
    access = get_statement_access(request.user, code)
    if number is None and is_editor(access) and get_statement(access) is None:
        return render(
            request, "reports/statements/statement_start.html", {"mission": access.mission, "access": access}
        )
    version = get_version_for(access, number)
    snapshot = version.snapshot if version.is_frozen else figures.collect(access.mission, visit_sets=False)
    context = _page_context(access, version, snapshot)
    if version.is_frozen and is_editor(access):
        context["changes"] = services.data_changes(version)
    if version.status == StatementVersion.Status.DRAFT and is_editor(access):
        labels = {s["key"]: drafting.section_label(s["key"], snapshot) for s in version.sections}
        form = SectionsForm(sections=version.sections, labels=labels)
        previews = {section["key"]: section for section in context["document"]["sections"]}
        context["form"] = form
        context["editor_rows"] = [
            {
                "section": section,
                "field": form[section_field_name(section["key"])],
                "preview": previews.get(section["key"]),
                "rows": min(12, max(3, len(section.get("text", "")) // 90 + 2)),
            }
            for section in version.sections
        ]
        context["palette"] = _palette(snapshot)
        context["unresolved"] = services.unresolved(version, snapshot)
    return render(request, "reports/statements/statement.html", context)


def _palette(snapshot: dict) -> list[dict]:
    return [
        {"name": name, "token": tokens.token(name), "label": figure["label"], "value": tokens.display(figure)}
        for name, figure in snapshot["figures"].items()
    ]


@login_required
@require_POST
def statement_start(request, code: str):
    access = get_statement_access(request.user, code, edit=True)
    _run(request, services.statement_start, mission=access.mission, user=request.user)
    return redirect("reports:statement", code=code)


@login_required
@require_POST
def statement_save(request, code: str):
    access = get_statement_access(request.user, code, edit=True)
    version = get_version_for(access)
    snapshot = figures.collect(access.mission, annex=False, visit_sets=False)
    form = SectionsForm(request.POST, sections=version.sections, labels={})
    if form.is_valid():
        changed = _run(
            request,
            services.statement_edit,
            version=version,
            user=request.user,
            texts=form.texts(),
            known_figures=snapshot["figures"],
        )
        if changed and changed is not _FAILED:
            messages.success(request, _("Saved. The figures stay bound to the data."))
    else:
        messages.error(
            request, _("The text could not be saved: %(errors)s") % {"errors": form.errors.as_text()}
        )
    return redirect("reports:statement", code=code)


@login_required
@require_POST
def statement_preview(request, code: str):
    """The htmx live preview of one section: the text with every figure resolved."""
    access = get_statement_access(request.user, code, edit=True)
    # htmx posts the whole editor form; HX-Trigger-Name says which textarea changed.
    name = request.headers.get("HX-Trigger-Name", "")
    if not name.startswith("section__"):
        name = next((n for n in request.POST if n.startswith("section__")), "")
    text = request.POST.get(name, "")
    text = text[: services.MAX_SECTION_CHARS]
    snapshot = figures.collect(access.mission, annex=False, visit_sets=False)
    version = get_version_for(access)
    paragraphs = [
        [_part(p, _figure_link(code, version.number)) for p in paragraph]
        for paragraph in tokens.paragraphs(text, snapshot["figures"])
    ]
    return render(request, "reports/statements/_statement_preview.html", {"paragraphs": paragraphs})


def _part(part, link) -> dict:
    if part.is_figure:
        return {
            "figure": True,
            "text": part.text,
            "label": part.label,
            "href": link(part.name) if part.visit_set else "",
        }
    if part.is_unknown:
        return {"unknown": True, "text": part.text, "name": part.name}
    return {"text": part.text}


_FAILED = object()


def _run(http_request, service, **kwargs):
    """Call a workflow service; a refusal becomes an error message and returns _FAILED."""
    kwargs.setdefault("request", http_request)  # for the audit trail: where the change came from
    try:
        return service(**kwargs)
    except services.StatementError as exc:
        messages.error(http_request, str(exc))
        return _FAILED


@login_required
@require_POST
def statement_action(request, code: str, action: str):
    """Redraft, submit, return, publish, new version, retry render: one button each."""
    access = get_statement_access(request.user, code, edit=True)
    if action == "new-version":
        statement = get_statement(access)
        if statement is None:
            raise Http404
        _run(request, services.statement_new_version, statement=statement, user=request.user)
        return redirect("reports:statement", code=code)
    version = get_version_for(access)
    handlers = {
        "redraft": (services.statement_redraft, _("Figures and unedited sections updated from the data.")),
        "submit": (services.statement_submit, _("Submitted to the head of mission for approval.")),
        "return": (services.statement_return_to_draft, _("Back to draft.")),
        "publish": (services.statement_publish, _("Published: every member of the mission can read it now.")),
        "retry-render": (services.statement_retry_render, _("The PDF is queued again.")),
    }
    if action not in handlers:
        raise Http404
    service, done = handlers[action]
    result = _run(request, service, version=version, user=request.user)
    if result is not _FAILED:
        messages.success(request, done)
        if action == "redraft" and result:
            messages.warning(
                request,
                _("Edited sections that no longer match the data: %(keys)s. Please review them.")
                % {"keys": ", ".join(result)},
            )
    return redirect("reports:statement", code=code)


@login_required
@require_POST
def statement_reset(request, code: str, key: str):
    access = get_statement_access(request.user, code, edit=True)
    version = get_version_for(access)
    _run(request, services.statement_reset_section, version=version, user=request.user, key=key)
    return redirect("reports:statement", code=code)


@login_required
@require_POST
def statement_approve(request, code: str):
    # Refuse whoever may not approve (403, 404 outside the mission) before asking for a password.
    get_statement_access(request.user, code, approve=True)
    return _statement_approve(request, code)


@reauthentication_required
def _statement_approve(request, code: str):
    access = get_statement_access(request.user, code, approve=True)
    version = get_version_for(access)
    verify_url = services.public_verify_url(version, request)
    render_row = _run(
        request,
        services.statement_approve,
        version=version,
        user=request.user,
        request=request,
        verify_url=verify_url,
        reviewed=request.POST.get("reviewed", ""),
    )
    if render_row is not _FAILED:
        messages.success(request, _("Approved and frozen. The signed PDF is being made."))
    return redirect("reports:statement", code=code)


@login_required
@require_GET
def statement_render_status(request, code: str, number: int):
    access = get_statement_access(request.user, code)
    version = get_version_for(access, number)
    render_row = get_object_or_404(StatementRender, version=version)
    return render(
        request,
        "reports/statements/_statement_render_status.html",
        {"mission": access.mission, "version": version, "render": render_row},
    )


@login_required
@require_GET
def statement_pdf(request, code: str, number: int):
    access = get_statement_access(request.user, code)
    version = get_version_for(access, number)
    render_row = get_object_or_404(StatementRender, version=version, status=StatementRender.Status.DONE)
    data = file_for(render_row).read_bytes()
    if hashlib.sha256(data).hexdigest() != render_row.sha256:
        # The file on disk is not the one the worker signed and recorded: never hand it out.
        logger.error(
            "statement PDF %s of %s v%s does not match its recorded SHA-256",
            render_row.pk,
            access.mission.code,
            version.number,
        )
        return HttpResponse(
            _(
                "The stored PDF does not match the one that was signed, so it is not given out. Tell the secretariat."
            ),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"{access.mission.code}-statement-v{version.number}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_GET
def statement_figure(request, code: str, number: int, name: str):
    """The visits behind one figure: the frozen ones for an approved version, today's for a draft."""
    access = get_statement_access(request.user, code)
    version = get_version_for(access, number)
    snapshot = version.snapshot if version.is_frozen else figures.collect(access.mission, annex=False)
    figure = snapshot["figures"].get(name)
    if figure is None or not figure.get("visits"):
        raise Http404
    uuids = snapshot["visit_sets"].get(figure["visits"], [])
    visits = (
        Visit.objects.filter(mission=access.mission, uuid__in=uuids)
        .select_related("station__area", "team", "observer__user")
        .order_by("arrived_at")
    )
    if not access.sees_all_teams:
        visits = visits.filter(team=access.member.team)
    context = {
        "mission": access.mission,
        "access": access,
        "version": version,
        "figure": figure,
        "display": tokens.display(figure),
        "visits": visits[:2000],
        "count": len(uuids),
    }
    return render(request, "reports/statements/statement_figure.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def statement_settings(request, code: str):
    access = get_statement_access(request.user, code, edit=True)
    statement = get_statement(access)
    logo_form = LogoForm(prefix="logo")
    key_form = SigningKeyForm(prefix="key")
    if request.method == "POST":
        if "logo-logo" in request.FILES:
            logo_form = LogoForm(request.POST, request.FILES, prefix="logo")
            if logo_form.is_valid() and statement is not None:
                _run(
                    request,
                    services.statement_set_logo,
                    statement=statement,
                    user=request.user,
                    logo=logo_form.cleaned_data["logo"],
                )
                messages.success(request, _("Logo saved."))
                return redirect("reports:statement_settings", code=code)
        else:
            key_form = SigningKeyForm(request.POST, request.FILES, prefix="key")
            if key_form.is_valid():
                try:
                    services.statement_set_key(
                        mission=access.mission,
                        user=request.user,
                        data=key_form.cleaned_data["pkcs12"],
                        passphrase=key_form.cleaned_data["passphrase"],
                        request=request,
                    )
                except (services.StatementError, _signing_error()) as exc:
                    key_form.add_error("pkcs12", str(exc))
                else:
                    messages.success(request, _("Signing key saved: the next approval is signed with it."))
                    return redirect("reports:statement_settings", code=code)
    context = {
        "mission": access.mission,
        "access": access,
        "statement": statement,
        "logo_form": logo_form,
        "key_form": key_form,
        "signing_key": getattr(access.mission, "signing_key", None) if _has_key(access.mission) else None,
    }
    return render(request, "reports/statements/statement_settings.html", context)


def _signing_error():
    from reports.statements.signing import SigningKeyError

    return SigningKeyError


def _has_key(mission) -> bool:
    from reports.models import MissionSigningKey

    return MissionSigningKey.objects.filter(mission=mission).exists()


# --- Public verification ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify(request):
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("pdf")
        if upload:
            result = services.statement_verify(data=upload.read())
        else:
            result = services.statement_verify(sha256=form.cleaned_data["sha256"])
    return render(request, "reports/statements/verify.html", {"form": form, "result": result})


@require_GET
def verify_version(request, uuid):
    """Where a statement's QR code points: what was approved, by whom, when, with which hash."""
    version = get_object_or_404(
        StatementVersion.objects.select_related("statement__mission", "approved_by"),
        uuid=uuid,
        status__in=StatementVersion.FROZEN_STATUSES,
    )
    render_row = StatementRender.objects.filter(version=version, status=StatementRender.Status.DONE).first()
    return render(
        request,
        "reports/statements/verify_version.html",
        {"version": version, "render": render_row, "form": VerifyForm()},
    )


@require_GET
def verify_certificate(request, uuid):
    """The certificate that signed a statement, for `pyhanko sign validate --trust`."""
    render_row = get_object_or_404(
        StatementRender,
        version__uuid=uuid,
        status=StatementRender.Status.DONE,
        version__status__in=StatementVersion.FROZEN_STATUSES,
    )
    response = HttpResponse(render_row.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="statement-{uuid}.pem"'
    return response
