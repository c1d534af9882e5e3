# ruff: noqa: E402  (the commendations import stays the last line)
"""Celery tasks of appraisal/ (reminders); thin wrappers over services.

Each job asks the database what is due and notifies through members.services.notify_many,
whose unique key (kind, subject, recipient, due date) makes a re-run or retry harmless.
"""

from celery import shared_task

from .services.notices import (
    ballot_closing_reminders_send,
    ballot_open_notices_send,
    publicity_ending_reminders_send,
    rectification_reminders_send,
    self_assessment_reminders_send,
)
from .services.publicity import publicity_close_finished


@shared_task(acks_late=True, ignore_result=True)
def send_appraisal_reminders():
    """Daily: self-assessments due, ballot closing, publicity ending, rectification items due."""
    return {
        "self_assessment_due": self_assessment_reminders_send(),
        "ballot_closing": ballot_closing_reminders_send(),
        "publicity_ending": publicity_ending_reminders_send(),
        "rectification_due": rectification_reminders_send(),
    }


@shared_task(acks_late=True, ignore_result=True)
def send_ballot_open_notices():
    """Often: tell the voters of each newly opened ballot, once."""
    return ballot_open_notices_send()


@shared_task(acks_late=True, ignore_result=True)
def close_finished_publicity():
    """Daily: close the cycles whose publicity has ended (objections all answered)."""
    return publicity_close_finished()


@shared_task(acks_late=True, ignore_result=True)
def propagate_appraisal_figures():
    """Bring the appraisal figures of organizations above changed branches up to date
    (queued on commit by writes and swept every minute by beat)."""
    from . import figures

    return figures.propagate()


from .commendations.tasks import remind_commendation_approvers  # noqa: F401 (Celery finds tasks here)
