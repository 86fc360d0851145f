"""The statement's workflow: draft, edit, redraft, submit, approve, publish, new version.

Each function runs in one transaction, checks who may do it (whatever the view
already checked), writes a StatementEvent and raises StatementError with a
message for the person when the step is not allowed.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_on_commit
from config.problems import UserError
from missions.models import Member, Mission, Role
from reports.models import Statement, StatementEvent, StatementRender, StatementVersion
from reports.statements import drafting, figures, tokens

logger = logging.getLogger(__name__)

EDITOR_ROLES = frozenset({Role.SECRETARIAT, Role.HEAD_OF_MISSION})
MAX_SECTION_CHARS = 20_000
RENDER_STALE_SECONDS = settings.STATEMENT_RENDER_STALE_SECONDS
RENDER_MAX_ATTEMPTS = 3


def public_verify_url(version: StatementVersion, request=None) -> str:
    """The verification address printed on the signed PDF and in its QR code.

    It is read off paper for years, so it comes from OBSERVA_PUBLIC_URL, never from
    whatever host a request happened to use; only a laptop without the setting
    falls back to the request's own address.
    """
    path = reverse("reports:verify_version", kwargs={"uuid": version.uuid})
    if settings.OBSERVA_PUBLIC_URL:
        return settings.OBSERVA_PUBLIC_URL + path
    return request.build_absolute_uri(path) if request is not None else path


class StatementError(UserError):
    """A workflow step that is not allowed now; the message is shown to the person."""


def _member(mission: Mission, user) -> Member | None:
    if not user or not user.is_authenticated:
        return None
    return Member.objects.filter(mission=mission, user=user, is_active=True).first()


def _require_role(mission: Mission, user, roles) -> Member:
    member = _member(mission, user)
    if member is None or member.role not in roles:
        raise StatementError(_("Your role in this mission may not do this."))
    return member


def _event(
    version: StatementVersion | None,
    statement: Statement,
    action: str,
    user,
    detail: str = "",
    *,
    changes: dict | None = None,
    request=None,
) -> None:
    """The statement's own history, and the mission's tamper-evident audit trail."""
    from missions.audit_trail import audit_record

    StatementEvent.objects.create(
        version=version, statement=statement, action=action, user=user, detail=detail[:500]
    )
    audit_record(
        action=f"statement.{action}",
        actor=user,
        mission=statement.mission,
        target=version or statement,
        changes={**({"detail": [None, detail[:500]]} if detail else {}), **(changes or {})},
        request=request,
    )


def _lock(version: StatementVersion) -> StatementVersion:
    return (
        StatementVersion.objects.select_for_update().select_related("statement__mission").get(pk=version.pk)
    )


def latest_version(statement: Statement) -> StatementVersion | None:
    return statement.versions.order_by("-number").first()


@transaction.atomic
def statement_start(*, mission: Mission, user, request=None) -> StatementVersion:
    """The mission's open version, drafting the first one from the data if there is none."""
    _require_role(mission, user, EDITOR_ROLES)
    statement, _created = Statement.objects.get_or_create(mission=mission)
    Statement.objects.select_for_update().filter(pk=statement.pk).first()
    latest = latest_version(statement)
    if latest is not None:
        return latest
    snapshot = figures.collect(mission, annex=False, visit_sets=False)
    version = StatementVersion.objects.create(
        statement=statement,
        number=1,
        sections=drafting.default_sections(snapshot),
        created_by=user,
        updated_by=user,
        drafted_at=timezone.now(),
    )
    _event(version, statement, StatementEvent.Action.DRAFTED, user, request=request)
    return version


@transaction.atomic
def statement_redraft(*, version: StatementVersion, user, request=None) -> list[str]:
    """Refresh every section nobody edited from the current data; returns keys needing a look."""
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.DRAFT:
        raise StatementError(_("Only a draft can be redrafted."))
    snapshot = figures.collect(version.statement.mission, annex=False, visit_sets=False)
    version.sections, warnings = drafting.redraft(version.sections, drafting.default_sections(snapshot))
    version.drafted_at = timezone.now()
    version.updated_by = user
    version.save(update_fields=["sections", "drafted_at", "updated_by", "updated_at"])
    _event(
        version,
        version.statement,
        StatementEvent.Action.REDRAFTED,
        user,
        ", ".join(warnings),
        request=request,
    )
    return warnings


