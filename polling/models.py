"""Polling stations and the administrative areas they sit in."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from missions.models import AREA_LEVEL_SEPARATOR, Mission


class Area(models.Model):
    """One node of a mission's administrative hierarchy (any depth).

    `path` is the full name from the largest level down ("Baku > Nasimi"); it is
    unique in a mission, so imports find an area with one indexed lookup and a
    subtree is every area whose path equals or starts with "<path> > ".
    """

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="areas")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(_("name"), max_length=200)
    depth = models.PositiveSmallIntegerField(_("level"), help_text=_("1 = the largest level"))
    path = models.CharField(_("path"), max_length=1000)

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [models.UniqueConstraint(fields=["mission", "path"], name="area_path_unique_in_mission")]
        indexes = [models.Index(fields=["mission", "depth", "name"], name="area_mission_depth_name")]

    def __str__(self) -> str:
        return self.path

    @property
    def names(self) -> list[str]:
        return self.path.split(AREA_LEVEL_SEPARATOR)

    def level_name(self) -> str:
        levels = self.mission.area_levels or []
        return levels[self.depth - 1] if self.depth <= len(levels) else ""

    def ancestor_at(self, depth: int) -> str:
        """The name of this area's ancestor (or itself) at the given depth, '' if shallower."""
        names = self.names
        return names[depth - 1] if 1 <= depth <= len(names) else ""


class PollingStation(models.Model):
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="stations")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=500, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, null=True, blank=True, related_name="stations"
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    registered_voters = models.PositiveIntegerField(_("registered voters"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        constraints = [
            models.UniqueConstraint(fields=["mission", "code"], name="station_code_unique_in_mission"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="station_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="station_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["mission", "area"], name="station_mission_area")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("polling:station_detail", kwargs={"code": self.mission.code, "station": self.code})


class StationUpload(models.Model):
    """A station file waiting between upload and the column-mapping step.

    The file is kept on disk (not in the session) so a 25 MB list survives the
    round trip; it is deleted once imported or discarded.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="station_uploads")
    file = models.FileField(upload_to="station-uploads/%Y/%m/")
    original_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("station upload")
        verbose_name_plural = _("station uploads")

    def __str__(self) -> str:
        return self.original_name
