"""The rows of the study-hours exports; members.xlsx writes them (every text cell inert)."""

from django.utils import timezone
from django.utils.translation import gettext as _


def branch_hours_rows(members):
    header = [
        _("Name"),
        _("Group"),
        _("Leader"),
        _("Attended hours"),
        _("Make-up hours"),
        _("Total hours"),
        _("Required hours"),
        _("Shortfall"),
    ]
    rows = (
        [
            m.full_name,
            m.group.name if m.group else "",
            _("Yes") if m.is_leader else "",
            float(m.attended_hours),
            float(m.makeup_hours),
            float(m.total_hours),
            float(m.required_hours),
            float(m.shortfall),
        ]
        for m in members
    )
    return header, rows


def member_hours_rows(detail):
    """A member's year: "Hours" is what the row records (a make-up's hours whatever its
    state), "Credited hours" what counts towards the requirement (held sessions attended,
    confirmed make-up study); the totals add up the credited column."""
    from .models.makeups import MakeupState
    from .models.sessions import CREDITED_STATUSES

    header = [
        _("Date"),
        _("Session"),
        _("Kind"),
        _("Attendance"),
        _("Hours"),
        _("Credited hours"),
    ]
    rows = []
    for a in detail["attendances"]:
        credited = a.hours if a.session.is_held and a.status in CREDITED_STATUSES else 0
        rows.append(
            [
                f"{timezone.localtime(a.session.starts_at):%Y-%m-%d}",
                a.session.title,
                a.session.get_kind_display(),
                a.get_status_display(),
                float(a.hours),
                float(credited),
            ]
        )
    for m in detail["makeups"]:
        rows.append(
            [
                f"{m.studied_on:%Y-%m-%d}",
                m.description[:100],
                _("Make-up study"),
                m.get_state_display(),
                float(m.hours),
                float(m.hours) if m.state == MakeupState.CONFIRMED else 0.0,
            ]
        )
    h = detail["hours"]
    rows.append(["", _("Total"), "", "", "", float(h.total_hours)])
    rows.append(["", _("Required"), "", "", "", float(h.required_hours)])
    return header, rows


def rollup_rows(branches):
    header = [
        _("Branch"),
        _("Members"),
        _("Leaders"),
        _("Total hours"),
        _("Average hours"),
        _("Met the requirement"),
        _("Behind"),
    ]
    rows = (
        [
            b.name,
            b.n_members,
            b.n_leaders,
            float(b.hours),
            float(b.average) if b.average is not None else None,
            b.n_met,
            b.n_behind,
        ]
        for b in branches
    )
    return header, rows
