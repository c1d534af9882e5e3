from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import (
    AuditEntry,
    Member,
    Notification,
    Organization,
    OrganizationKind,
    Position,
    Transfer,
)


class KeptRecordAdmin:
    """Admin mixin for records with attendance, ballots or decisions: never deleted here (no
    delete button, no "delete selected" action; a direct delete URL answers 403). They are
    voided or cancelled with a reason through the app, which keeps them in the history."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(TreeAdmin, SimpleHistoryAdmin):
    form = movenodeform_factory(Organization)
    list_display = ("name", "kind", "code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        # Organizations are retired with is_active. Deleting would also list the records
        # that protect them (confidential protection cases among them) on the admin's page.
        return False


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = ("full_name", "gender", "status", "branch", "group", "joined_on", "phone")
    list_filter = ("status", "gender", "education")
    search_fields = ("full_name", "phone", "email", "branch__name")
    list_select_related = ("branch", "group")
    autocomplete_fields = ("branch", "group", "account")
    inlines = [PositionInline]
    date_hierarchy = "joined_on"

    def has_delete_permission(self, request, obj=None):
        # Members leave by transfer or status, never by deletion (which would also list their
        # confidential protection cases on the confirmation page).
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A member's relationship is held by a branch, and their group is a group.
        kinds = {"branch": OrganizationKind.BRANCH, "group": OrganizationKind.GROUP}
        if db_field.name in kinds:
            kwargs["queryset"] = Organization.objects.filter(kind=kinds[db_field.name])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Position)
class PositionAdmin(SimpleHistoryAdmin):
    list_display = ("member", "organization", "role", "started_on", "ended_on")
    list_filter = ("role", "organization__kind")
    search_fields = ("member__full_name", "organization__name")
    list_select_related = ("member", "organization")
    autocomplete_fields = ("member", "organization")

    def has_delete_permission(self, request, obj=None):
        # A position ends (ended_on); deleting it would rewrite who could see what.
        return False


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ("member", "from_organization", "to_organization", "transferred_on")
    list_filter = ("transferred_on", "to_organization__kind")
    search_fields = ("member__full_name",)
    list_select_related = ("member", "from_organization", "to_organization")
    autocomplete_fields = ("member", "from_organization", "to_organization")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "due_date", "email_state", "read_at")
    list_filter = ("kind", "email_state")
    search_fields = ("title", "recipient__full_name")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)

    # Protection-case notices would tell the site admin which members have a case (Art. 24):
    # they are left out of the list, its search, its filters and its object pages.
    CONFIDENTIAL_KIND_PREFIX = "protection."

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(kind__startswith=self.CONFIDENTIAL_KIND_PREFIX)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("action", "object_id", "actor__username")
    list_select_related = ("actor", "object_type")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


from .channels import admin as _channels_admin  # noqa: E402, F401
from .protection import admin as _protection_admin  # noqa: E402, F401
