"""An organizer's rollup: the branches a user may pick, the roots they start from, and the study
figures of an organization and of its children."""

from decimal import Decimal

from django.db.models import CharField

from members.compiled import Param, compiled_queryset, derived
from members.models import Organization, OrganizationKind, subtree_range_q, subtree_upper_bound
from members.pagination import NextPage
from members.permissions import (
    loaded_positions,
    organizations_managed_by,
    scope_for,
)
from members.selectors import managed_branches

from ..figures import figures_for
from ..models.summaries import OrganizationStudyFigures
from .hours import round_hours


def branch_choices(user):
    """Branches whose hours and compliance the user may see."""
    return organizations_managed_by(
        user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
    ).order_by("path")


def rollup_roots(user):
    """The organizations an organizer's rollup starts from (admin: the tree's roots)."""
    scope = scope_for(user)
    if scope.is_admin:
        return list(Organization.objects.get_root_nodes())
    # The organizations came with the user's positions (scope_for): no query.
    by_path = {p.organization.path: p.organization for p in loaded_positions(user)}
    return [by_path[path] for path in sorted(scope.organizer_paths) if path in by_path]


def branches_below(organization):
    return Organization.objects.filter(
        organization.subtree_q(), kind=OrganizationKind.BRANCH
    ).order_by("path")


def child_branches(organization):
    """The branches directly under an organization (the org_depth_path index: no scan of
    the subtree)."""
    return branches_at(organization.path, organization.depth + 1)


def branches_at(path_prefix, depth):
    """The branches at `depth` whose path starts with `path_prefix` (values or Params)."""
    return Organization.objects.filter(
        path__startswith=path_prefix, depth=depth, kind=OrganizationKind.BRANCH
    ).order_by("path")


def _with_figures(org, row):
    """Copy a study figures row onto its organization as the rollup templates read it."""
    row = row or OrganizationStudyFigures(year=0)
    org.figures = row
    org.n_members = row.members
    org.n_leaders = row.leaders
    org.hours = round_hours(row.hours)
    org.n_met = row.met
    org.n_behind = row.behind
    org.n_branches = row.branches
    org.average = (org.hours / row.members).quantize(Decimal("0.1")) if row.members else None
    return org


def hours_rollup(organization, branch_ids, year):
    """Per branch (ids given, e.g. a page of an export): members, leaders, hours, met,
    behind, from the branches' study figures. Two queries for any number of branches."""
    branches = list(Organization.objects.filter(pk__in=list(branch_ids)).order_by("path"))
    rows = figures_for([b.pk for b in branches], year)
    return [_with_figures(b, rows.get(b.pk)) for b in branches]


def rollup_totals(organization, year):
    """The organization's own figures row for the year (its whole subtree), on the
    organization (n_members, hours, n_behind, figures.computed_at...). One query."""
    return _with_figures(organization, figures_for([organization.pk], year).get(organization.pk))


# What the rollup pages show of a child (its link, name and figures): the columns left out
# (the tree's, the figures' bookkeeping) were a tenth of reading a page of children.
_CHILD_FIELDS = (
    "organization__name",
    "organization__kind",
    "members",
    "leaders",
    "hours",
    "met",
    "behind",
    "branches",
    "missing",
    "branches_missing",
)


@compiled_queryset
def _children_figures(*, branches, bounded, start, stop):
    """Figures rows of the organizations at depth "depth" below the path "path" (the
    children), by path. A range of paths at one depth, on the org_children index: the
    database reads the children in order and stops at the page's end, whatever the size of
    the subtrees between them (by the rows' parent, it walked the whole subtree in path
    order)."""
    path = Param("path", CharField())
    upper = bounded and derived(path, subtree_upper_bound, CharField())
    rows = (
        OrganizationStudyFigures.objects.filter(
            subtree_range_q(path, "organization__path", upper=upper),
            organization__depth=Param("depth"),
            year=Param("year"),
        )
        .select_related("organization")
        .only(*_CHILD_FIELDS)
        .order_by("organization__path")
    )
    if not branches:
        rows = rows.exclude(organization__kind=OrganizationKind.BRANCH)
    return rows[start:stop]


def rollup_children(organization, year, *, page_number=None, per_page=50, branches=True):
    """One page of the organization's direct children (organizations, and branches unless
    `branches` is False) with their study figures, by path. One query (no count),
    whatever the size of the subtree (see _children_figures)."""
    upper = subtree_upper_bound(organization.path)

    def rows(start, stop):
        return _children_figures(
            branches=branches,
            bounded=upper is not None,
            start=start,
            stop=stop,
            path=organization.path,
            depth=organization.depth + 1,
            year=year,
        )

    page = NextPage(rows, page_number, per_page)
    page.object_list = [_with_figures(r.organization, r) for r in page.object_list]
    return page


def picked_branch(user, pk, *, limit):
    """(the branch `pk` among those the user manages, None when it is not one of them; without
    `pk` the first they manage, None when they manage none), and up to `limit` + 1 of the
    branches they manage, by path. One query, two when `pk` is past that list: the page does
    not grow with the number of branches an organizer manages."""
    choices = managed_branches(user, limit=limit + 1)
    if pk is None:
        return (choices[0] if choices else None), choices
    branch = next((b for b in choices if b.pk == pk), None)
    if branch is None:
        branch = branch_choices(user).filter(pk=pk).first()
    return branch, choices


def led_branches(user, *, limit=2):
    """Up to `limit` branches the user manages, by path (one query)."""
    managed = organizations_managed_by(user).exclude(kind=OrganizationKind.GROUP)
    return list(managed.filter(kind=OrganizationKind.BRANCH).order_by("path")[:limit])


def organizations_to_log_for(user, *, limit=500):
    """The organizations a user may log a session for, by path (lazy: read by the page)."""
    return organizations_managed_by(user).order_by("path")[:limit]


def hours_rollup_below(organization, year, *, chunk_size=500):
    """`hours_rollup` of every branch below the organization, by path, read `chunk_size`
    branches at a time (memory stays flat for an export of the whole subtree)."""
    ids = []
    for pk in branches_below(organization).values_list("pk", flat=True).iterator(chunk_size):
        ids.append(pk)
        if len(ids) == chunk_size:
            yield from hours_rollup(organization, ids, year)
            ids = []
    if ids:
        yield from hours_rollup(organization, ids, year)
