from django.utils.functional import cached_property

from members.models import Notification
from members.permissions import scope_for


class UnreadCount:
    """The header's unread badge: counted at most once per page, and only if rendered."""

    def __init__(self, member_id):
        self.member_id = member_id

    @cached_property
    def count(self):
        if not self.member_id:
            return 0
        return Notification.objects.filter(
            recipient_id=self.member_id, read_at__isnull=True
        ).count()


def navigation(request):
    """What the header needs: the user's reach (for menu items) and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"nav_scope": scope, "nav_unread": UnreadCount(scope.member_id)}
