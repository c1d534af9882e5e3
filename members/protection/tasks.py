"""Celery tasks for protection cases (follow-up reminders)."""
