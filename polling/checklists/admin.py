"""Checklists in the Django admin, for looking and for repairs; building happens in the app.

A version that visits were filed against is read-only here too: changing it would change what those
visits answered. Import this module from polling/admin.py.
"""

from django.contrib import admin

from polling.models import Checklist, ChecklistVersion, Option, Question


class _FiledIsReadOnly:
    """No changes to questions and options of a version with visits."""

    def _version_of(self, obj):
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._version_of(obj).has_visits:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._version_of(obj).has_visits:
            return False
        return super().has_delete_permission(request, obj)


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["order", "value", "label", "flagged", "severity", "negative"]

    def _filed(self, obj):
        return obj is not None and obj.version.has_visits

    def has_change_permission(self, request, obj=None):
        return not self._filed(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._filed(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._filed(obj) and super().has_delete_permission(request, obj)


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "mission", "current_version", "is_active", "order"]
    list_filter = ["is_active", "mission"]
    search_fields = ["code", "name", "mission__code", "mission__name"]
    list_select_related = ["mission", "current_version"]
    readonly_fields = ["uuid", "mission", "code", "current_version", "created_at"]
    fields = [
        "uuid",
        "mission",
        "code",
        "name",
        "description",
        "order",
        "is_active",
        "current_version",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # a checklist is made in the app, with its first version


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ["checklist", "number", "created_at", "created_by"]
    list_filter = ["checklist__mission"]
    list_select_related = ["checklist", "created_by"]
    readonly_fields = ["checklist", "number", "created_at", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # visits point at versions; a checklist is deleted as a whole


@admin.register(Question)
class QuestionAdmin(_FiledIsReadOnly, admin.ModelAdmin):
    list_display = ["code", "text", "type", "required", "version"]
    list_filter = ["type", "version__checklist__mission"]
    search_fields = ["code", "text", "version__checklist__code"]
    list_select_related = ["version__checklist"]
    raw_id_fields = ["version", "show_if_question"]
    inlines = [OptionInline]

    def _version_of(self, obj):
        return obj.version

    def has_add_permission(self, request):
        return False  # questions are added in the builder, which keeps versions right
