from django.core.cache import cache
from django.utils.functional import cached_property

from members.caching import quietly
from members.models import Notification
from members.permissions import scope_for
from members.services import UNREAD_TIMEOUT, unread_key


class UnreadCount:
    """The header's unread badge: counted at most once per page, only if rendered, and kept
    in the cache until the member's notifications change (members.services.unread_changed)."""

    def __init__(self, member_id):
        self.member_id = member_id

    @cached_property
    def count(self):
        if not self.member_id:
            return 0
        key = unread_key(self.member_id)
        kept = quietly(lambda: cache.get(key))
        if kept is not None:
            return kept
        n = Notification.objects.filter(recipient_id=self.member_id, read_at__isnull=True).count()
        quietly(lambda: cache.set(key, n, UNREAD_TIMEOUT))
        return n


def navigation(request):
    """What the header needs: the user's reach (for menu items) and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"nav_scope": scope, "nav_unread": UnreadCount(scope.member_id)}
