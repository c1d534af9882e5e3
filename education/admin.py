from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Attendance,
    CalendarFeed,
    ComplianceCadence,
    HoursRequirement,
    Makeup,
    Material,
    ReminderSettings,
    Session,
)


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ("member",)
    fields = ("member", "status", "hours", "checked_in_at", "note")


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ("title", "file", "size")
    readonly_fields = ("size",)


@admin.register(Session)
class SessionAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organization", "kind", "starts_at", "hours", "state")
    list_filter = ("state", "kind")
    search_fields = ("title", "organization__name", "lecturer")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    filter_horizontal = ("branches",)
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline, MaterialInline]


@admin.register(Attendance)
class AttendanceAdmin(SimpleHistoryAdmin):
    list_display = ("member", "session", "status", "hours", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("member__full_name", "session__title")
    list_select_related = ("member", "session")
    raw_id_fields = ("member", "session")


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("title", "session", "size", "uploaded_at")
    search_fields = ("title", "session__title")
    list_select_related = ("session",)
    raw_id_fields = ("session",)


@admin.register(Makeup)
class MakeupAdmin(SimpleHistoryAdmin):
    list_display = ("member", "studied_on", "hours", "state", "session")
    list_filter = ("state",)
    search_fields = ("member__full_name", "description")
    list_select_related = ("member", "session")
    raw_id_fields = ("member", "session")


@admin.register(HoursRequirement)
class HoursRequirementAdmin(admin.ModelAdmin):
    list_display = ("organization", "year", "member_hours", "leader_hours")
    list_filter = ("year",)
    search_fields = ("organization__name",)
    autocomplete_fields = ("organization",)


@admin.register(ComplianceCadence)
class ComplianceCadenceAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "party_lecture",
        "theme_day",
    )
    search_fields = ("organization__name",)
    autocomplete_fields = ("organization",)


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "session_reminders",
        "session_lead_days",
        "hours_nudges",
        "meeting_digests",
    )
    search_fields = ("organization__name",)
    autocomplete_fields = ("organization",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("member", "created_at", "revoked_at")
    search_fields = ("member__full_name",)
    raw_id_fields = ("member",)
    readonly_fields = ("token",)
