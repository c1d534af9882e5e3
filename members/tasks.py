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


from .protection.tasks import *  # noqa: E402, F403
