"""Celery tasks for commendations (approver reminders): thin, idempotent, safe to run twice."""

from celery import shared_task

from . import services

__all__ = ["remind_commendation_approvers"]


@shared_task(acks_late=True, ignore_result=True)
def remind_commendation_approvers():
    """Tell approvers about proposals waiting for them (each proposal once per approver)."""
    return services.commendation_approver_reminders_send()
