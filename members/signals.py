"""Keeping the cached scopes (members/permissions.py) and unread counts honest.

Any write to what a user's reach is computed from — members, positions, organizations, login
accounts — bumps the scope generation, now and again when the transaction commits (a request
that read the old rows in between must not keep its scope under the new generation). A saved
or deleted notification forgets its member's kept unread count."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from .models import Member, Notification, Organization, Position
from .permissions import scope_cache_bump


def _bump(sender, instance=None, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nobody's reach
    scope_cache_bump()


def _notification_changed(sender, instance=None, **kwargs):
    from .services import unread_changed

    unread_changed([instance.recipient_id])


def connect():
    for model in (Member, Position, Organization, settings.AUTH_USER_MODEL):
        post_save.connect(_bump, sender=model, dispatch_uid=f"scope-bump-save-{model}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"scope-bump-delete-{model}")
    # One notification saved or deleted (the admin, a case handler removed): its member's
    # kept unread count. Bulk writes call members.services.unread_changed themselves.
    post_save.connect(_notification_changed, sender=Notification, dispatch_uid="unread-save")
    post_delete.connect(_notification_changed, sender=Notification, dispatch_uid="unread-delete")
