"""Admin for election-day data: read-only, because every change to a visit must go through the services
(polling/visits.py), which keep the revision history and the content hash that duplicates are checked against."""

from django.contrib import admin

from polling.models import Answer, Incident, Visit, VisitRevision


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question", "option", "number", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question", "option")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = (
        "station",
        "arrived_at",
        "observer",
        "team",
        "checklist_version",
        "review_status",
        "revision",
    )
    list_filter = ("mission", "review_status", "checklist_version__checklist")
    search_fields = ("uuid", "station__code", "observer__user__email")
    list_select_related = ("station", "observer__user", "team", "checklist_version__checklist")
    date_hierarchy = "arrived_at"
    show_full_result_count = False
    inlines = [AnswerInline]


@admin.register(VisitRevision)
class VisitRevisionAdmin(ReadOnlyAdmin):
    list_display = ("visit", "number", "user", "channel", "created_at")
    list_filter = ("channel", "visit__mission")
    search_fields = ("visit__uuid",)
    list_select_related = ("visit__station", "user")
    show_full_result_count = False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("category", "station", "occurred_at", "observer", "team", "created_at")
    list_filter = ("mission", "category")
    search_fields = ("uuid", "station__code", "description")
    list_select_related = ("station", "observer__user", "team")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
