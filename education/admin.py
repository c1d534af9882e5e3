from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from members.admin import KeptRecordAdmin
from members.readonly_admin import ReadOnlyInline

from . import summaries
from .models.calendar import CalendarFeed
from .models.makeups import Makeup, MakeupEvidence
from .models.org_settings import ComplianceCadence, HoursRequirement, ReminderSettings
from .models.sessions import REGULAR_KINDS, Attendance, Material, Session


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    can_delete = False
    raw_id_fields = ("member",)
    fields = ("member", "status", "hours", "checked_in_at", "note")


class MaterialInline(ReadOnlyInline):
    model = Material
    # Materials are added on the session page (checked by content, random names).
    fields = ("title", "original_name", "size")
    can_delete = True


class MakeupEvidenceInline(ReadOnlyInline):
    model = MakeupEvidence
    # Added with the make-up by its member (checked by content, random name).
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(Session)
class SessionAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = ("title", "organization", "kind", "starts_at", "hours", "state")
    list_filter = ("state", "kind")
    search_fields = ("title", "organization__name", "lecturer")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    filter_horizontal = ("branches",)
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline, MaterialInline]

    # Edits here bypass services.py: keep the summaries (summaries.py) right all the same.
    def save_model(self, request, obj, form, change):
        old = Session.objects.filter(pk=obj.pk).first() if change else None
        obj._old_starts_at = old.starts_at if old else None
        obj._old_branch_ids = list(old.branches.values_list("pk", flat=True)) if old else []
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        summaries.refresh_session(
            obj,
            old_starts_at=getattr(obj, "_old_starts_at", None),
            old_branch_ids=getattr(obj, "_old_branch_ids", ()),
        )


class MemberRecordAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    """A member's record about a session (attendance, make-up study): kept, with history."""

    list_select_related = ("member", "session")
    raw_id_fields = ("member", "session")


@admin.register(Attendance)
class AttendanceAdmin(MemberRecordAdmin):
    list_display = ("member", "session", "status", "hours", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("member__full_name", "session__title")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        summaries.refresh_members([obj.member_id], summaries.years_of(obj.session.starts_at))


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("title", "session", "size", "uploaded_at")
    search_fields = ("title", "session__title")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    # Files come in through the session page only (members.uploads checks them).
    readonly_fields = ("file", "original_name", "content_type", "size", "uploaded_by")

    def has_add_permission(self, request):
        return False


@admin.register(Makeup)
class MakeupAdmin(MemberRecordAdmin):
    list_display = ("member", "studied_on", "hours", "state", "session")
    list_filter = ("state",)
    search_fields = ("member__full_name", "description")
    inlines = [MakeupEvidenceInline]

    def save_model(self, request, obj, form, change):
        old = Makeup.objects.filter(pk=obj.pk).values_list("studied_on", flat=True).first()
        super().save_model(request, obj, form, change)
        years = {obj.studied_on.year} | ({old.year} if old else set())
        summaries.refresh_members([obj.member_id], years)


class OrganizationSettingsAdmin(admin.ModelAdmin):
    """A row an organization sets for those below it, found and chosen by organization."""

    search_fields = ("organization__name",)
    autocomplete_fields = ("organization",)


@admin.register(HoursRequirement)
class HoursRequirementAdmin(OrganizationSettingsAdmin):
    list_display = ("organization", "year", "member_hours", "leader_hours")
    list_filter = ("year",)


@admin.register(ComplianceCadence)
class ComplianceCadenceAdmin(OrganizationSettingsAdmin):
    # One column a regular meeting kind (the fields are named after the kinds).
    list_display = ("organization", *(str(kind) for kind in REGULAR_KINDS))


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(OrganizationSettingsAdmin):
    list_display = (
        "organization",
        "session_reminders",
        "session_lead_days",
        "hours_nudges",
        "meeting_digests",
    )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("member", "created_at", "revoked_at")
    search_fields = ("member__full_name",)
    raw_id_fields = ("member",)
    readonly_fields = ("token",)