@transaction.atomic
def statement_edit(
    *, version: StatementVersion, user, texts: dict[str, str], known_figures: dict, request=None
) -> list[str]:
    """Save new prose for some sections; returns the keys that changed.

    A section whose text changes is marked edited, so later redrafts keep it.
    Tokens must name figures that exist (`known_figures`); text is stored as typed.
    """
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.DRAFT:
        raise StatementError(_("Only a draft can be edited. Return it to draft first."))
    by_key = {s["key"]: s for s in version.sections}
    problems = []
    for key, text in texts.items():
        if key not in by_key:
            raise StatementError(_("The statement has no section %(key)s.") % {"key": key})
        if len(text) > MAX_SECTION_CHARS:
            problems.append(_("A section may hold at most %(n)s characters.") % {"n": MAX_SECTION_CHARS})
        unknown = tokens.unknown_tokens(text, known_figures)
        if unknown:
            problems.append(
                _("Unknown figures: %(names)s. Use the figures offered by the editor.")
                % {"names": ", ".join(unknown)}
            )
    if problems:
        raise StatementError(" ".join(dict.fromkeys(problems)))
    changed, prose = [], {}
    for key, text in texts.items():
        normalised = text.replace("\r\n", "\n").strip()
        if normalised != by_key[key]["text"]:
            prose[key] = [by_key[key]["text"], normalised]
            by_key[key]["text"] = normalised
            by_key[key]["edited"] = True
            changed.append(key)
    if changed:
        version.updated_by = user
        version.save(update_fields=["sections", "updated_by", "updated_at"])
        _event(
            version,
            version.statement,
            StatementEvent.Action.EDITED,
            user,
            ", ".join(changed),
            changes=prose,
            request=request,
        )
    return changed


@transaction.atomic
def statement_reset_section(*, version: StatementVersion, user, key: str, request=None) -> None:
    """Throw away the edits of one section and take the drafted text again."""
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.DRAFT:
        raise StatementError(_("Only a draft can be edited. Return it to draft first."))
    fresh = {
        s["key"]: s
        for s in drafting.default_sections(
            figures.collect(version.statement.mission, annex=False, visit_sets=False)
        )
    }
    sections, prose = [], {}
    for section in version.sections:
        if section["key"] == key:
            prose[key] = [section.get("text", ""), fresh[key]["text"] if key in fresh else None]
            if key not in fresh:
                continue
            section = fresh[key]
        sections.append(section)
    version.sections = sections
    version.updated_by = user
    version.save(update_fields=["sections", "updated_by", "updated_at"])
    _event(
        version,
        version.statement,
        StatementEvent.Action.EDITED,
        user,
        _("%(key)s reset") % {"key": key},
        changes=prose,
        request=request,
    )


def unresolved(version: StatementVersion, snapshot: dict) -> list[str]:
    """Token names in the version's text that the data does not provide."""
    names: set[str] = set()
    for section in version.sections:
        names.update(tokens.unknown_tokens(section.get("text", ""), snapshot["figures"]))
    return sorted(names)


@transaction.atomic
def statement_submit(*, version: StatementVersion, user, request=None) -> None:
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.DRAFT:
        raise StatementError(_("Only a draft can be submitted for approval."))
    missing = unresolved(version, figures.collect(version.statement.mission, annex=False, visit_sets=False))
    if missing:
        raise StatementError(
            _("The text uses figures the data lacks: %(names)s.") % {"names": ", ".join(missing)}
        )
    version.status = StatementVersion.Status.SUBMITTED
    version.submitted_at, version.submitted_by, version.updated_by = timezone.now(), user, user
    version.save(update_fields=["status", "submitted_at", "submitted_by", "updated_by", "updated_at"])
    _event(version, version.statement, StatementEvent.Action.SUBMITTED, user, request=request)


@transaction.atomic
def statement_return_to_draft(*, version: StatementVersion, user, reason: str = "", request=None) -> None:
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.SUBMITTED:
        raise StatementError(_("Only a statement waiting for approval can go back to draft."))
    version.status = StatementVersion.Status.DRAFT
    version.submitted_at = version.submitted_by = None
    version.updated_by = user
    version.save(update_fields=["status", "submitted_at", "submitted_by", "updated_by", "updated_at"])
    _event(version, version.statement, StatementEvent.Action.RETURNED, user, reason, request=request)


def recently_reauthenticated(request) -> bool:
    """Did this session re-enter a password (or second factor) within ACCOUNT_REAUTHENTICATION_TIMEOUT?"""
    from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate

    if request is None or not request.user.is_authenticated:
        return False
    return did_recently_reauthenticate(request)


