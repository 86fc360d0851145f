"""Polling stations and the administrative areas they sit in."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
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
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200)
    depth = models.PositiveSmallIntegerField(_("level"), help_text=_("1 = the largest level"))
    path = models.CharField(_("path"), max_length=1000)

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(fields=["mission", "path"], name="area_path_unique_in_mission")
        ]
        indexes = [models.Index(fields=["mission", "depth", "name"], name="area_mission_depth_name")]

    def __str__(self) -> str:
        return self.path

    @property
    def names(self) -> list[str]:
        return self.path.split(AREA_LEVEL_SEPARATOR)

    @staticmethod
    def subtree(path: str, prefix: str = "") -> models.Q:
        """The area at `path` and every area under it; `prefix` is the lookup that leads to the area
        ("area__" from a station, "station__area__" from a visit). "Baku" does not take "Bakuvia"."""
        return models.Q(**{f"{prefix}path": path}) | models.Q(
            **{f"{prefix}path__startswith": path + AREA_LEVEL_SEPARATOR}
        )

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
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
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


# ---------------------------------------------------------------------------
# Checklists: what observers answer. A checklist has versions; a version's
# questions never change once a visit has been filed against it (editing then
# makes a new version). Questions keep their `code` across versions, and
# results are compared by code.
# ---------------------------------------------------------------------------

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
    _("Use up to 40 letters, digits, dots, hyphens and underscores, starting with a letter or digit."),
)


class Checklist(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="checklists")
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("open for filing"), default=True)
    current_version = models.ForeignKey(
        "ChecklistVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        constraints = [
            models.UniqueConstraint(fields=["mission", "code"], name="checklist_code_unique_in_mission")
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["checklist", "-number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [
            models.UniqueConstraint(fields=["checklist", "number"], name="checklist_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.checklist} v{self.number}"

    @property
    def has_visits(self) -> bool:
        return self.visits.exists()

    def definition(self) -> dict:
        """The version as the filing page and the server validator see it (plain JSON types)."""
        questions = self.questions.prefetch_related("options").select_related("show_if_question")
        return {
            "checklist": self.checklist.code,
            "name": self.checklist.name,
            "version": self.number,
            "version_id": self.pk,
            "questions": [q.definition() for q in questions],
        }


class Question(models.Model):
    class Type(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        NUMBER = "number", _("Number")
        TEXT = "text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        TIME = "time", _("Time")
        RATING = "rating", _("Rating")

    CHOICE_TYPES = frozenset({Type.YES_NO, Type.SINGLE, Type.MULTIPLE, Type.RATING})

    version = models.ForeignKey(ChecklistVersion, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    section = models.CharField(_("section"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.TextField(_("help text"), blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=12, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=12, decimal_places=2, null=True, blank=True)
    show_if_question = models.ForeignKey(
        "self",
        verbose_name=_("show only if question"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependents",
    )
    show_if_value = models.CharField(_("has the answer"), max_length=100, blank=True)
    finding_none = models.TextField(
        _("statement when no visit reported a flagged answer"),
        blank=True,
        help_text=_("e.g. The Mission did not identify any campaign materials in the polling stations."),
    )
    finding_some = models.TextField(
        _("statement when some visits did"),
        blank=True,
        help_text=_("Placeholders: {count}, {total}, {percent}."),
    )

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="question_code_unique_in_version")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.text}"

    @property
    def has_options(self) -> bool:
        return self.type in self.CHOICE_TYPES

    def definition(self) -> dict:
        return {
            "code": self.code,
            "section": self.section,
            "text": self.text,
            "type": self.type,
            "required": self.required,
            "help_text": self.help_text,
            "min": float(self.min_value) if self.min_value is not None else None,
            "max": float(self.max_value) if self.max_value is not None else None,
            "show_if": (
                {"question": self.show_if_question.code, "equals": self.show_if_value}
                if self.show_if_question_id
                else None
            ),
            "options": [o.definition() for o in self.options.all()],
        }


class Option(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        SERIOUS = "serious", _("Serious")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveIntegerField(_("order"), default=0)
    value = models.CharField(_("value"), max_length=100)
    label = models.CharField(_("label"), max_length=500)
    flagged = models.BooleanField(_("flagged as an irregularity"), default=False)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    negative = models.BooleanField(
        _("negative assessment"), default=False, help_text=_("For ratings: counts as a negative assessment.")
    )

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="option_value_unique_in_question")
        ]

    def __str__(self) -> str:
        return self.label

    def definition(self) -> dict:
        return {
            "value": self.value,
            "label": self.label,
            "flagged": self.flagged,
            "severity": self.severity,
            "negative": self.negative,
        }


# ---------------------------------------------------------------------------
# Election day: visits, their answers and history, incidents.
# ---------------------------------------------------------------------------


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    OFFLINE = "offline", _("Sent after being offline")
    IMPORT = "import", _("Bulk import")
    BUNDLE = "bundle", _("Mission bundle")
    ADMIN = "admin", _("Administration")


class Assessment(models.TextChoices):
    VERY_GOOD = "very_good", _("Very good")
    GOOD = "good", _("Good")
    BAD = "bad", _("Bad")
    VERY_BAD = "very_bad", _("Very bad")


class Visit(models.Model):
    class Review(models.TextChoices):
        PENDING = "pending", _("Not reviewed")
        REVIEWED = "reviewed", _("Reviewed")
        FOLLOW_UP = "follow_up", _("Flagged for follow-up")

    # Generated by the browser when the form is opened: submitting twice cannot make two visits.
    uuid = models.UUIDField(unique=True)
    # Every filing adds an entry to each of the table's indexes, so it has none that another one covers:
    # the mission's key is the first column of the three composite indexes below, and the reviewer's is
    # indexed only where it is set (most visits have no reviewer yet).
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="visits", db_index=False)
    checklist_version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="visits")
    station = models.ForeignKey(PollingStation, on_delete=models.PROTECT, related_name="visits")
    observer = models.ForeignKey("missions.Member", on_delete=models.PROTECT, related_name="visits")
    team = models.ForeignKey(
        "missions.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="visits"
    )
    arrived_at = models.DateTimeField(_("arrival"))
    departed_at = models.DateTimeField(_("departure"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    assessment = models.CharField(
        _("overall assessment"), max_length=10, choices=Assessment.choices, blank=True
    )
    # SHA-256 of the canonical submitted content: the same UUID with other content is a conflict.
    content_hash = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(default=1)
    review_status = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["mission", "team"], name="visit_mission_team"),
            models.Index(fields=["mission", "station"], name="visit_mission_station"),
            models.Index(fields=["mission", "arrived_at"], name="visit_mission_arrived"),
            # For deleting a user (SET NULL): `reviewed_by_id IN (...)` implies the condition.
            models.Index(
                fields=["reviewed_by"],
                name="visit_reviewed_by",
                condition=models.Q(reviewed_by__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(departed_at__isnull=True)
                | models.Q(departed_at__gte=models.F("arrived_at")),
                name="visit_departure_after_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} @ {self.arrived_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    """One answer; a multiple-choice answer is one row per chosen option.

    Choice answers point at their option so results are counted with one GROUP BY;
    numbers go to `number`, text and times to `text`.
    """

    # No foreign-key constraints in the database (Django still cascades a visit's deletion to its answers
    # and refuses to delete an answered question or option: on_delete is enforced by the ORM). A filing
    # writes 40-odd answers, and PostgreSQL ran a key check per row and per key, each locking the row it
    # found: for the question and option, rows every concurrent filing locks too; for the visit, a
    # locked and WAL-logged row per answer (bench/submit_visits.py measures the filing's database CPU). Answers are written only with their visit: in observa_file_visit() (the visit's own
    # transaction), by a correction holding the visit's row lock, and by the imports, which validate
    # every answer against its checklist version; a version that has visits is never edited.
    # answer_once leads with the visit (the visit's answers) and answer_question_option with the
    # question (results), so the visit and question keys have no index of their own; the option's has
    # one (deleting an option looks for its answers).
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="answers", db_constraint=False, db_index=False
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", db_constraint=False, db_index=False
    )
    option = models.ForeignKey(
        Option,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        db_constraint=False,
    )
    number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["question", "option"], name="answer_question_option")]
        constraints = [
            # One row per question, and per chosen option of a multiple-choice question: one index for
            # both (option ids start at 1), which also serves every lookup of a visit's answers.
            models.UniqueConstraint("visit", "question", Coalesce("option", 0), name="answer_once"),
        ]


class VisitRevision(models.Model):
    """Every saved state of a visit: who, when, through which channel, and what changed."""

    # visit_revision_unique (visit, number) serves the visit's revisions: no index of its own.
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="revisions", db_index=False)
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    content = models.JSONField(help_text="The visit's full content after this change.")
    changes = models.JSONField(default=dict, help_text="field/question -> [before, after]")

    class Meta:
        ordering = ["visit", "number"]
        constraints = [models.UniqueConstraint(fields=["visit", "number"], name="visit_revision_unique")]


class Incident(models.Model):
    class Category(models.TextChoices):
        VIOLENCE = "violence", _("Violence or intimidation")
        OBSTRUCTION = "obstruction", _("Observers obstructed")
        BALLOT_STUFFING = "ballot_stuffing", _("Ballot stuffing")
        MULTIPLE_VOTING = "multiple_voting", _("Multiple voting")
        VOTE_BUYING = "vote_buying", _("Vote buying")
        CAMPAIGNING = "campaigning", _("Campaigning near the station")
        UNAUTHORISED_PERSONS = "unauthorised_persons", _("Unauthorised persons present")
        PROCEDURE = "procedure", _("Serious procedural violation")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(unique=True)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="incidents")
    station = models.ForeignKey(PollingStation, on_delete=models.PROTECT, related_name="incidents")
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    observer = models.ForeignKey("missions.Member", on_delete=models.PROTECT, related_name="incidents")
    team = models.ForeignKey(
        "missions.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    occurred_at = models.DateTimeField(_("time"))
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    description = models.TextField(_("description"))
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["mission", "created_at"], name="incident_mission_created")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} @ {self.station}"
