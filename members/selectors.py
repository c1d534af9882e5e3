"""Reads behind members/ pages and exports; each runs a fixed number of queries."""

from django.db.models import Count, F, Q
from django.db.models.functions import Substr

from .models import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    Position,
    Transfer,
)
from .permissions import members_visible_to
from .protection.selectors import (  # noqa: F401 - hooks listed in branchsite/record.py
    protection_dashboard_section,
    protection_record_section,
)


def member_summary(member_id):
    return Member.objects.select_related("branch", "group").filter(pk=member_id).first()


def member_positions(member):
    return list(
        Position.objects.filter(member=member)
        .select_related("organization")
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on")
    )


def member_transfers(member):
    return list(
        Transfer.objects.filter(member=member).select_related(
            "from_organization", "to_organization"
        )
    )


def branch_summaries(branch_ids):
    """For each led branch: counts by status and its current leadership. Three queries."""
    if not branch_ids:
        return []
    branches = list(
        Organization.objects.filter(pk__in=branch_ids)
        .annotate(
            n_full=Count("members", filter=Q(members__status=MemberStatus.FULL)),
            n_probationary=Count("members", filter=Q(members__status=MemberStatus.PROBATIONARY)),
        )
        .order_by("path")
    )
    leaders = (
        Position.objects.current()
        .filter(organization_id__in=branch_ids)
        .exclude(role="group_leader")
        .select_related("member")
    )
    rank = {role: i for i, role in enumerate(COMMITTEE_ROLES)}
    by_branch = {}
    for pos in sorted(leaders, key=lambda p: (rank.get(p.role, 99), p.member.full_name)):
        by_branch.setdefault(pos.organization_id, []).append(pos)
    for b in branches:
        b.leaders = by_branch.get(b.pk, [])
        b.n_active = b.n_full + b.n_probationary
    return branches


def organizer_overview(organizer_paths):
    """The organizations an organizer stands at, each with its direct children and counts."""
    if not organizer_paths:
        return []
    roots = list(Organization.objects.filter(path__in=organizer_paths).order_by("path"))
    for root in roots:
        root.children_with_counts = children_with_member_counts(root)
        root.n_members = sum(c.n_members for c in root.children_with_counts) + (
            Member.objects.active().filter(branch=root).count()
        )
    return roots


def children_with_member_counts(organization):
    """Direct children of an organization, each with its subtree's active-member count.

    Two queries whatever the tree's size: the children, then one grouped count over the
    members below, keyed by the first len(child path) characters of their branch path.
    """
    children = list(Organization.objects.get_children(organization).order_by("kind", "name"))
    if not children:
        return []
    child_len = len(children[0].path)
    counts = dict(
        Member.objects.filter(
            status__in=ACTIVE_STATUSES,
            branch__path__startswith=organization.path,
            branch__depth__gt=organization.depth,
        )
        .annotate(prefix=Substr("branch__path", 1, child_len))
        .values("prefix")
        .annotate(n=Count("id"))
        .values_list("prefix", "n")
    )
    for child in children:
        child.n_members = counts.get(child.path, 0)
    return children


def roster(user, *, branch=None):
    """Members a user may see on the roster, with what the roster shows already joined."""
    qs = members_visible_to(user).select_related("branch", "group")
    if branch is not None:
        qs = qs.filter(branch__path__startswith=branch.path)
    return qs.order_by("branch__path", "full_name", "id")


def branch_choices(user):
    """Branches a roster can be narrowed to: those the user manages."""
    from .permissions import organizations_managed_by

    return organizations_managed_by(
        user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
    ).order_by("path")
