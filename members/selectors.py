"""Reads behind members/ pages and exports; each runs a fixed number of queries."""

from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from .compiled import Param, compiled_queryset, params
from .json_rows import instances_from_json, related_rows_json
from .models import (
    COMMITTEE_ROLES,
    Member,
    MemberStatus,
    Notification,
    Organization,
    OrganizationKind,
    ParentPath,
    Position,
    Transfer,
)
from .permissions import compiled_scope_q, scope_arguments, scope_for


def member_notifications(member):
    """The member's notifications, newest first (their inbox; paginate)."""
    return Notification.objects.filter(recipient=member).order_by("-created_at", "-id")


def member_positions(member):
    return list(
        Position.objects.filter(member=member)
        .select_related("organization")
        .order_by(F("ended_on").desc(nulls_first=True), "-started_on")
    )


@compiled_queryset
def _transfers_of():
    return Transfer.objects.filter(member_id=Param("member")).select_related(
        "from_organization", "to_organization"
    )


def member_transfers(member):
    return list(_transfers_of(member=member.pk))


def branch_summaries(branch_ids):
    """For each led branch: counts by status and its current leadership. One query (the
    leaders are a JSON column of the branch row)."""
    if not branch_ids:
        return []
    leaders = Position.objects.current().exclude(role="group_leader")
    branches = list(
        Organization.objects.filter(pk__in=branch_ids)
        .annotate(
            n_full=Count("members", filter=Q(members__status=MemberStatus.FULL)),
            n_probationary=Count("members", filter=Q(members__status=MemberStatus.PROBATIONARY)),
            leaders_json=related_rows_json(leaders, "organization", attach="member"),
        )
        .order_by("path")
    )
    rank = {role: i for i, role in enumerate(COMMITTEE_ROLES)}
    for b in branches:
        b.leaders = sorted(
            instances_from_json(Position, b.leaders_json, attach="member"),
            key=lambda p: (rank.get(p.role, 99), p.member.full_name),
        )
        b.n_active = b.n_full + b.n_probationary
    return branches


def root_paths(limit=20):
    """Paths of the tree's top organizations (for the site admin's overview)."""
    return list(
        Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)[:limit]
    )


OVERVIEW_CHILDREN = 20  # children shown per organization on the home page (the tree has all)
CHILD_ORDER = ("kind", "name", "path")  # an organization's children, as lists show them


@compiled_queryset
def _roots_with_figures(*, n):
    organizations = Organization.objects.filter(path__in=params("paths", n, CharField()))
    return with_member_figures(organizations).order_by("path")


@compiled_queryset
def _children_with_figures(*, n, limit):
    """The first `limit` direct children, by kind and name, of each of `n` organizations
    (Param "paths": theirs), read in that order from the org_siblings index (no sort of all
    the children of an organization at the top). Ranked by id alone first, so that the
    figures are read for the children shown, not for every child."""
    children = Organization.objects.alias(parent_path=ParentPath()).filter(
        parent_path__in=params("paths", n, CharField())
    )
    if n == 1:
        # One organization (most organizers): its first children straight from the index.
        first = children.order_by(*CHILD_ORDER).values("pk")[:limit]
    else:
        first = (
            children.annotate(
                rank=Window(RowNumber(), partition_by=[F("parent_path")], order_by=CHILD_ORDER),
            )
            .filter(rank__lte=limit)
            .values("pk")[: n * limit]  # the bound: PostgreSQL looks the few rows up by key
        )
    return with_member_figures(Organization.objects.filter(pk__in=first))


def organizer_overview(organizer_paths, *, limit=OVERVIEW_CHILDREN):
    """The organizations an organizer stands at, each with its member figures and its first
    `limit` direct children with theirs (`more`: whether there are others). Two queries
    whatever the size of the tree: the roots with their figures, then the children (found
    by their parent path, the org_siblings index) with theirs."""
    if not organizer_paths:
        return []
    paths = list(organizer_paths)
    roots = list(_roots_with_figures(n=len(paths), paths=paths))
    children = children_with_member_counts(roots, limit=limit + 1)
    for root in roots:
        root.children_with_counts = children.get(root.pk, [])[:limit]
        root.more_children = len(children.get(root.pk, [])) > limit
    return roots


