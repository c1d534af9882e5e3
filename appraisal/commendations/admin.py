"""Admin for commendations; the appraisal app's admin.py imports this module."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from members.admin import KeptRecordAdmin
from members.readonly_admin import ReadOnlyInline

from .models import Commendation, CommendationDocument


class CommendationDocumentInline(ReadOnlyInline):
    model = CommendationDocument
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")


@admin.register(Commendation)
class CommendationAdmin(KeptRecordAdmin, SimpleHistoryAdmin):
    list_display = (
        "__str__",
        "title",
        "awarding_organization",
        "awarded_on",
        "status",
    )
    list_filter = ("status", "title")
    search_fields = ("member__full_name", "organization__name", "reason", "title_detail")
    list_select_related = ("member", "organization", "awarding_organization")
    autocomplete_fields = ("member", "organization", "home_organization", "awarding_organization")
    date_hierarchy = "awarded_on"
    readonly_fields = ("proposed_by", "decided_by", "published_by")
    inlines = [CommendationDocumentInline]
