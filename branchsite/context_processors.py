from members.models import Notification
from members.permissions import scope_for


def navigation(request):
    """What the header needs: the user's reach (for menu items) and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)

    def unread():
        if not scope.member_id:
            return 0
        return Notification.objects.filter(
            recipient_id=scope.member_id, read_at__isnull=True
        ).count()

    # Lazy: pages that do not render the header (exports, feeds) pay no query.
    return {"nav_scope": scope, "nav_unread": unread}
