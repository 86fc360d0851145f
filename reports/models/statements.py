"""Statements, their approval, renders and signing keys.

A mission has one `Statement`; its text lives in numbered `StatementVersion`s.
Only the newest version may be open (draft or submitted for approval); an
approved version is frozen: its text, the data snapshot behind its figures and
its signed PDF never change again. Editing after approval opens a new version.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MissionSigningKey",
    "Statement",
    "StatementEvent",
    "StatementRender",
    "StatementVersion",
]


def _logo_path(instance: "Statement", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"statements/logos/{instance.uuid}.{extension}"


class Statement(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="statement")
    logo = models.FileField(_("organisation logo"), upload_to=_logo_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return str(self.mission)

    def get_absolute_url(self) -> str:
        return reverse("reports:statement", kwargs={"code": self.mission.code})


class StatementVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED)
    FROZEN_STATUSES = (Status.APPROVED, Status.PUBLISHED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # [{"key": "introduction", "text": "... [[members_total]] ...", "edited": false, "variant": ""}, ...]
    sections = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    drafted_at = models.DateTimeField(_("figures drafted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Frozen at approval: every figure, list and table the statement shows, as canonical JSON.
    snapshot = models.JSONField(null=True, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    signatory_name = models.CharField(max_length=200, blank=True)
    # The public page the PDF's QR code points at, fixed at approval from the approver's request.
    verify_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["statement", "-number"]
        verbose_name = _("statement version")
        verbose_name_plural = _("statement versions")
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_version_number_unique"),
            models.UniqueConstraint(
                fields=["statement"],
                condition=models.Q(status__in=["draft", "submitted"]),
                name="statement_one_open_version",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "submitted"])
                | (models.Q(approved_at__isnull=False) & ~models.Q(snapshot_sha256="")),
                name="statement_frozen_has_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} v{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN_STATUSES

    def section(self, key: str) -> dict | None:
        return next((s for s in self.sections if s.get("key") == key), None)


class StatementEvent(models.Model):
    """The statement's history: who did what to which version, and when."""

    class Action(models.TextChoices):
        DRAFTED = "drafted", _("Drafted")
        REDRAFTED = "redrafted", _("Figures and unedited sections redrafted")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted for approval")
        RETURNED = "returned", _("Returned to draft")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        NEW_VERSION = "new_version", _("New version opened")
        LOGO = "logo", _("Logo changed")
        KEY = "key", _("Signing key set")

    version = models.ForeignKey(
        StatementVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("statement event")
        verbose_name_plural = _("statement events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class StatementRender(models.Model):
    """The signed PDF of an approved version, made by a Celery worker.

    queued -> rendering -> done | failed. The worker claims the row with a
    conditional update; a sweeper re-queues rows left in `rendering` by a dead worker.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    version = models.OneToOneField(StatementVersion, on_delete=models.PROTECT, related_name="render")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Relative to MEDIA_ROOT; written once (temp file + os.replace), never rewritten.
    path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(default=0)
    # The certificate that signed this PDF (a mission may change its key later).
    certificate_pem = models.TextField(blank=True)

    class Meta:
        verbose_name = _("statement render")
        verbose_name_plural = _("statement renders")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | (~models.Q(sha256="") & ~models.Q(path="")),
                name="statement_render_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class MissionSigningKey(models.Model):
    """The key and certificate that sign a mission's approved statements.

    The PKCS#12 is stored encrypted with a passphrase derived from SECRET_KEY
    (see reports.statements.signing): a copy of the database alone does not hand out the key.
    """

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated by Observa")
        UPLOADED = "uploaded", _("Uploaded PKCS#12")

    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="signing_key")
    source = models.CharField(max_length=10, choices=Source.choices)
    pkcs12 = models.BinaryField()
    certificate_pem = models.TextField()
    fingerprint_sha256 = models.CharField(max_length=64)
    subject = models.CharField(max_length=500)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return self.subject
