"""Celery tasks for protection cases (reminders): thin, idempotent, safe to run twice.

Each asks the database what is due; members.services.notify_many's unique key makes a re-run
send nothing new.
"""

from celery import shared_task

from . import services

__all__ = ["remind_case_follow_ups", "remind_new_protection_cases"]


@shared_task(acks_late=True, ignore_result=True)
def remind_case_follow_ups():
    """Remind handlers of follow-ups due by tomorrow and not yet done."""
    return services.case_follow_up_reminders_send()


@shared_task(acks_late=True, ignore_result=True)
def remind_new_protection_cases():
    """Tell designated handlers about cases still waiting to be accepted or declined."""
    return services.case_new_report_reminders_send()