@transaction.atomic
def statement_approve(
    *, version: StatementVersion, user, request, verify_url: str, reviewed: str | None = None
) -> StatementRender:
    """Approve and freeze: text, data snapshot (with its SHA-256), then the signed PDF by a worker.

    1. Only an active head of mission of this mission, who re-entered their
       password within the last few minutes (checked here, not only in the view).
    2. The row is locked, so two clicks cannot approve twice.
    3. The snapshot is taken inside the transaction and stored with its hash. `reviewed`, the
       review_digest of the page the head of mission approved from (the view always passes it; None
       only from code that showed no page), must still match the text and figures now, or nothing is
       approved.
    4. The render row is created now; the worker is told only after commit.
    """
    from reports.statements import signing

    version = _lock(version)
    mission = version.statement.mission
    member = _require_role(mission, user, {Role.HEAD_OF_MISSION})
    if request is None or request.user.pk != user.pk or not recently_reauthenticated(request):
        raise StatementError(_("Please confirm your password again before approving."))
    if version.status != StatementVersion.Status.SUBMITTED:
        raise StatementError(_("Only a statement submitted for approval can be approved."))
    snapshot = figures.collect(mission)
    if reviewed is not None and reviewed != figures.review_digest(version, snapshot):
        raise StatementError(
            _(
                "The statement changed since you opened it (its text or its figures): read it again, then approve."
            )
        )
    missing = unresolved(version, snapshot)
    if missing:
        raise StatementError(
            _("The text uses figures the data lacks: %(names)s.") % {"names": ", ".join(missing)}
        )
    signing.key_for(mission, user=user)
    version.snapshot = snapshot
    version.snapshot_sha256 = figures.sha256(snapshot)
    version.status = StatementVersion.Status.APPROVED
    version.approved_at, version.approved_by = timezone.now(), user
    version.signatory_name = str(member.user)
    version.verify_url = verify_url
    version.save(
        update_fields=[
            "snapshot",
            "snapshot_sha256",
            "status",
            "approved_at",
            "approved_by",
            "signatory_name",
            "verify_url",
            "updated_at",
        ]
    )
    render = StatementRender.objects.create(version=version)
    _event(
        version,
        version.statement,
        StatementEvent.Action.APPROVED,
        user,
        version.snapshot_sha256,
        changes={"status": [StatementVersion.Status.SUBMITTED, StatementVersion.Status.APPROVED]},
        request=request,
    )
    enqueue_render(render)
    return render


@transaction.atomic
def statement_publish(*, version: StatementVersion, user, request=None) -> None:
    version = _lock(version)
    _require_role(version.statement.mission, user, EDITOR_ROLES)
    if version.status != StatementVersion.Status.APPROVED:
        raise StatementError(_("Only an approved statement can be published."))
    render = StatementRender.objects.filter(version=version).first()
    if render is None or render.status != StatementRender.Status.DONE:
        raise StatementError(_("Wait for the signed PDF before publishing."))
    version.status = StatementVersion.Status.PUBLISHED
    version.published_at, version.published_by = timezone.now(), user
    version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    _event(version, version.statement, StatementEvent.Action.PUBLISHED, user, request=request)


@transaction.atomic
def statement_new_version(*, statement: Statement, user, request=None) -> StatementVersion:
    """Open a new draft from the newest frozen version: its prose, figures refreshed."""
    _require_role(statement.mission, user, EDITOR_ROLES)
    Statement.objects.select_for_update().filter(pk=statement.pk).first()
    latest = latest_version(statement)
    if latest is None or latest.is_open:
        raise StatementError(_("There is already a draft of this statement."))
    snapshot = figures.collect(statement.mission, annex=False, visit_sets=False)
    sections, _warnings = drafting.redraft(latest.sections, drafting.default_sections(snapshot))
    version = StatementVersion.objects.create(
        statement=statement,
        number=latest.number + 1,
        sections=sections,
        created_by=user,
        updated_by=user,
        drafted_at=timezone.now(),
    )
    _event(
        version,
        statement,
        StatementEvent.Action.NEW_VERSION,
        user,
        _("from version %(n)s") % {"n": latest.number},
        request=request,
    )
    return version


RENDER_TASK = "reports.statements.tasks.render_statement"  # the task that renders and signs a version's PDF


def enqueue_render(render: StatementRender) -> None:
    """Tell a worker, once the transaction that created or re-queued the row has committed."""
    enqueue_on_commit(RENDER_TASK, render.pk)


@transaction.atomic
def statement_retry_render(*, version: StatementVersion, user, request=None) -> StatementRender:
    """Queue a failed render again (the frozen statement itself does not change)."""

    _require_role(version.statement.mission, user, EDITOR_ROLES)
    render = StatementRender.objects.select_for_update().get(version=version)
    if render.status != StatementRender.Status.FAILED:
        raise StatementError(_("Only a failed render can be retried."))
    render.status, render.error, render.attempts = StatementRender.Status.QUEUED, "", 0
    render.queued_at = timezone.now()
    render.save(update_fields=["status", "error", "attempts", "queued_at"])
    _audit_render("statement.render_retry", render.pk, user=user, request=request)
    enqueue_render(render)
    return render


