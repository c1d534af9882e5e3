"""Celery tasks of education/ (reminders); thin wrappers over education.reminders.

Each is periodic (branchsite/celery.py lists the beat entries), asks the database what is
due, and is safe to run twice or to resume after a worker died: notify_many's unique key
skips what was already sent. `now` / `today` (ISO strings) let tests pin the clock.
"""

from datetime import date, datetime

from celery import shared_task

from . import reminders


def _at(now: str | None) -> datetime | None:
    return datetime.fromisoformat(now) if now else None


def _on(today: str | None) -> date | None:
    return date.fromisoformat(today) if today else None


@shared_task(acks_late=True, ignore_result=False)
def send_session_reminders(now: str | None = None) -> int:
    """Remind expected attendees of sessions starting within their lead time."""
    return reminders.session_reminders_send(now=_at(now))


@shared_task(acks_late=True, ignore_result=False)
def send_hours_nudges(today: str | None = None) -> int:
    """Monthly: nudge members behind the pace for the year's study hours."""
    return reminders.hours_nudges_send(today=_on(today))


@shared_task(acks_late=True, ignore_result=False)
def send_meeting_digests(today: str | None = None) -> int:
    """Monthly: tell secretaries which regular meetings are not yet held this period."""
    return reminders.meeting_digests_send(today=_on(today))


@shared_task(acks_late=True, ignore_result=False)
def send_checkin_open_notices(now: str | None = None) -> int:
    """Often: tell each branch's group that check-in of a session has opened, once."""
    return reminders.checkin_open_notices_send(now=_at(now))


@shared_task(acks_late=True, ignore_result=True)
def propagate_study_figures():
    """Bring the study figures of organizations above changed branches up to date (queued
    on commit by writes and swept every minute by beat; a concurrent run returns at once)."""
    from . import figures

    return figures.propagate()


@shared_task(acks_late=True, ignore_result=True)
def refresh_study_figures_below(organization_id: int, years: list[int] | None = None):
    """An organization's hours requirement or cadence changed: every branch below it."""
    from django.utils import timezone

    from . import figures

    years = years or [timezone.localdate().year]
    total = sum(figures.refresh_subtree(organization_id, year) for year in years)
    figures.propagate()
    return total


@shared_task(acks_late=True, ignore_result=True)
def recompute_study_figures_for_month(today: str | None = None):
    """On the 1st: who is behind the pace and which periods are over changed."""
    from . import figures

    return figures.month_turned(_on(today))
