"""Reads behind members/ pages and exports; each runs a fixed number of queries."""

from django.core.cache import cache
from django.db.models import Count, F, Q

from .caching import quietly
from .dbrouting import read_connection
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
from .permissions import scope_for
from .protection.selectors import (  # noqa: F401 - hooks listed in branchsite/record.py
    protection_dashboard_section,
    protection_record_section,
)


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


def root_paths(limit=20):
    """Paths of the tree's top organizations (for the site admin's overview)."""
    return list(
        Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)[:limit]
    )


def organizer_overview(organizer_paths):
    """The organizations an organizer stands at, each with its direct children and counts:
    one query for the roots, one per root for its children, then one subtree_member_counts
    for them all."""
    if not organizer_paths:
        return []
    roots = list(Organization.objects.filter(path__in=organizer_paths).order_by("path"))
    for root in roots:
        root.children_with_counts = list(
            Organization.objects.get_children(root).order_by("kind", "name")
        )
    counts = subtree_member_counts(
        [*roots, *(child for root in roots for child in root.children_with_counts)]
    )
    for root in roots:
        root.n_members = counts[root.pk]
        for child in root.children_with_counts:
            child.n_members = counts[child.pk]
    return roots


def children_with_member_counts(organization):
    """Direct children of an organization, each with its subtree's active-member count.

    One query for the children; the counts come from subtree_member_counts.
    """
    children = list(Organization.objects.get_children(organization).order_by("kind", "name"))
    if not children:
        return []
    counts = subtree_member_counts(children)
    for child in children:
        child.n_members = counts[child.pk]
    return children


# Subtree member counts are kept in the cache (Redis in production) for this long. Each key
# carries a stamp of the member tables (the highest member id and history id, read with one
# indexed query), so any member added, changed, moved or removed through the ORM (services,
# admin, imports with history) makes the next page count afresh; only writes that bypass
# history (a raw UPDATE, a COPY) wait for the timeout.
SUBTREE_COUNT_TIMEOUT = 300


def _member_tables_stamp():
    # From the database the counts will be read from (the replica inside
    # reads_from_replica): a count is kept under the state it was computed from.
    connection = read_connection()
    members = connection.ops.quote_name(Member._meta.db_table)
    history = connection.ops.quote_name(Member.history.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {members}), "  # noqa: S608 - table names only
            f"(SELECT MAX(history_id) FROM {history})"
        )
        top_member, top_history = cursor.fetchone()
    return f"{connection.settings_dict['NAME']}:{top_member or 0}:{top_history or 0}"


def subtree_member_counts(organizations):
    """{organization pk: current (full + probationary) members in its subtree}.

    The cost does not grow with the tree: one stamp query and one cache read; only the
    counts missing from the cache are computed, in one grouped query over the members
    below them (then kept for SUBTREE_COUNT_TIMEOUT seconds).
    """
    organizations = list(organizations)
    if not organizations:
        return {}
    stamp = _member_tables_stamp()
    keys = {o.pk: f"members:subtree-count:{stamp}:{o.path}" for o in organizations}
    cached = quietly(lambda: cache.get_many(list(keys.values())), {})
    missing = [o for o in organizations if keys[o.pk] not in cached]
    if missing:
        computed = _count_subtrees(missing)
        quietly(
            lambda: cache.set_many(
                {keys[o.pk]: computed[o.pk] for o in missing}, SUBTREE_COUNT_TIMEOUT
            )
        )
        cached.update({keys[o.pk]: computed[o.pk] for o in missing})
    return {pk: cached[key] for pk, key in keys.items()}


def _count_subtrees(organizations):
    """Counts for these organizations from the database: members grouped by branch path,
    then summed up every level of each path (Organization.steplen characters a level)."""
    within = Q()
    for org in organizations:
        within |= Q(branch__path__startswith=org.path)
    by_branch = (
        Member.objects.filter(within, status__in=ACTIVE_STATUSES)
        .values_list("branch__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    wanted = {org.path for org in organizations}
    step = Organization.steplen
    totals = dict.fromkeys(wanted, 0)
    for path, n in by_branch:
        for end in range(step, len(path) + 1, step):
            if path[:end] in wanted:
                totals[path[:end]] += n
    return {org.pk: totals[org.path] for org in organizations}


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


def roster(user, *, branch=None):
    """Members a user may see on the roster, with what the roster shows already joined."""
    qs = Member.objects.filter(_visible_members_q(user)).select_related("branch", "group")
    if branch is not None:
        qs = qs.filter(branch__path__startswith=branch.path)
    return qs.order_by("branch__path", "full_name", "id")


def branch_choices(user):
    """Branches a roster can be narrowed to: those the user manages."""
    from .permissions import organizations_managed_by

    return organizations_managed_by(
        user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
    ).order_by("path")
