"""Turning an approved version into its signed PDF on disk: what the worker (and the command) run.

1. claim the render row (conditional update; see services.render_claim);
2. build the frozen document and the signing material in this process;
3. a child process renders, signs and writes `<version uuid>-<attempt>.pdf`
   atomically (pdf.render_to_file);
4. record path, size and SHA-256 only if this attempt still holds the row;
   a losing attempt removes its own file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, InterfaceError
from django.utils.translation import gettext as _

from reports.models import StatementRender, StatementVersion
from reports.statements import pdf, services, signing
from reports.statements.document import build_document

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (DatabaseError, InterfaceError)


def render_path(version: StatementVersion, attempt: int) -> str:
    return f"statements/{version.statement.mission.code}/{version.uuid}-{attempt}.pdf"


def payload_for(version: StatementVersion, out: Path) -> dict:
    """What the child process needs: the document, and the key when the version is frozen."""
    payload = {"document": build_document(version, for_pdf=True), "out": str(out)}
    if version.is_frozen:
        mission = version.statement.mission
        payload["sign"] = signing.key_material(signing.key_for(mission))
        payload["sign_reason"] = _("Approved statement of the %(mission)s, version %(n)s") % {
            "mission": mission.name,
            "n": version.number,
        }
        payload["signer_name"] = version.signatory_name
        payload["sign_location"] = mission.country
    return payload


def render_version_to_file(version: StatementVersion, out: Path) -> dict:
    """Render (and sign, when approved) `version` to `out`, in a child process."""
    return pdf.render_to_file(payload_for(version, Path(out)))


def render_run(render_id: int) -> str:
    """Do one render job; returns what happened ("done", "failed", "skipped", "lost")."""
    attempt = services.render_claim(render_id)
    if attempt is None:
        return "skipped"
    render = StatementRender.objects.select_related("version__statement__mission").get(pk=render_id)
    if attempt > services.RENDER_MAX_ATTEMPTS:
        services.render_fail(render_id, attempt, _("Gave up after %(n)s attempts.") % {"n": attempt - 1})
        return "failed"
    relative = render_path(render.version, attempt)
    target = Path(settings.MEDIA_ROOT) / relative
    try:
        result = render_version_to_file(render.version, target)
    except pdf.RenderError as exc:
        logger.warning("statement render %s failed: %s", render_id, exc)
        services.render_fail(render_id, attempt, str(exc))
        return "failed"
    except TRANSIENT_ERRORS:
        services.render_release(render_id, attempt)
        raise
    certificate = signing.key_for(render.version.statement.mission).certificate_pem
    if services.render_finish(
        render_id,
        attempt,
        path=relative,
        sha256=result["sha256"],
        size=result["size"],
        certificate_pem=certificate,
    ):
        logger.info(
            "statement render %s done (%s bytes, child peak %s kB)",
            render_id,
            result["size"],
            result.get("max_rss_kb"),
        )
        return "done"
    target.unlink(missing_ok=True)  # another attempt took the render over meanwhile
    return "lost"


def file_for(render: StatementRender) -> Path:
    return Path(settings.MEDIA_ROOT) / render.path
