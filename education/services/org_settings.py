"""An organization's settings rows: hours requirement, meeting cadence, reminders."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from members.concurrency import version_claim, version_claim_new
from members.services import DomainError, audit_log
from members.tasks_queue import queue_after_commit

from ..models.org_settings import ComplianceCadence, HoursRequirement


@transaction.atomic
def settings_save(*, instance, actor=None, version: int | None = None, fields=None):
    """Save an organization's hours requirement, cadence or reminder settings row.

    `version`: the one the editor saw; ConcurrentChange when someone saved (or created) the
    row since (members.concurrency). `fields`: the fields the form edits (for the message).
    """
    adding = instance._state.adding
    lookup = {"organization": instance.organization_id}
    if hasattr(instance, "year"):
        lookup["year"] = instance.year
    if adding:
        version_claim_new(type(instance), lookup=lookup, fields=fields, submitted=instance)
    else:
        version_claim(instance, version, fields=fields)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        if not adding:
            raise
        # Created by someone else between the check and this insert.
        version_claim_new(type(instance), lookup=lookup, fields=fields, submitted=instance)
        raise
    if isinstance(instance, HoursRequirement | ComplianceCadence):
        # Who is behind and which meetings are missing change for every branch below: their
        # study figures are recomputed by a task (in chunks), the rows above follow.
        years = [instance.year] if isinstance(instance, HoursRequirement) else None
        organization_id = instance.organization_id
        from ..tasks import refresh_study_figures_below

        queue_after_commit(refresh_study_figures_below, organization_id, years)
    audit_log(
        actor=actor,
        action=f"education.{instance._meta.model_name}.save",
        obj=instance.organization,
    )
    return instance
