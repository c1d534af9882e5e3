"""Who may see and handle protection cases: the one place that decides.

A case is seen only by
- the member it concerns,
- handlers assigned to it (an open CaseAssignment),
- members holding a case-handler position (Role.CASE_HANDLER) at an organization above the
  case's branch who are still organizers there — "supervisors" below.
The case's branch is the member's branch when it was opened (ProtectionCase.branch): the case
stays with the organizations that took it up when the member moves.
Nobody else: not the branch secretary (unless assigned), not a plain organizer, not the site
administrator. Every list, count, search and download goes through `cases_visible_to`, and a
case outside it is a 404 (its existence is never disclosed).

Checks go through `members.permissions.has_perm` (the rule set itself) rather than
`user.has_perm`, which would let every superuser through.
"""

import rules
from django.db.models import CharField, DateField, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from members.compiled import Param, compiled_queryset, param_items
from members.models import ACTIVE_STATUSES, Member, Organization, Position, Role
from members.permissions import scope_for

from .models import (
    CaseAction,
    CaseAssignment,
    CaseEvidence,
    Clarification,
    ProtectionCase,
)

_CACHE_ATTR = "_branchsite_case_handler_paths"


@compiled_queryset
def _handler_paths_of():
    """The paths of the organizations where the member is a case handler on "today"."""
    return (
        Position.objects.current(on=Param("today", DateField()))
        .filter(
            role=Role.CASE_HANDLER,
            member_id=Param("member"),
            member__status__in=ACTIVE_STATUSES,
        )
        .values_list("organization__path", flat=True)
    )


def handler_paths(user):
    """Paths of the organizations whose cases this user handles by designation (cached).

    A designation counts only while the user is still an organizer reaching that
    organization: the access ends with their organizer position.
    """
    scope = scope_for(user)
    if not scope.member_id:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    paths = sorted(_handler_paths_of(member=scope.member_id, today=timezone.localdate()), key=len)
    kept = []
    for p in paths:
        if not scope.reaches_path(p):
            continue
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    result = tuple(kept)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_handler_paths(user):
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _under(paths, branch_path):
    """The Q of cases whose branch (its path being the expression `branch_path`) is under one
    of `paths`; of no paths, none."""
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{branch_path}__startswith": p})
    return q


def _assigned(member_id):
    """The Q of cases the member `member_id` is assigned to handle (an open assignment)."""
    assigned = CaseAssignment.objects.filter(handler_id=member_id, removed_at__isnull=True)
    return Q(pk__in=assigned.values("case_id"))


def visible_cases(queryset, *, member_id, paths):
    """`queryset` narrowed to the cases the member `member_id` may read, `paths` being their
    `handler_paths`: the rule itself, as one condition, for reading one case or counting. The
    values may be Params of a compiled queryset (members.compiled; see `visibility_arguments`).

    The branch's path is read per case by its key (a scalar subquery), not joined: a join
    or an IN over the organizations let PostgreSQL hash every organization in reach before
    reading a case. A list reads the three sources apart (`visible_case_sources`)."""
    if paths:
        branch_path = Organization.objects.filter(pk=OuterRef("branch_id")).values("path")[:1]
        queryset = queryset.alias(_case_branch_path=Subquery(branch_path))
    q = Q(member_id=member_id) | _assigned(member_id) | _under(paths, "_case_branch_path")
    return queryset.filter(q)


def visible_case_sources(queryset, *, member_id, paths):
    """`visible_cases` as the querysets of its sources (their union is the visible set): the
    member's own cases, the cases assigned to them, and with `paths` the cases of the
    branches under them (joined to the branch: the planner reads a small subtree's cases by
    branch and walks a large one's newest first). Read newest first and cut, each source
    costs the rows it gives, where the one condition made a list that shows few of many
    cases read them all."""
    sources = [queryset.filter(member_id=member_id), queryset.filter(_assigned(member_id))]
    if paths:
        sources.append(queryset.filter(_under(paths, "branch__path")))
    return sources


def cases_visible_to(user, queryset=None):
    """The cases this user may read. Every page, count, search and download starts here."""
    qs = ProtectionCase.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    if not scope.member_id:
        return qs.none()
    return visible_cases(qs, member_id=scope.member_id, paths=handler_paths(user))


def visibility_arguments(user):
    """`cases_visible_to` for a compiled queryset: None for a user who reads no case, else the
    shape argument "n_paths" and the values "member" and "paths" of a builder narrowing with
    `compiled_visible_case_sources`."""
    scope = scope_for(user)
    if not scope.member_id:
        return None
    paths = handler_paths(user)
    return {"n_paths": len(paths), "member": scope.member_id, "paths": paths}


