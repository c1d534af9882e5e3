"""Celery tasks of appraisal/ (reminders); thin wrappers over services."""

from .commendations.tasks import *  # noqa: F403
