"""Template tags for sessions waiting to be recorded (the dashboard's reminder to close them)."""

from django import template

from .. import recording_selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def sessions_to_record(context, limit=5):
    """Ended sessions still waiting to be recorded, for the signed-in user (see
    recording_selectors.sessions_to_record); empty for anonymous users."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"sessions": [], "count": 0}
    return recording_selectors.sessions_to_record(user, limit=limit)