@transaction.atomic
def statement_set_logo(*, statement: Statement, user, logo, request=None) -> None:
    _require_role(statement.mission, user, EDITOR_ROLES)
    if statement.logo:
        statement.logo.delete(save=False)
    statement.logo = logo
    statement.save(update_fields=["logo"])
    _event(None, statement, StatementEvent.Action.LOGO, user, request=request)


@transaction.atomic
def statement_set_key(*, mission: Mission, user, data: bytes, passphrase: str, request=None):
    from reports.statements import signing

    _require_role(mission, user, EDITOR_ROLES)
    key = signing.store_uploaded_key(mission, data, passphrase, user=user)
    statement, _created = Statement.objects.get_or_create(mission=mission)
    _event(None, statement, StatementEvent.Action.KEY, user, key.subject, request=request)
    return key


def data_changes(version: StatementVersion) -> list[dict]:
    """For a frozen version: the figures that would change if it were drafted from today's data."""
    if not version.is_frozen or not version.snapshot:
        return []
    return figures.changed_figures(version.snapshot, figures.collect(version.statement.mission, annex=False))


# --- Render rows ------------------------------------------------------------------


def render_claim(render_id: int) -> int | None:
    """Take a queued render (or one stuck in rendering past the stale limit); returns the attempt number.

    The conditional update is the lock: of two workers given the same render,
    exactly one gets a row back.
    """
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=RENDER_STALE_SECONDS)
    claimable = StatementRender.objects.filter(pk=render_id, status=StatementRender.Status.QUEUED)
    claimed = claimable.update(
        status=StatementRender.Status.RENDERING, started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        claimed = StatementRender.objects.filter(
            pk=render_id, status=StatementRender.Status.RENDERING, started_at__lt=stale
        ).update(started_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return StatementRender.objects.values_list("attempts", flat=True).get(pk=render_id)


def _audit_render(action: str, render_id: int, changes: dict | None = None, *, user=None, request=None):
    from missions.audit_trail import audit_record

    render = StatementRender.objects.select_related("version__statement__mission").get(pk=render_id)
    audit_record(
        action=action,
        actor=user,
        mission=render.version.statement.mission,
        target=render.version,
        changes=changes,
        request=request,
    )


@transaction.atomic
def render_finish(
    render_id: int, attempt: int, *, path: str, sha256: str, size: int, certificate_pem: str
) -> bool:
    """Record the finished file, if this attempt still holds the render."""
    finished = StatementRender.objects.filter(
        pk=render_id, status=StatementRender.Status.RENDERING, attempts=attempt
    ).update(
        status=StatementRender.Status.DONE,
        path=path,
        sha256=sha256,
        size=size,
        certificate_pem=certificate_pem,
        error="",
        finished_at=timezone.now(),
    )
    if finished:
        changes = {"status": ["rendering", "done"], "sha256": [None, sha256], "size": [None, size]}
        _audit_render("statement.render_done", render_id, changes)
    return bool(finished)


@transaction.atomic
def render_fail(render_id: int, attempt: int, reason: str) -> bool:
    failed = StatementRender.objects.filter(
        pk=render_id, status=StatementRender.Status.RENDERING, attempts=attempt
    ).update(status=StatementRender.Status.FAILED, error=reason[:2000], finished_at=timezone.now())
    if failed:
        changes = {"status": ["rendering", "failed"], "error": [None, reason[:500]]}
        _audit_render("statement.render_failed", render_id, changes)
    return bool(failed)


def render_release(render_id: int, attempt: int) -> bool:
    """Give a render back to the queue after a transient error."""
    return bool(
        StatementRender.objects.filter(
            pk=render_id, status=StatementRender.Status.RENDERING, attempts=attempt
        ).update(status=StatementRender.Status.QUEUED, queued_at=timezone.now())
    )


# --- Verification -------------------------------------------------------------------


def statement_verify(*, data: bytes | None = None, sha256: str = "") -> dict:
    """Is this PDF (or this SHA-256) an approved statement? Public: says only what the PDF itself says.

    A match needs the exact bytes of a finished render; for an uploaded file the
    signature is also checked against the mission's certificate.
    """
    import hashlib

    from reports.statements import signing

    if data is not None:
        sha256 = hashlib.sha256(data).hexdigest()
    render = (
        StatementRender.objects.select_related("version__statement__mission", "version__approved_by")
        .filter(sha256=sha256, status=StatementRender.Status.DONE)
        .filter(version__status__in=StatementVersion.FROZEN_STATUSES)
        .first()
    )
    result = {
        "sha256": sha256,
        "render": render,
        "version": render.version if render else None,
        "signature": None,
    }
    if render is not None and data is not None:
        result["signature"] = signing.check_signature(data, render.certificate_pem)
    result["ok"] = render is not None and (result["signature"] is None or result["signature"].valid)
    return result
