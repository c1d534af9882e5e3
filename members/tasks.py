"""Celery tasks of members/: thin wrappers over services, idempotent and safe to retry."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def send_pending_emails():
    """Send every pending notification e-mail (claims each batch; safe to run twice)."""
    return services.pending_emails_send()


@shared_task(acks_late=True, ignore_result=True)
def send_due_deliveries():
    """Send every due group-robot, webhook and SMS delivery (claims each; safe to run twice)."""
    from .channels.services import deliveries_send

    return deliveries_send()


@shared_task(acks_late=True, ignore_result=True)
def propagate_member_figures():
    """Bring the member figures of organizations above changed branches up to date
    (queued on commit by writes, and swept every minute by beat; coalesced: a run takes
    every dirty branch, a second concurrent run returns at once)."""
    from .figures import propagate_members

    return propagate_members()


from .protection.tasks import remind_case_follow_ups, remind_new_protection_cases  # noqa: E402, F401 (Celery finds tasks here)
