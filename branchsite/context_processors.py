from members.permissions import scope_for, unread_notification_count


def navigation(request):
    """What the header needs: the user's reach (for menu items) and the unread count, both
    read by the scope's one query. `nav` holds the menus' conditions, decided once here: a
    dict is the cheapest lookup in a template, and every page's menus test them some twenty
    times."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "nav_scope": scope,
        "nav_unread": unread_notification_count(user),
        "nav": {
            "member": bool(scope.member_id),
            # Leads a branch or more: the branch-work entries (roster, sessions, hours).
            "leads": scope.is_branch_leader or scope.is_organizer or scope.is_admin,
            # Organizes a subtree: the organizer entries (organizations, rollups).
            "organizes": scope.is_organizer or scope.is_admin,
        },
    }
