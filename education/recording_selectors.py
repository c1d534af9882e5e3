"""Sessions waiting to be recorded: planned sessions that have ended but were never recorded
as held, for the people who should close them (the secretary's dashboard)."""

from django.db.models import CharField, DateTimeField, Q
from django.utils import timezone

from members.compiled import Param, compiled_queryset, param_items
from members.permissions import scope_for

from .models.sessions import Session, SessionState


def _recorded_by(led_paths, organizer_paths):
    """Q over the sessions of the branches at `led_paths` (with their groups) and of the
    organizations at `organizer_paths` (values, or Params of a compiled queryset)."""
    q = Q(pk__in=[])
    for path in led_paths:
        q |= Q(organization__path__startswith=path)
    for path in organizer_paths:
        q |= Q(organization__path=path)
    return q


def _waiting(led_paths, organizer_paths, now):
    return Session.objects.filter(
        _recorded_by(led_paths, organizer_paths), state=SessionState.PLANNED, ends_at__lt=now
    )


@compiled_queryset
def _first_waiting(*, n_led, n_organizer, limit):
    led = param_items("led", n_led, CharField())
    organizer = param_items("organizer", n_organizer, CharField())
    qs = _waiting(led, organizer, Param("now", DateTimeField()))
    return qs.select_related("organization").order_by("-ends_at", "-pk")[:limit]


def sessions_to_record(user, *, limit=5, now=None):
    """{"sessions": [...], "count": n}: ended, still planned sessions held by the branches the
    user leads (with their groups) or by the organizations where they are organizer. Until
    check-in is closed or the session is logged, nobody's hours count. Two queries at most
    (the first compiled once per number of paths)."""
    scope = scope_for(user)
    led, organizer = scope.led_branch_paths, scope.organizer_paths
    if not (led or organizer):
        return {"sessions": [], "count": 0}
    now = now or timezone.now()
    values = {"now": now}
    if led:
        values["led"] = led
    if organizer:
        values["organizer"] = organizer
    sessions = list(
        _first_waiting(n_led=len(led), n_organizer=len(organizer), limit=limit, **values)
    )
    if len(sessions) < limit:
        return {"sessions": sessions, "count": len(sessions)}
    return {"sessions": sessions, "count": _waiting(led, organizer, now).count()}
