from django.contrib import admin

from reports.models import Export, ResultState


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "mission", "kind", "format", "status", "progress", "rows", "requested_by"]
    list_filter = ["status", "kind", "format"]
    readonly_fields = [
        "uuid",
        "file",
        "rows",
        "progress",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "attempts",
    ]


@admin.register(ResultState)
class ResultStateAdmin(admin.ModelAdmin):
    """Where each mission's dashboard counts stand; clearing the fingerprint forces a rebuild."""

    list_display = ["mission", "version", "as_of", "last_duration_ms", "last_changed_visits"]
    readonly_fields = ["version", "as_of", "last_duration_ms", "last_changed_visits"]
