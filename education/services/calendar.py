"""A member's private calendar feed URL: issued, regenerated, revoked."""

from django.db import transaction
from django.utils import timezone

from members.models import Member

from ..models.calendar import CalendarFeed


@transaction.atomic
def calendar_feed_revoke(*, member: Member) -> int:
    return CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def calendar_feed_regenerate(*, member: Member) -> CalendarFeed:
    """Revoke the member's current feed URL and issue a new one."""
    calendar_feed_revoke(member=member)
    return CalendarFeed.objects.create(member=member)
