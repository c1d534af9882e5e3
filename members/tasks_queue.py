"""Queue Celery tasks so that a broker outage never fails work that is already committed.

Every task queued from a request goes through `enqueue` (usually via `queue_after_commit`):
the rows the task will act on are written in the request's transaction first (pending
e-mails, ...), so the task is only a wake-up call. When the broker cannot be reached the
error is logged and swallowed; the request still answers normally, and a periodic sweep
(branchsite/celery.py, e.g. members.send_pending_emails) picks the rows up once the broker
is back.
"""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs):
    """task.apply_async(args, kwargs); returns the AsyncResult, or None when the broker is
    unreachable (logged, never raised). In eager mode (no broker) the task runs here and its
    errors propagate as they would in any code."""
    if task.app.conf.task_always_eager:
        return task.apply_async(args=args, kwargs=kwargs)
    try:
        return task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        logger.warning(
            "Could not queue %s (broker unreachable?); the periodic sweep will pick the work up",
            task.name,
            exc_info=True,
        )
        return None


def queue_after_commit(task, *args, **kwargs):
    """Queue the task once the current transaction commits (at once outside of one)."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
