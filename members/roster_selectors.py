"""Reads behind the roster, member, tree and import/export pages.

Each function runs a fixed number of queries whatever the number of members or
organizations; the callers (members/views.py, members/roster_io.py) never chain the ORM.
"""

from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext

from . import selectors
from .compiled import Param, compiled_queryset
from .models import (
    ACTIVE_STATUSES,
    Member,
    Organization,
    OrganizationKind,
    Position,
)
from .pagination import NextPage
from .permissions import (
    compiled_scope_q,
    members_visible_to,
    organizations_managed_by,
    scope_arguments,
    scope_for,
)

# --- roster ------------------------------------------------------------------------------


def holds_current_role_q(role):
    """Q on Member: holds `role` (any organization) today."""
    return Exists(Position.objects.current().filter(member=OuterRef("pk"), role=role))


def managed_groups(user, branch):
    """The Party groups of one branch, if the user manages that branch (else none)."""
    return organizations_managed_by(
        user,
        Organization.objects.filter(
            kind=OrganizationKind.GROUP, path__startswith=branch.path, depth=branch.depth + 1
        ),
    ).order_by("name")


@compiled_queryset
def _branches_and_groups(*, admin, n_paths, with_branch):
    """The branches the user manages (`branch_choices`), by path, then (with_branch) the
    Party groups of the branch at Param "branch", if one of them, by name: one query."""
    wanted = Q(kind=OrganizationKind.BRANCH)
    if with_branch:
        branch = Organization.objects.filter(pk=Param("branch"), kind=OrganizationKind.BRANCH)
        wanted |= Q(
            kind=OrganizationKind.GROUP,
            path__startswith=Subquery(branch.values("path")[:1]),
            depth=Subquery(branch.values("depth")[:1]) + 1,
        )
    is_group = Case(When(kind=OrganizationKind.GROUP, then=Value(1)), default=Value(0))
    return (
        Organization.objects.filter(wanted, compiled_scope_q(admin=admin, n_paths=n_paths))
        .annotate(is_group=is_group)
        .order_by("is_group", Case(When(kind=OrganizationKind.GROUP, then="name"), default="path"))
    )


def managed_branches_and_groups(user, branch_pk=None):
    """(the branches the user manages, the groups of the one with `branch_pk` among them) as
    lists, the branches by path and the groups by name, read in one query (compiled once per
    shape of scope): `managed_branches` and `managed_groups` of that branch."""
    values = scope_arguments(user)
    if branch_pk is not None:
        values["branch"] = branch_pk
    rows = list(_branches_and_groups(with_branch=branch_pk is not None, **values))
    return [o for o in rows if not o.is_group], [o for o in rows if o.is_group]


def branch_groups(branch):
    """The Party groups directly under a branch, by name."""
    return Organization.objects.filter(
        kind=OrganizationKind.GROUP, path__startswith=branch.path, depth=branch.depth + 1
    ).order_by("name")


def managed_organizations(user):
    """Organizations a roster may be narrowed to as a subtree (committees, branches, groups)."""
    return organizations_managed_by(user).order_by("path")


def transfer_targets(exclude=None):
    """Active branches a member may be transferred to (anywhere: transfers cross scopes)."""
    qs = Organization.objects.filter(kind=OrganizationKind.BRANCH, is_active=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("path")


def parent_names_by_path():
    """{path: name} of committees and general branches: labels branches without N queries."""
    return dict(
        Organization.objects.filter(
            kind__in=(OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH)
        ).values_list("path", "name")
    )


def existing_member_keys(branch, names):
    """Keys of the branch's current members with these names, to catch a second import:
    {(name, "phone", phone)} and {(name, "birth", birth date)}. One query."""
    keys = set()
    rows = (
        Member.objects.active()
        .filter(branch=branch, full_name__in=[n for n in names if n])
        .values_list("full_name", "phone", "birth_date")
    )
    for name, phone, birth in rows:
        if phone:
            keys.add((name, "phone", phone))
        if birth:
            keys.add((name, "birth", birth))
    return keys


def can_read_member(user, member_id):
    return members_visible_to(user).filter(pk=member_id).exists()


# --- member detail -----------------------------------------------------------------------

# Fields a reader does not need to see in the change list.
_HISTORY_HIDDEN = {"created_at", "updated_at", "id"}


def member_history(member, *, limit=10):
    """The member's latest history entries with the changed fields worked out.

    One query for the entries (limit + 1, so the oldest shown has something to diff
    against), with the organizations they name joined.
    Each entry gets `.changes`: a list of (field verbose name, old, new) display strings.
    """
    records = list(
        member.history.select_related(
            "history_user", "history_user__member", "branch", "group"
        ).order_by("-history_date", "-history_id")[: limit + 1]
    )
    # Organization names come with the entries (joined), not from a query of their own.
    names = {}
    for r in records:
        for org in (r.branch, r.group):
            if org is not None:
                names[org.pk] = org.name
    fields = {f.attname: f for f in Member._meta.concrete_fields}

    def show(attname, record):
        field = fields[attname]
        value = getattr(record, attname)
        if value in (None, ""):
            return "—"
        if attname == "account_id":
            return gettext("linked")
        if attname in ("branch_id", "group_id"):
            return names.get(value, str(value))
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    shown = records[:limit]
    for i, record in enumerate(shown):
        older = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if older is not None and record.history_type == "~":
            for attname, field in fields.items():
                if field.name in _HISTORY_HIDDEN:
                    continue
                if getattr(record, attname) != getattr(older, attname):
                    changes.append(
                        (field.verbose_name, show(attname, older), show(attname, record))
                    )
        record.changes = changes
        user = record.history_user
        record.actor_name = (
            (getattr(user, "member", None) and user.member.full_name) or user.get_username()
            if user is not None
            else ""
        )
    return shown


# --- organization tree -------------------------------------------------------------------


def tree_roots(user):
    """Where the user's tree starts: their organizer organizations, or (admin) the roots,
    each with its subtree's active-member count and direct children (2 queries + 1 per root)."""
    scope = scope_for(user)
    if scope.is_admin:
        paths = list(Organization.objects.get_root_nodes().values_list("path", flat=True))
    else:
        paths = list(scope.organizer_paths)
    return selectors.organizer_overview(paths)


TREE_PAGE = 50


def tree_children(organization, *, page_number=None):
    """One page of an organization's direct children with active-member counts:
    sub-organizations from their member figures, a branch's groups counted by group
    membership. One query."""
    if organization.kind != OrganizationKind.BRANCH:
        children = selectors.with_member_figures(selectors.children_of(organization))
    else:
        children = branch_groups(organization).annotate(
            n_members=Count("group_members", filter=Q(group_members__status__in=ACTIVE_STATUSES))
        )
    return NextPage(children, page_number, TREE_PAGE)


def tree_ancestors_in_scope(user, organization):
    """Ancestors of an organization the user may open in the tree (for breadcrumbs)."""
    scope = scope_for(user)
    return [
        a
        for a in Organization.objects.get_ancestors(organization)
        if scope.is_admin or scope.reaches_path(a.path)
    ]
