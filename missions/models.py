"""Missions, their members, teams, invitations and pre-election meetings."""

import hashlib
import secrets
import uuid
import zoneinfo
from datetime import timedelta, tzinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

AREA_LEVEL_SEPARATOR = " > "


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with an e-mail address; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("full name"), max_length=200, blank=True)
    # One of settings.LANGUAGES, chosen from the language menu; empty: the browser's language decides.
    language = models.CharField(_("language"), max_length=10, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


mission_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,39}$",
    _("Use 2 to 40 lower-case letters, digits and hyphens, starting with a letter or digit."),
)


@cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA time zones this machine knows (tzdata), sorted: what a mission's time zone may be."""
    return tuple(sorted(zoneinfo.available_timezones() - {"Factory", "localtime"}))


def validate_time_zone(name: str) -> None:
    if name not in time_zone_names():
        raise ValidationError(
            _("%(name)s is not a time zone. Use an IANA name such as Asia/Baku or Europe/Tirane."),
            code="invalid_time_zone",
            params={"name": name},
        )


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Mission(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", _("Set-up")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    code = models.CharField(
        _("short code"),
        max_length=40,
        unique=True,
        validators=[mission_code_validator],
        help_text=_("Used in addresses and commands, e.g. ots-az-2024."),
    )
    name = models.CharField(_("name of the mission"), max_length=255)
    organization = models.CharField(_("observing organisation"), max_length=255)
    election = models.CharField(_("election"), max_length=255)
    country = models.CharField(_("country"), max_length=100)
    election_date = models.DateField(_("election date"))
    observation_start = models.DateField(_("observation starts"))
    observation_end = models.DateField(_("observation ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SETUP)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_(
            "The country's local time: every time of the mission (visits, incidents, meetings, the "
            "dashboard's hours, the statement) is shown in it."
        ),
    )
    area_levels = models.JSONField(
        _("area levels"),
        default=list,
        help_text=_("Names of the administrative levels, largest first, e.g. Region > City."),
    )
    statement_level = models.PositiveSmallIntegerField(
        _("statement level"),
        default=1,
        help_text=_("The area level (1 = largest) by which the statement names places."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-election_date", "name"]
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(observation_end__gte=models.F("observation_start")),
                name="mission_observation_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("missions:detail", kwargs={"code": self.code})

    def clean(self) -> None:
        errors = {}
        if self.observation_start and self.observation_end and self.observation_end < self.observation_start:
            errors["observation_end"] = _("The observation period cannot end before it starts.")
        if (
            self.election_date
            and self.observation_start
            and self.observation_end
            and not (self.observation_start <= self.election_date <= self.observation_end)
        ):
            errors["election_date"] = _("The election date must fall within the observation period.")
        levels = self.area_levels or []
        if self.statement_level and levels and self.statement_level > len(levels):
            errors["statement_level"] = _("The statement level must be one of the mission's area levels.")
        if errors:
            raise ValidationError(errors)

    @property
    def area_levels_display(self) -> str:
        return AREA_LEVEL_SEPARATOR.join(self.area_levels or [])

    @property
    def statement_level_name(self) -> str:
        levels = self.area_levels or []
        if 1 <= self.statement_level <= len(levels):
            return levels[self.statement_level - 1]
        return ""

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def tzinfo(self) -> tzinfo:
        """The mission's time zone (the deployment's TIME_ZONE for a name this machine no longer knows)."""
        return _zone(self.time_zone)

    def local_time(self):
        """A context manager: times shown inside it are in the mission's time zone (for tasks and commands;
        a request to the mission's pages has it active already, see missions.access)."""
        return timezone.override(self.tzinfo)


@cache
def _zone(name: str) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class Role(models.TextChoices):
    SECRETARIAT = "secretariat", _("Secretariat")
    HEAD_OF_MISSION = "head_of_mission", _("Head of mission")
    TEAM_LEADER = "team_leader", _("Team leader")
    OBSERVER = "observer", _("Observer")


# Roles that may change the mission's set-up (members, teams, stations, meetings).
SETUP_ROLES = frozenset({Role.SECRETARIAT, Role.HEAD_OF_MISSION})


class Team(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    leader = models.ForeignKey(
        "Member",
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    stations = models.ManyToManyField(
        "polling.PollingStation",
        verbose_name=_("planned polling stations"),
        related_name="planned_by_teams",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint("mission", Lower("name"), name="team_name_unique_in_mission")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("missions:team_detail", kwargs={"code": self.mission.code, "team": self.uuid})


class Member(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    country = models.CharField(
        _("country or delegation"),
        max_length=100,
        blank=True,
        help_text=_("The member state or delegation this person represents."),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "user__name", "user__email"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [models.UniqueConstraint(fields=["mission", "user"], name="member_once_per_mission")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def can_change_setup(self) -> bool:
        return self.role in SETUP_ROLES

    @property
    def sees_all_teams(self) -> bool:
        return self.role in SETUP_ROLES


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring link that lets one e-mail address join a mission.

    Only a hash of the token is stored: a database leak does not hand out working links.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    country = models.CharField(_("country or delegation"), max_length=100, blank=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True)
    # The language of the e-mail and of the invitee's account (one of settings.LANGUAGES).
    language = models.CharField(_("language"), max_length=10, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.mission.code}"

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    def issue_token(self) -> str:
        """Give the invitation a fresh secret token; returns the token (shown once, in the e-mail)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = _hash_token(token)
        self.expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
        return token

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class Meeting(models.Model):
    class Category(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        ELECTION_ADMINISTRATION = "election_administration", _("Election administration")
        CANDIDATES = "candidates", _("Candidates and parties")
        INTERNATIONAL_OBSERVERS = "international_observers", _("International observers")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        MEDIA = "media", _("Media")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    counterpart = models.CharField(_("counterpart"), max_length=255, help_text=_("e.g. H.E. Jeyhun Bayramov"))
    title = models.CharField(
        _("title"), max_length=255, blank=True, help_text=_("e.g. Minister of Foreign Affairs")
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "created_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.date}: {self.counterpart_with_title}"

    @property
    def counterpart_with_title(self) -> str:
        return f"{self.counterpart}, {self.title}" if self.title else self.counterpart


class AuditEntry(models.Model):
    """One line of the append-only audit trail.

    Each entry stores the SHA-256 of the entry before it, so editing or deleting
    any entry breaks the chain, which `manage.py verify_audit` detects. On
    PostgreSQL a trigger refuses UPDATE and DELETE on this table outright.
    The mission and actor are kept without foreign-key constraints (and copied as
    text) so that the trail outlives what it describes.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    mission = models.ForeignKey(
        Mission, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    mission_code = models.CharField(max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=200, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["mission", "-id"], name="audit_mission_recent")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_email or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")
