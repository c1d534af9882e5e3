"""Sessions waiting to be recorded: planned sessions that have ended but were never recorded
as held, for the people who should close them (the secretary's dashboard)."""

from django.db.models import Q
from django.utils import timezone

from members.permissions import scope_for

from .models.sessions import Session, SessionState


def _recorded_by(user):
    """Q over the sessions the user should record, or None when they record none."""
    scope = scope_for(user)
    if not (scope.led_branch_paths or scope.organizer_paths):
        return None
    q = Q(pk__in=[])
    for path in scope.led_branch_paths:
        q |= Q(organization__path__startswith=path)
    for path in scope.organizer_paths:
        q |= Q(organization__path=path)
    return q


def sessions_to_record(user, *, limit=5, now=None):
    """{"sessions": [...], "count": n}: ended, still planned sessions held by the branches the
    user leads (with their groups) or by the organizations where they are organizer. Until
    check-in is closed or the session is logged, nobody's hours count. Two queries at most."""
    q = _recorded_by(user)
    if q is None:
        return {"sessions": [], "count": 0}
    qs = Session.objects.filter(q, state=SessionState.PLANNED, ends_at__lt=now or timezone.now())
    sessions = list(qs.select_related("organization").order_by("-ends_at", "-pk")[:limit])
    count = len(sessions) if len(sessions) < limit else qs.count()
    return {"sessions": sessions, "count": count}
