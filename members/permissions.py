"""Who may do what: the one place that decides (DESIGN.md, "Permissions").

A user's reach is derived from their current positions, computed once per request (one
query: the member with their positions and unread count) and kept on the user object for the
rest of that request only:

- self: the member linked to the login account;
- branch leader: a committee role (secretary, deputy secretary, committee member, officers)
  in a branch -> that branch's members and records;
- organizer: the organizer role, or a committee role in a committee or general branch ->
  every organization in that subtree (itself included);
- site admin: Django superuser.

Permissions are named "<app>.<verb>_<thing>" and registered with `rules`. They are checked
one way: a view is wrapped in `permission_required(perm, get_<object>_for_user)` (fetch the
object through the user's scope, 404 outside it, then 403 without the permission); a service,
or a view deciding on something the URL does not name, calls `require_perm`; a template flag
asks `has_perm`. Each app has one `get_<object>_for_user` per object a URL names. List pages
narrow querysets with `members_visible_to` / `organizations_managed_by`, so nothing leaks
through a list or count. Other apps register their own permissions in their permissions.py
from these predicates.
"""

from dataclasses import dataclass, field
from functools import wraps

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, IntegerField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404

from .compiled import Param, compiled_queryset, param_items
from .json_rows import AllRelatedRowsJSON, instances_from_json
from .models import (
    COMMITTEE_ROLES,
    Member,
    Notification,
    Organization,
    OrganizationKind,
    Position,
    Role,
)

_CACHE_ATTR = "_branchsite_scope"
_MEMBER_ATTR = "_branchsite_member"
_POSITIONS_ATTR = "_branchsite_positions"


@dataclass(frozen=True)
class Scope:
    """What one user reaches; computed by `scope_for` from positions (never stored)."""

    member_id: int | None = None
    member_name: str = ""
    branch_id: int | None = None
    branch_path: str = ""
    led_branch_ids: frozenset = field(default_factory=frozenset)
    led_branch_paths: tuple = ()
    organizer_paths: tuple = ()
    is_admin: bool = False

    @property
    def is_branch_leader(self):
        return bool(self.led_branch_ids)

    @property
    def is_organizer(self):
        return bool(self.organizer_paths)

    def reaches_path(self, path):
        """True when an organizer's subtree contains the organization with this path."""
        return any(path.startswith(p) for p in self.organizer_paths)

    def manages_org(self, org):
        if self.is_admin or self.reaches_path(org.path):
            return True
        if org.kind == OrganizationKind.GROUP:
            # A branch leader manages the groups of their branch.
            return any(org.path.startswith(p) for p in self.led_branch_paths)
        return org.id in self.led_branch_ids

    def manages_member(self, member):
        if self.is_admin or member.branch_id in self.led_branch_ids:
            return True
        return bool(self.organizer_paths) and self.reaches_path(member.branch.path)


ANONYMOUS_SCOPE = Scope()


def scope_for(user):
    """The user's Scope, computed with one query once per request and kept on the user."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope, member, positions = _compute_scope(user)
    setattr(user, _CACHE_ATTR, scope)
    setattr(user, _MEMBER_ATTR, member)
    setattr(user, _POSITIONS_ATTR, positions)
    return scope


def _position_order(position):
    """Open positions first, then by end and start, newest first."""
    ended = position.ended_on
    return (
        ended is not None,
        -(ended.toordinal() if ended else 0),
        -position.started_on.toordinal(),
    )


# The unread count as a correlated subquery written once: compiling the ORM's on every page
# costs more than running it. Names from the models only, no value: nothing to inject.
_UNREAD_SQL = (
    f'SELECT COUNT(*) FROM "{Notification._meta.db_table}" n'  # noqa: S608
    f' WHERE n."{Notification._meta.get_field("recipient").column}"'
    f' = "{Member._meta.db_table}"."{Member._meta.pk.column}" AND n."read_at" IS NULL'
)


@compiled_queryset
def _account_member():
    """The member of an account with what scope_for reads, compiled once (members.compiled):
    every page asks it."""
    return (
        Member.objects.filter(account_id=Param("account"))
        .select_related("branch", "group")
        .annotate(
            positions_json=AllRelatedRowsJSON(Position, "member", attach="organization"),
            unread_count=RawSQL(_UNREAD_SQL, (), output_field=IntegerField()),  # noqa: S611
        )[:1]
    )


def _compute_scope(user):
    """(Scope, member, positions) from the database: one query. The member row brings its
    branch and group (joins), all its positions with their organizations (a JSON column) and
    the header's unread count (a count subquery)."""
    member = next(iter(_account_member(account=user.pk)), None)
    led, led_paths, organizer_paths = set(), [], []
    # All the member's positions, newest first: current ones give the reach, and the member's
    # record shows the whole list without asking again (loaded_positions).
    positions = []
    if member is not None:
        positions = instances_from_json(Position, member.positions_json, attach="organization")
        positions.sort(key=_position_order)
        for pos in positions:
            pos.member = member
    if member is not None and member.is_active:
        for pos in positions:
            if not pos.is_current:
                continue
            org = pos.organization
            if pos.role == Role.ORGANIZER or (
                pos.role in COMMITTEE_ROLES
                and org.kind in (OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH)
            ):
                organizer_paths.append(org.path)
            elif pos.role in COMMITTEE_ROLES and org.kind == OrganizationKind.BRANCH:
                led.add(org.id)
                led_paths.append(org.path)
    scope = Scope(
        member_id=member.id if member else None,
        member_name=member.full_name if member else "",
        branch_id=member.branch_id if member else None,
        branch_path=member.branch.path if member else "",
        led_branch_ids=frozenset(led),
        led_branch_paths=tuple(led_paths),
        organizer_paths=tuple(_outermost(organizer_paths)),
        is_admin=user.is_superuser,
    )
    return scope, member, positions


