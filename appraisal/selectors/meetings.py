"""Reads of life meetings and rectification items."""

from django.db.models import (
    OuterRef,
)

from members.compiled import Param, compiled_queryset
from members.models import Member, Organization, OrganizationKind, Position
from members.permissions import organization_scope_q

from ..models.meetings import LifeMeeting, Rectification, RectificationStatus
from ..permissions import life_meetings_visible_to
from .cycles import count_subquery

# --- life meetings ---------------------------------------------------------------------------


def life_meetings(user):
    outer = OuterRef("pk")
    # Counted apart from the visibility filter: a member who sees a meeting because they
    # attended it would otherwise have the count cut down to their own attendance row.
    attendance = LifeMeeting.attendees.through.objects.filter(lifemeeting=outer)
    return (
        life_meetings_visible_to(user)
        .select_related("organization")
        .annotate(
            n_attendees=count_subquery(attendance, by="lifemeeting"),
            n_open_items=count_subquery(
                Rectification.objects.filter(meeting=outer, status=RectificationStatus.OPEN),
                by="meeting",
            ),
        )
        .order_by("-held_on", "-id")
    )


def meeting_detail(meeting):
    return {
        "attendees": list(meeting.attendees.order_by("full_name", "pk")),
        "rectifications": list(meeting.rectifications.select_related("owner")),
    }


@compiled_queryset
def _open_rectifications():
    return (
        Rectification.objects.filter(
            owner_id=Param("member"),
            status=RectificationStatus.OPEN,
            meeting__voided_at__isnull=True,
        )
        .select_related("meeting")
        .order_by("due_on")
    )


def own_rectifications(member_id):
    """A member's open rectification items (those of a voided meeting are no longer due)."""
    return list(_open_rectifications(member=member_id))


def meeting_people(organization):
    """Who can attend: a branch's members; for a committee, those holding positions in it."""
    if organization.kind == OrganizationKind.BRANCH:
        return Member.objects.active().filter(branch=organization).order_by("full_name")
    ids = Position.objects.current().filter(organization=organization).values("member_id")
    return Member.objects.active().filter(pk__in=ids).order_by("full_name")


def member_ids(people):
    """The ids of a queryset of members, in its order."""
    return list(people.values_list("pk", flat=True))


def meeting_organizations(user, *, pk=None):
    """Organizations the user may record a life meeting for (not groups); `pk`: only that one."""
    qs = (
        Organization.objects.filter(organization_scope_q(user))
        .exclude(kind=OrganizationKind.GROUP)
        .order_by("path")
    )
    return qs if pk is None else qs.filter(pk=pk)


def organization_chosen(organizations, pk):
    """The organization a new meeting is for: the one asked for among `organizations`, else the
    only one there is; None when the user has to choose."""
    organization = organizations.filter(pk=pk).first() if pk else None
    if organization is None and organizations.count() == 1:
        organization = organizations.first()
    return organization
