"""Keeping the cached scopes honest (members/permissions.py): any write to what a user's reach
is computed from — members, positions, organizations, login accounts — bumps the scope
generation, now and again when the transaction commits (a request that read the old rows in
between must not keep its scope under the new generation)."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Member, Organization, Position
from .permissions import scope_cache_bump


def _bump(sender, instance=None, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nobody's reach
    scope_cache_bump()
    transaction.on_commit(scope_cache_bump)


def connect():
    for model in (Member, Position, Organization, settings.AUTH_USER_MODEL):
        post_save.connect(_bump, sender=model, dispatch_uid=f"scope-bump-save-{model}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"scope-bump-delete-{model}")
