"""Admin views of the channels: robots (secrets never shown) and deliveries (read only)."""

from django.contrib import admin

from .models import BranchChannel, Delivery


@admin.register(BranchChannel)
class BranchChannelAdmin(admin.ModelAdmin):
    list_display = ("organization", "kind", "is_enabled", "broken_at", "updated_at")
    list_filter = ("kind", "is_enabled")
    search_fields = ("organization__name",)
    raw_id_fields = ("organization", "updated_by")
    exclude = ("secret",)
    readonly_fields = ("broken_at", "broken_reason", "updated_by")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "channel", "kind", "state", "attempts")
    list_filter = ("state", "channel")
    list_select_related = ("organization",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Delivery._meta.fields]