def _outermost(paths):
    """Drop paths already inside another path of the list."""
    kept = []
    for p in sorted(paths, key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def forget_scope(user):
    """Drop the cached scope (after a position changes within one request, and in tests)."""
    for attr in (_CACHE_ATTR, _MEMBER_ATTR, _POSITIONS_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


# --- querysets narrowed to what a user may see -------------------------------------------


def organization_scope_q(user, prefix=""):
    """Q over a model whose organization is reached through `prefix` (e.g. "branch__").

    Matches the organizations the user manages: their led branches (with groups) and their
    organizer subtrees. Matches nothing for a user who manages nothing.
    """
    scope = scope_for(user)
    if scope.is_admin:
        return _EVERYTHING
    return paths_q(scope_paths(scope), prefix)


# Always true, and stays true when OR-ed (an empty Q() would vanish from `a | b`).
_EVERYTHING = Q(pk__isnull=False)


def compiled_scope_q(*, admin, n_paths, prefix=""):
    """`organization_scope_q` in the builder of a compiled queryset (members.compiled): the
    scope's paths are the Params "paths". Its shape and values come from `scope_arguments`."""
    if admin:
        return _EVERYTHING
    return paths_q(param_items("paths", n_paths, CharField()), prefix)


def scope_arguments(user):
    """The shape arguments ("admin", "n_paths") and values ("paths") of the user's scope for
    a compiled queryset built with `compiled_scope_q`, in one dict."""
    scope = scope_for(user)
    if scope.is_admin:
        return {"admin": True, "n_paths": 0}
    paths = scope_paths(scope)
    if not paths:  # a shape without Params
        return {"admin": False, "n_paths": 0}
    return {"admin": False, "n_paths": len(paths), "paths": paths}


def scope_paths(scope):
    """The paths of the organizations a (non-admin) scope manages, with what is below them."""
    return scope.organizer_paths + scope.led_branch_paths


def paths_q(paths, prefix=""):
    """Q: the organization reached through `prefix` is at or below one of `paths` (values, or
    Params of a compiled queryset: members.compiled). Matches nothing without paths."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def managed_or_own(user, queryset, *, prefix, own):
    """`queryset` narrowed to the rows the user manages (their organization reached through
    `prefix`, as in `organization_scope_q`) and the user's own rows: those `own(member_id)`
    (a Q) matches, for a user with a member record. A site admin keeps every row."""
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    q = organization_scope_q(user, prefix=prefix)
    if scope.member_id:
        q |= own(scope.member_id)
    return queryset.filter(q)


def members_visible_to(user, queryset=None):
    """Members whose record the user may read: managed ones, plus themselves."""
    qs = Member.objects.all() if queryset is None else queryset
    return managed_or_own(user, qs, prefix="branch__", own=lambda member_id: Q(pk=member_id))


def members_managed_by(user, queryset=None):
    qs = Member.objects.all() if queryset is None else queryset
    return qs.filter(organization_scope_q(user, prefix="branch__"))


def organizations_managed_by(user, queryset=None):
    qs = Organization.objects.all() if queryset is None else queryset
    return qs.filter(organization_scope_q(user))


def get_member_for_user(user, pk, *, write=False, queryset=None):
    """The member with this pk if the user may read it (or write it), else 404."""
    qs = members_managed_by(user, queryset) if write else members_visible_to(user, queryset)
    return get_object_or_404(qs.select_related("branch", "group", "account"), pk=pk)


def get_organization_for_user(user, pk, queryset=None):
    """An organization the user manages, else 404 (its existence is not disclosed)."""
    return get_object_or_404(organizations_managed_by(user, queryset), pk=pk)


def loaded_positions(user):
    """Every position of the user's member (newest first), as scope_for loaded them."""
    scope_for(user)
    return getattr(user, _POSITIONS_ATTR, [])


def member_id_of(user):
    """The id of the member behind a login account (None without one): from the scope when
    this request computed it, else one small query (no positions, no scope)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached.member_id
    return Member.objects.filter(account=user).values_list("pk", flat=True).first()


def led_branches(user):
    """The branches the user leads (Organization rows, by path), from the positions scope_for
    loaded: no query of its own."""
    led = scope_for(user).led_branch_ids
    branches = {p.organization.pk: p.organization for p in loaded_positions(user)}
    return sorted((branches[pk] for pk in led), key=lambda b: b.path)


def unread_notification_count(user):
    """The user's unread notifications, as counted with the scope (no query of its own)."""
    scope_for(user)
    member = getattr(user, _MEMBER_ATTR, None)
    return member.unread_count if member is not None else 0


def require_member(user):
    """The member behind a login account, or 404 for accounts without one (e.g. admin)."""
    scope = scope_for(user)
    if not scope.member_id:
        raise Http404
    # Loaded by scope_for in this request already (with branch and group).
    return getattr(user, _MEMBER_ATTR)


def get_notification_for_user(user, pk):
    """One of the user's own notifications, else 404 (another's is not disclosed)."""
    member = require_member(user)
    return get_object_or_404(Notification, pk=pk, recipient=member)


# --- checking a permission: the one way ----------------------------------------------------


def has_perm(user, perm, obj=None):
    """Whether the rule registered as `perm` allows `user` (on `obj`).

    Only the rule set decides: a site admin passes where a rule says so (`is_site_admin`,
    `Scope.is_admin`), never merely by being a superuser. Django's `user.has_perm` lets every
    superuser through everything, which would open protection cases to the site admin and let
    a superuser approve the commendation they proposed.
    """
    return rules.has_perm(perm, user, obj)


def require_perm(user, perm, obj=None):
    """Raise PermissionDenied (403) unless `has_perm`; services call it before a write."""
    if not has_perm(user, perm, obj):
        raise PermissionDenied


def permission_required(perm, fetch=None, *, lookup="pk", member=False):
    """Wrap a view: login required, then `perm` checked (403 without it).

    `member=True` is for pages about the user's own part (their ballot, their
    self-assessment): an account with no member record (the site admin) gets 404 there.

    With `fetch` (an app's `get_<object>_for_user(user, value)`), the object named by the
    URL's `lookup` argument is fetched through the user's scope first (404 outside it: its
    existence is not disclosed), `perm` is checked on it, and the view receives the object in
    place of that argument: `def view(request, cycle)`.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if member:
                require_member(request.user)
            if fetch is None:
                require_perm(request.user, perm)
                return view(request, *args, **kwargs)
            obj = fetch(request.user, kwargs.pop(lookup))
            require_perm(request.user, perm, obj)
            return view(request, obj, *args, **kwargs)

        return wrapper

    return decorator


# --- rules predicates ------------------------------------------------------------------


@rules.predicate
def is_site_admin(user):
    return scope_for(user).is_admin


@rules.predicate
def is_organizer(user):
    return scope_for(user).is_organizer


@rules.predicate
def is_branch_leader(user):
    return scope_for(user).is_branch_leader


@rules.predicate
def is_self(user, member):
    return member is not None and scope_for(user).member_id == member.pk


@rules.predicate
def manages_member(user, member):
    return member is not None and scope_for(user).manages_member(member)


@rules.predicate
def manages_organization(user, organization):
    return organization is not None and scope_for(user).manages_org(organization)


@rules.predicate
def has_member_record(user):
    return scope_for(user).member_id is not None


@rules.predicate
def manages_a_branch(user):
    """Leads a branch or organizes above one: somewhere to add or import members into."""
    branches = Organization.objects.filter(kind=OrganizationKind.BRANCH)
    return organizations_managed_by(user, branches).exists()


rules.add_perm("members.view_member", is_self | manages_member)
rules.add_perm("members.change_member", manages_member)
rules.add_perm("members.transfer_member", manages_member)
rules.add_perm("members.manage_organization", manages_organization)
rules.add_perm("members.view_roster", is_site_admin | is_organizer | is_branch_leader)
rules.add_perm("members.view_tree", is_site_admin | is_organizer)
rules.add_perm("members.add_member", manages_a_branch)
# The "work" part of home: for those who run something.
rules.add_perm("members.view_work", is_site_admin | is_organizer | is_branch_leader)
rules.add_perm("members.view_own_record", has_member_record)
# A branch's group robots and delivery log (members/channels): its committee, organizers above.
rules.add_perm("members.manage_channels", manages_organization)