def compiled_visible_case_sources(queryset, *, n_paths):
    """`visible_case_sources` in the builder of a compiled queryset, with the Params "member"
    and "paths" (`n_paths` of them) that `visibility_arguments` gives."""
    paths = param_items("paths", n_paths, CharField())
    return visible_case_sources(queryset, member_id=Param("member"), paths=paths)


def get_case_for_user(user, ref, queryset=None):
    """The case with this ref if the user may read it, else 404."""
    qs = cases_visible_to(user, queryset).select_related("member", "member__branch", "branch")
    return get_object_or_404(qs, ref=ref)


def _in_visible_cases(model, user, queryset=None):
    qs = model.objects.all() if queryset is None else queryset
    return qs.filter(case__in=cases_visible_to(user)).select_related(
        "case__member__branch", "case__branch"
    )


def get_case_evidence_for_user(user, ref):
    """An evidence file of a case the user may read, else 404."""
    return get_object_or_404(_in_visible_cases(CaseEvidence, user), ref=ref)


def get_case_action_for_user(user, pk):
    """An action on a case's timeline the user may read, else 404."""
    return get_object_or_404(_in_visible_cases(CaseAction, user), pk=pk)


def get_case_assignment_for_user(user, pk):
    """A handler's open assignment to a case the user may read, else 404."""
    qs = CaseAssignment.objects.filter(removed_at__isnull=True)
    return get_object_or_404(_in_visible_cases(CaseAssignment, user, qs), pk=pk)


def get_clarification_for_user(user, pk):
    """A clarification on a case the user may read, else 404."""
    return get_object_or_404(_in_visible_cases(Clarification, user), pk=pk)


# --- predicates over one case (already fetched through cases_visible_to) ----------------


@rules.predicate
def is_case_member(user, case):
    return case is not None and scope_for(user).member_id == case.member_id


@rules.predicate
def supervises_case(user, case):
    if case is None:
        return False
    path = case.branch.path
    return any(path.startswith(p) for p in handler_paths(user))


@rules.predicate
def is_assigned_to_case(user, case):
    member_id = scope_for(user).member_id
    if case is None or not member_id:
        return False
    cached = getattr(case, "_assigned_handler_ids", None)
    if cached is not None:
        return member_id in cached
    return case.assignments.filter(handler_id=member_id, removed_at__isnull=True).exists()


# The member concerned never handles their own case, whatever else they are.
handles_case = ~is_case_member & (supervises_case | is_assigned_to_case)


@rules.predicate
def may_open_case_for(user, member):
    """A member for themselves; for another member: their branch's leaders or a supervisor."""
    if member is None or member.status not in ACTIVE_STATUSES:
        return False
    scope = scope_for(user)
    if scope.member_id == member.pk:
        return True
    if member.branch_id in scope.led_branch_ids:
        return True
    return any(member.branch.path.startswith(p) for p in handler_paths(user))


rules.add_perm("members.view_case", is_case_member | handles_case)
rules.add_perm("members.handle_case", handles_case)
# A case opened in error is voided (with a reason) by those who handle it.
rules.add_perm("members.void_case", handles_case)
rules.add_perm("members.assign_case", ~is_case_member & supervises_case)
rules.add_perm("members.add_case_evidence", is_case_member | handles_case)
rules.add_perm("members.consent_clarification", is_case_member)
# Who sees "who looked": the member, and the supervisors who answer for the handlers.
rules.add_perm("members.view_case_log", is_case_member | (~is_case_member & supervises_case))
rules.add_perm("members.open_case_for", may_open_case_for)


def _of_its_case(predicate):
    """The predicate applied to the case an action, assignment or clarification belongs to."""

    def test(user, item):
        return item is not None and predicate.test(user, item.case)

    return rules.predicate(test, name=f"{predicate.name}_of_its_case")


rules.add_perm("members.complete_follow_up", _of_its_case(handles_case))
rules.add_perm("members.unassign_case", _of_its_case(~is_case_member & supervises_case))
rules.add_perm("members.consent_to_clarification", _of_its_case(is_case_member))


def members_user_may_open_for(user):
    """Members of the branches a user leads, other than themselves: whom "the branch" may open
    a case for on the open page (a short list that suits a phone)."""
    scope = scope_for(user)
    if not scope.led_branch_ids:
        return Member.objects.none()
    return (
        Member.objects.active()
        .filter(branch_id__in=scope.led_branch_ids)
        .exclude(pk=scope.member_id)
        .select_related("branch")
        .order_by("branch__path", "full_name")
    )
