"""Every saved or deleted row of the record apps marks the pages that show it out of date
(branchsite/pagecache.py). Bulk writes send no signals: the services that make them call
`pagecache.content_changed` themselves."""

import logging

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from . import pagecache

logger = logging.getLogger(__name__)

# Rows written when a page is read (the confidential-case view log) change no page we keep.
# (Notifications and the audit log live in members.models, which is no area: never connected.)
IGNORED = {"members.caseview"}
# The organization a row belongs to is on the row, or on the row it hangs from.
ORGANIZATION_FIELDS = ("branch_id", "organization_id")
PARENT_FIELDS = ("session", "cycle", "case", "meeting", "record", "commendation", "box")


def area_of(model):
    module = model.__module__
    if module.startswith("members.protection"):
        return "protection"
    if module.startswith("appraisal.commendations"):
        return "commendations"
    if module.startswith("education"):
        return "education"
    if module.startswith("appraisal"):
        return "appraisal"
    return None


def _owners(instance, depth=0):
    """(organization ids, member ids) a row concerns; None when it cannot be told."""
    orgs = {getattr(instance, f, None) for f in ORGANIZATION_FIELDS} - {None}
    members = {getattr(instance, "member_id", None)} - {None}
    if orgs or depth > 2:
        return orgs, members
    for name in PARENT_FIELDS:
        if getattr(instance, f"{name}_id", None) is None:
            continue
        parent = getattr(instance, name)
        found = _owners(parent, depth + 1)
        if found is None:
            return None
        orgs |= found[0]
        members |= found[1]
        return orgs, members
    return (orgs, members) if members else None


def _changed(sender, instance, **kwargs):
    area = area_of(sender)
    try:
        owners = _owners(instance)
    except Exception:  # a parent deleted in the same cascade: do not guess
        logger.debug("page cache: owner of %r not found", instance, exc_info=True)
        owners = None
    if owners is None:
        pagecache.bump(area, everything=True)
    else:
        pagecache.content_changed(area, organization_ids=owners[0], member_ids=owners[1])


def connect():
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in IGNORED or area_of(model) is None or model.__name__.startswith("Historical"):
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=f"pagecache-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"pagecache-delete-{label}")