def with_member_figures(queryset):
    """Organizations with n_members, n_probationary and figures_at from their member
    figures row (a LEFT JOIN; zeros for an organization with no member below)."""
    from .models import OrganizationMemberFigures

    row = OrganizationMemberFigures.objects.filter(organization=OuterRef("pk"))
    return queryset.annotate(
        n_members=Coalesce(Subquery(row.values("members")[:1]), 0),
        n_probationary=Coalesce(Subquery(row.values("probationary")[:1]), 0),
        figures_at=Subquery(row.values("computed_at")[:1]),
    )


def children_of(organization):
    """The organization's direct children by kind and name (their parent path: the
    org_siblings index, read in that order, not a scan or a sort of the subtree)."""
    return (
        Organization.objects.alias(parent_path=ParentPath())
        .filter(parent_path=organization.path)
        .order_by(*CHILD_ORDER)
    )


def children_with_member_counts(organizations, *, limit):
    """{organization pk: its first `limit` direct children by kind and name, each with its
    subtree's member figures}. One query for any number of organizations, whatever their
    number of children."""
    organizations = list(organizations)
    if not organizations:
        return {}
    by_parent = {org.path: [] for org in organizations}
    step = Organization.steplen
    children = _children_with_figures(
        n=len(organizations),
        limit=limit,
        paths=[org.path for org in organizations],
    )
    for child in children:
        by_parent[child.path[:-step]].append(child)
    return {
        org.pk: sorted(by_parent[org.path], key=lambda c: (c.kind, c.name, c.path))
        for org in organizations
    }


def member_figures(organization):
    """The organization's member figures row (an unsaved row of zeros when it has none).
    One query."""
    from .models import OrganizationMemberFigures

    return OrganizationMemberFigures.objects.filter(
        organization=organization
    ).first() or OrganizationMemberFigures(organization=organization)


def _visible_members_q(user):
    """Q on Member equal to members.permissions.members_visible_to, written for the index.

    A member's branch is always a branch (members.services), so "branch path under a led
    branch" is "branch is a led branch", and an organizer's subtrees become a sub-select of
    branch ids. That keeps the filter on members' own columns (branch_id, id): PostgreSQL
    then reads the member_roster index instead of joining every member to its branch, which
    the OR with "or themselves" forced.
    """
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    q = Q(branch_id__in=sorted(scope.led_branch_ids)) if scope.led_branch_ids else Q(pk__in=[])
    if scope.organizer_paths:
        subtrees = Q()
        for path in scope.organizer_paths:
            subtrees |= Q(path__startswith=path)
        branches = Organization.objects.filter(subtrees, kind=OrganizationKind.BRANCH)
        q |= Q(branch_id__in=branches.values("pk"))
    if scope.member_id and not (
        scope.branch_id in scope.led_branch_ids or scope.reaches_path(scope.branch_path)
    ):
        q |= Q(pk=scope.member_id)
    return q


# What a roster row reads of a member and its branch and group (members/templatetags/
# roster.py): the page reads only these, not the whole member, branch and group rows.
ROSTER_ROW_COLUMNS = (
    *("full_name", "gender", "status", "phone", "joined_on"),
    *("branch__name", "group__name"),
)


def roster(user, *, branch=None):
    """Members a user may see on the roster, with what the roster shows already joined."""
    qs = Member.objects.filter(_visible_members_q(user)).select_related("branch", "group")
    if branch is not None:
        qs = qs.filter(branch__path__startswith=branch.path)
    return qs.order_by("branch__path", "full_name", "id")


@compiled_queryset
def _managed_branches(*, admin, n_paths, stop):
    branches = Organization.objects.filter(kind=OrganizationKind.BRANCH)
    managed = branches.filter(compiled_scope_q(admin=admin, n_paths=n_paths)).order_by("path")
    return managed if stop is None else managed[:stop]


def managed_branches(user, *, limit=None):
    """`branch_choices` as a list (the first `limit`), read compiled once per shape of scope."""
    return list(_managed_branches(stop=limit, **scope_arguments(user)))


def branch_choices(user):
    """Branches a roster can be narrowed to: those the user manages."""
    from .permissions import organizations_managed_by

    return organizations_managed_by(
        user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
    ).order_by("path")
