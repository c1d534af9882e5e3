"""Admin for protection cases: only who handles them.

The cases themselves are deliberately not in the admin: they are confidential, and every
read must go through the case pages, which check who may look and log it (Art. 24).
Import this module from members/admin.py.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CaseHandlerDesignation


@admin.register(CaseHandlerDesignation)
class CaseHandlerDesignationAdmin(SimpleHistoryAdmin):
    """Who handles cases above which organization; the history keeps earlier designations.
    A designation is ended (ended_on), never deleted."""

    list_display = ("member", "organization", "started_on", "ended_on", "note")
    list_filter = ("organization__kind",)
    search_fields = ("member__full_name", "organization__name")
    list_select_related = ("member", "organization")
    autocomplete_fields = ("member", "organization")

    def has_delete_permission(self, request, obj=None):
        return False
