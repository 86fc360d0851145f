"""Pre-aggregated result counts (for the dashboard) and export jobs.

The statement and the exports compute exact figures live from visits and answers
(reports/results/selectors/live.py). The dashboard, refreshed every few seconds by many
viewers, reads the counts below instead: they are kept up to date by the worker
(reports/results/refresh.py), incrementally from a per-visit snapshot, so a
refresh never groups the millions of answers of a large mission.

The tables hold plain integers for stations, teams and areas, not foreign keys:
a snapshot must outlive the visit it describes (so a deleted visit can be
subtracted), and a changed station area or team forces a rebuild anyway.
"""

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Export",
    "ResultCount",
    "ResultCoverage",
    "ResultKey",
    "ResultState",
    "ResultStationCount",
    "ResultVisit",
]


class ResultKey(models.Model):
    """One thing that can be counted for a visit: an answer option, a number, "answered", an hour...

    Each visit counts at most once per key, so `visits` of a key is a number of visits.
    """

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")  # every visit (coverage); checklist and question blank
        HOUR = "hour", _("Hour of arrival")  # value = UTC hour, ISO "2024-02-07T06"
        ANSWERED = "answered", _("Answered")  # the visit answered the question
        OPTION = "option", _("Option")  # value = option value
        NUMBER = "number", _("Number")  # value = the number as text, number = the number
        FLAGGED = "flagged", _("Any flagged option")
        NEGATIVE = "negative", _("Negative assessment")
        SERIOUS = "serious", _("Any serious flagged answer")  # checklist and question blank

    # Kinds whose distinct stations are counted too (coverage and findings).
    STATION_KINDS = ("visit", "answered", "flagged", "serious", "option")

    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    checklist_code = models.CharField(max_length=40, blank=True)
    question_code = models.CharField(max_length=40, blank=True)
    value = models.CharField(max_length=100, blank=True)
    number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Distinct stations are counted for this key (flagged options, not every option).
    track_stations = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "kind", "checklist_code", "question_code", "value"],
                name="result_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.checklist_code}.{self.question_code}={self.value}"


class ResultCount(models.Model):
    """Visits (and distinct stations, for tracked keys) per key in one slice of the mission.

    dim "m" is the whole mission (group_id 0), "t" one team (group_id = team id),
    "a" one area at any level (group_id = area id; a station counts in its area and
    every ancestor).
    """

    class Dim(models.TextChoices):
        MISSION = "m", _("Mission")
        TEAM = "t", _("Team")
        AREA = "a", _("Area")

    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(ResultKey, on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=1, choices=Dim.choices)
    group_id = models.BigIntegerField(default=0)
    visits = models.IntegerField(default=0)
    stations = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "dim", "group_id"], name="result_count_unique"),
        ]
        indexes = [models.Index(fields=["mission", "dim", "group_id"], name="result_count_slice")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.dim}{self.group_id}: {self.visits} visits, {self.stations} stations"


class ResultStationCount(models.Model):
    """Visits per (key, station, team): turns visit counts into distinct-station counts."""

    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(ResultKey, on_delete=models.CASCADE, related_name="+")
    station_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0)
    visits = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "station_id", "team_id"], name="result_station_count_unique"
            ),
        ]
        indexes = [models.Index(fields=["mission", "station_id"], name="result_station_mission")]

    def __str__(self) -> str:
        return f"{self.key_id} station {self.station_id} team {self.team_id}: {self.visits}"


class ResultVisit(models.Model):
    """What was counted for one visit, so a later edit or deletion can be subtracted exactly."""

    visit_id = models.BigIntegerField(primary_key=True)
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    station_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()
    revision = models.PositiveIntegerField()
    key_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        indexes = [models.Index(fields=["mission"], name="result_visit_mission")]

    def __str__(self) -> str:
        return f"visit {self.visit_id} r{self.revision}"


class ResultCoverage(models.Model):
    """Planned stations, and how many of them were visited, per slice (recomputed each refresh)."""

    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=1, choices=ResultCount.Dim.choices)
    group_id = models.BigIntegerField(default=0)
    planned = models.IntegerField(default=0)
    planned_visited = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mission", "dim", "group_id"], name="result_coverage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dim}{self.group_id}: {self.planned_visited}/{self.planned}"


class ResultState(models.Model):
    """Where the counts of one mission stand: when they were last brought up to date."""

    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="+")
    # Bumped by every refresh that changed something: part of the dashboard's cache key.
    version = models.PositiveBigIntegerField(default=0)
    # The data the counts reflect is the database as of this moment (start of the last refresh).
    as_of = models.DateTimeField(null=True, blank=True)
    # Hash of what the counts depend on besides visits (area tree, station areas, option flags).
    fingerprint = models.CharField(max_length=32, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_changed_visits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"results of mission {self.mission_id} v{self.version}"


class PrivateExportStorage(FileSystemStorage):
    """Exports are personal data: kept outside MEDIA_ROOT, served only through an access-checked view.

    The directory is PRIVATE_MEDIA_ROOT/exports (default: <project>/private/exports), read at
    each use so that tests and deployments can move it.
    """

    @property
    def base_location(self):
        return str(Path(getattr(settings, "PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "private")) / "exports")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def export_storage() -> FileSystemStorage:
    return PrivateExportStorage()


class Export(models.Model):
    class Kind(models.TextChoices):
        VISITS = "visits", _("Visits (one row per visit)")
        RESULTS = "results", _("Results per question")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", _("Excel (XLSX)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(_("content"), max_length=10, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    checklist = models.ForeignKey(
        "polling.Checklist",
        verbose_name=_("checklist"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Team leaders export their own team only; None means the whole mission.
    team = models.ForeignKey(
        "missions.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # For the results table: break down by this area level (1 = largest), or by team when 0.
    breakdown = models.SmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=export_storage, upload_to="%Y/%m/", blank=True, max_length=300)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched at every progress step: a running export whose heartbeat is old is stuck.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="export_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format}) {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def download_name(self) -> str:
        parts = [self.mission.code, self.kind]
        if self.checklist_id:
            parts.append(self.checklist.code)
        if self.team_id:
            parts.append(self.team.name.replace(" ", "-").lower())
        return "-".join(parts) + f"-{self.created_at:%Y%m%d-%H%M}.{self.format}"
