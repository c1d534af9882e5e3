"""A session's change history (managers only, on the session page): who changed what on the
session and its attendance."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models.sessions import SESSION_FIELDS, Attendance, Session, Topic

CHANGES_LIMIT = 50


SESSION_HISTORY_FIELDS = ("state", *SESSION_FIELDS)


ATTENDANCE_HISTORY_FIELDS = ("status", "hours", "checked_in_at", "note")


@dataclass
class Change:
    when: object
    who: str
    what: str  # the session, or the member whose attendance changed
    action: str  # "+" created, "~" changed, "-" removed
    fields: list = field(default_factory=list)  # [(label, old, new)]


def _display(model, name, value):
    if value is None or value == "":
        return "—"
    f = model._meta.get_field(name)
    if f.choices:
        return str(dict(f.choices).get(value, value))
    if name == "hours":
        return str(Decimal(str(value)).quantize(Decimal("0.1")))
    if name == "topics":
        labels = dict(Topic.choices)
        return "、".join(str(labels.get(t, t)) for t in value) or "—"
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return str(value)


def _history_with_previous(qs, fields):
    """The last CHANGES_LIMIT history rows, each with its previous values (one query: LAG
    over the object's own history)."""
    from django.db.models import Window
    from django.db.models.functions import Lag

    order = [F("history_date").asc(), F("history_id").asc()]
    lags = {
        f"prev_{name}": Window(Lag(name), partition_by=[F("id")], order_by=order) for name in fields
    }
    lags["prev_type"] = Window(Lag("history_type"), partition_by=[F("id")], order_by=order)
    return list(
        qs.annotate(**lags)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:CHANGES_LIMIT]
    )


def session_changes(session):
    """Who changed what on the session and its attendance, newest first, at most
    CHANGES_LIMIT entries. Two queries."""
    entries = []
    session_label = _("Session")
    for model, rows, fields, label_of in (
        (
            Session,
            _history_with_previous(
                Session.history.model.objects.filter(id=session.pk), SESSION_HISTORY_FIELDS
            ),
            SESSION_HISTORY_FIELDS,
            lambda r: session_label,
        ),
        (
            Attendance,
            _history_with_previous(
                Attendance.history.model.objects.filter(session_id=session.pk).select_related(
                    "member"
                ),
                ATTENDANCE_HISTORY_FIELDS,
            ),
            ATTENDANCE_HISTORY_FIELDS,
            lambda r: r.member.full_name if r.member else "—",
        ),
    ):
        for r in rows:
            changed = []
            if r.history_type == "~" and r.prev_type is not None:
                for name in fields:
                    old, new = getattr(r, f"prev_{name}"), getattr(r, name)
                    if old != new:
                        changed.append(
                            (
                                model._meta.get_field(name).verbose_name,
                                _display(model, name, old),
                                _display(model, name, new),
                            )
                        )
                if not changed:
                    continue
            user = r.history_user
            entries.append(
                Change(
                    when=r.history_date,
                    who=(user.get_full_name() or user.get_username()) if user else "—",
                    what=label_of(r),
                    action=r.history_type,
                    fields=changed,
                )
            )
    entries.sort(key=lambda c: c.when, reverse=True)
    return entries[:CHANGES_LIMIT]
