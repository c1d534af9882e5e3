"""Celery tasks of education/ (reminders); thin wrappers over services."""
