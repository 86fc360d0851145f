from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from missions.models import AuditEntry, Invitation, Meeting, Member, Mission, Team, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Member
    fk_name = "user"
    extra = 0
    fields = ("mission", "role", "country", "team", "is_active")
    raw_id_fields = ("team",)
    show_change_link = True


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin for a user who logs in by e-mail and has no username."""

    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "name", "usable_password", "password1", "password2")},
        ),
    )
    list_display = ("email", "name", "is_active", "is_staff", "last_login", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role")
    search_fields = ("email", "name")
    ordering = ("email",)

    def get_inlines(self, request, obj):
        return [MembershipInline] if obj is not None else []


@admin.register(Mission)
class MissionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "country", "election_date", "status", "active_members")
    list_filter = ("status", "country")
    search_fields = ("code", "name", "country", "election", "organization")
    date_hierarchy = "election_date"
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_members=Count("members", filter=Q(members__is_active=True)))
        )

    @admin.display(description=_("active members"), ordering="n_members")
    def active_members(self, mission):
        return mission.n_members


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "mission", "role", "country", "team", "is_active", "joined_at")
    list_filter = ("role", "is_active", "mission")
    search_fields = ("user__email", "user__name", "country", "team__name", "mission__code")
    list_select_related = ("user", "mission", "team")
    autocomplete_fields = ("user", "mission", "team")
    readonly_fields = ("uuid", "joined_at")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "mission", "leader", "planned_stations")
    list_filter = ("mission",)
    search_fields = ("name", "mission__code")
    list_select_related = ("mission", "leader__user")
    autocomplete_fields = ("mission", "leader")
    # A mission may have 176,000 stations: a multi-select of all of them would not load.
    raw_id_fields = ("stations",)
    readonly_fields = ("uuid", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_stations=Count("stations"))

    @admin.display(description=_("planned stations"), ordering="n_stations")
    def planned_stations(self, team):
        return team.n_stations


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are issued in the app, which e-mails the link; the admin shows them and can revoke."""

    list_display = ("email", "mission", "role", "team", "invited_by", "created_at", "expires_at", "state")
    list_filter = (
        "role",
        "mission",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "name", "mission__code")
    list_select_related = ("mission", "team", "invited_by")
    fields = (
        "mission", "email", "name", "role", "country", "team", "invited_by",
        "created_at", "expires_at", "accepted_at", "accepted_by", "revoked_at",
    )  # fmt: skip
    readonly_fields = fields  # token_hash is never shown
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("state"))
    def state(self, invitation):
        if invitation.accepted_at:
            return _("accepted")
        if invitation.revoked_at:
            return _("withdrawn")
        if invitation.is_expired:
            return _("expired")
        return _("pending")

    @admin.action(description=_("Withdraw the selected pending invitations"))
    def revoke(self, request, queryset):
        count = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.message_user(request, _("%(count)d invitation(s) withdrawn.") % {"count": count})


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("date", "counterpart", "title", "category", "mission")
    list_filter = ("category", "mission")
    search_fields = ("counterpart", "title", "notes")
    list_select_related = ("mission",)
    autocomplete_fields = ("mission",)
    date_hierarchy = "date"
    readonly_fields = ("uuid", "created_at", "updated_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read-only: entries are appended by the services and never changed."""

    list_display = ("created_at", "actor_email", "action", "mission_code", "target_repr", "ip_address")
    list_filter = ("action", "mission_code")
    search_fields = ("actor_email", "action", "mission_code", "target_repr", "target_id")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
