from members.permissions import scope_for, unread_notification_count


def navigation(request):
    """What the header needs: the user's reach (for menu items) and the unread count, both
    read by the scope's one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_scope": scope_for(user), "nav_unread": unread_notification_count(user)}
