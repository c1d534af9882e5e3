"""Celery tasks for commendations (approver reminders)."""
