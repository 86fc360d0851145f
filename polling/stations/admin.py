"""Admin of areas, polling stations and station uploads: hand edits go through the services."""

from django.contrib import admin

from polling.models import Area, PollingStation, StationUpload
from polling.stations.importing import station_upload_discard
from polling.stations.importing.service import station_delete, station_save


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("path", "depth", "mission")
    list_filter = ("mission", "depth")
    search_fields = ("path",)
    autocomplete_fields = ("mission", "parent")
    list_select_related = ("mission",)
    readonly_fields = ("path", "depth")
    show_full_result_count = False


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    """176,623 rows for one Nigerian election: no full counts, no dropdowns of areas, searches on the trigram indexes."""

    list_display = ("code", "name", "area", "registered_voters", "mission", "updated_at")
    list_filter = ("mission",)
    search_fields = ("code", "name")
    autocomplete_fields = ("mission", "area")
    list_select_related = ("mission", "area")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False
    list_per_page = 50

    # Hand edits go through the services, so each one is in the mission's audit trail.
    def save_model(self, request, obj, form, change):
        station_save(station=obj, user=request.user, request=request)

    def delete_model(self, request, obj):
        station_delete(station=obj, user=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for station in queryset.select_related("mission", "area"):
            station_delete(station=station, user=request.user, request=request)


@admin.register(StationUpload)
class StationUploadAdmin(admin.ModelAdmin):
    list_display = ("original_name", "mission", "uploaded_by", "created_at")
    list_filter = ("mission",)
    search_fields = ("original_name", "mission__code")
    list_select_related = ("mission", "uploaded_by")
    readonly_fields = ("uuid", "file", "original_name", "mission", "uploaded_by", "created_at")

    def has_add_permission(self, request):
        return False  # uploads come through the import page, which checks the file

    def delete_model(self, request, obj):
        station_upload_discard(upload=obj)

    def delete_queryset(self, request, queryset):
        for upload in queryset:
            station_upload_discard(upload=upload)
