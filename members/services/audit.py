"""The audit log: actions history tables do not capture (exports, confidential reads)."""

from django.contrib.contenttypes.models import ContentType

from ..models import AuditEntry


def audit_log(*, actor, action: str, obj=None, **data) -> AuditEntry:
    """Record an action history tables do not capture (an export, a confidential read)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
