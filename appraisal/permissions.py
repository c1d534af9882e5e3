"""Who may do what in appraisal (Art. 27): the one place that decides.

- the branch committee and organizers above (anyone who manages the cycle's branch) run a
  cycle: move it, read every self-assessment, log talks, rate, answer objections, export;
- only the organization above the branch (organizers, site admin) approves or returns the
  rating — the branch committee cannot approve its own proposal;
- a cycle opened or run in error is voided (with a reason) by those who run it, or, once the
  rating is approved, only by the organization above;
- the members taking part write their own self-assessment, comment on peers, vote, and see
  the results once publicity has started.

Objects are fetched through `cycles_visible_to` (404 outside the user's reach); these
predicates then decide between allowed and 403.
"""

from operator import attrgetter

import rules
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from members.compiled import Param, compiled_queryset
from members.params import MAX_ID
from members.permissions import (
    compiled_scope_q,
    is_branch_leader,
    is_organizer,
    is_site_admin,
    managed_or_own,
    manages_organization,
    organization_scope_q,
    scope_arguments,
    scope_for,
)

from .models.cycles import AppraisalCycle, Participant, RatingState, Step
from .models.meetings import LifeMeeting, Rectification
from .models.participation import SelfAssessment
from .models.results import AppraisalRecord, Objection

# --- querysets narrowed to what a user may see ----------------------------------------------


def cycles_managed_by(user, queryset=None):
    qs = AppraisalCycle.objects.all() if queryset is None else queryset
    return qs.filter(organization_scope_q(user, prefix="branch__"))


def _taking_part_q(member_id):
    """Q on cycles: those the member takes part in (a value, or a Param)."""
    # A subquery, not a join: no duplicate rows, so no DISTINCT over every column.
    return Q(pk__in=Participant.objects.filter(member_id=member_id).values("cycle_id"))


def cycles_visible_to(user, queryset=None):
    """Cycles a user manages, plus those they take part in."""
    qs = AppraisalCycle.objects.all() if queryset is None else queryset
    return managed_or_own(user, qs, prefix="branch__", own=_taking_part_q)


@compiled_queryset
def _visible_cycle(*, admin, n_paths, with_member):
    """The cycle "cycle" if a scope of this shape reaches it (`cycles_visible_to`)."""
    qs = AppraisalCycle.objects.filter(pk=Param("cycle"))
    if not admin:
        q = compiled_scope_q(admin=False, n_paths=n_paths, prefix="branch__")
        if with_member:
            q |= _taking_part_q(Param("member"))
        qs = qs.filter(q)
    return qs.select_related("branch").order_by()


def get_cycle_for_user(user, pk):
    """The cycle if the user manages it or takes part in it, else 404. Read compiled once per
    shape of scope (admin; number of paths; with a member)."""
    if not 0 < pk <= MAX_ID:
        raise Http404
    member_id = scope_for(user).member_id
    cycles = _visible_cycle(
        **scope_arguments(user), with_member=bool(member_id), cycle=pk, member=member_id
    )
    for cycle in cycles:
        return cycle
    raise Http404


def _own_or_managed(user, model, pk):
    """A row of a member in a cycle: for that member, or whoever manages the cycle; else 404."""
    qs = managed_or_own(
        user,
        model.objects.select_related("member", "cycle__branch"),
        prefix="cycle__branch__",
        own=lambda member_id: Q(member_id=member_id),
    )
    return get_object_or_404(qs, pk=pk)


def get_record_for_user(user, pk):
    """An appraisal record: its member, or whoever manages the member's cycle; else 404."""
    return _own_or_managed(user, AppraisalRecord, pk)


def get_self_assessment_for_user(user, pk):
    """A self-assessment: its author, or whoever manages its cycle; anyone else 404."""
    return _own_or_managed(user, SelfAssessment, pk)


def get_objection_for_user(user, pk):
    """An objection in a cycle the user manages or takes part in, else 404."""
    qs = Objection.objects.filter(cycle__in=cycles_visible_to(user)).select_related("cycle__branch")
    return get_object_or_404(qs, pk=pk)


def life_meetings_visible_to(user, queryset=None):
    """Meetings of organizations the user manages, those the user attended, and those that
    gave the user a rectification item."""
    qs = LifeMeeting.objects.all() if queryset is None else queryset
    return managed_or_own(
        user,
        qs,
        prefix="organization__",
        own=lambda member_id: Q(attendees__id=member_id) | Q(rectifications__owner_id=member_id),
    ).distinct()


def get_life_meeting_for_user(user, pk):
    return get_object_or_404(
        life_meetings_visible_to(user).select_related("organization", "cycle"), pk=pk
    )


def get_rectification_for_user(user, pk):
    """A rectification item of a meeting the user may see, else 404."""
    qs = Rectification.objects.filter(
        meeting__in=life_meetings_visible_to(user).values("pk")
    ).select_related("meeting__organization")
    return get_object_or_404(qs, pk=pk)


# --- predicates ------------------------------------------------------------------------------


def managing(name, organization):
    """A predicate: the user manages the organization at `organization` (a dotted attribute
    path) of the object checked."""
    get = attrgetter(organization)
    return rules.predicate(
        lambda user, obj: obj is not None and scope_for(user).manages_org(get(obj)), name=name
    )


def member_is(name, member_id):
    """A predicate: the user is the member whose id is the object's `member_id` attribute."""
    return rules.predicate(
        lambda user, obj: obj is not None and scope_for(user).member_id == getattr(obj, member_id),
        name=name,
    )


manages_cycle = managing("manages_cycle", "branch")


@rules.predicate
def above_cycle(user, cycle):
    """The organization above the branch: an organizer whose subtree holds it, or admin."""
    if cycle is None:
        return False
    scope = scope_for(user)
    return scope.is_admin or scope.reaches_path(cycle.branch.path)


@rules.predicate
def rating_approved(user, cycle):
    return cycle is not None and cycle.rating_state == RatingState.APPROVED


@rules.predicate
def takes_part(user, cycle):
    scope = scope_for(user)
    if cycle is None or not scope.member_id:
        return False
    cache = getattr(cycle, "_participant_cache", None)
    if cache is None:
        cache = {}
        cycle._participant_cache = cache
    if scope.member_id not in cache:
        cache[scope.member_id] = (
            cycle.participants.filter(member_id=scope.member_id).values("graded", "votes").first()
        )
    return cache[scope.member_id] is not None


@rules.predicate
def votes_in(user, cycle):
    return takes_part(user, cycle) and cycle._participant_cache[scope_for(user).member_id]["votes"]


@rules.predicate
def results_published(user, cycle):
    return cycle is not None and cycle.reached(Step.PUBLICITY)


manages_meeting = managing("manages_meeting", "organization")
manages_record = managing("manages_record", "cycle.branch")
owns_record = member_is("owns_record", "member_id")
manages_objection = managing("manages_objection", "cycle.branch")
wrote_assessment = member_is("wrote_assessment", "member_id")
manages_assessment = managing("manages_assessment", "cycle.branch")
manages_rectification = managing("manages_rectification", "meeting.organization")
owns_rectification = member_is("owns_rectification", "owner_id")


@rules.predicate
def has_member_record(user):
    return scope_for(user).member_id is not None


can_lead = is_site_admin | is_organizer | is_branch_leader

rules.add_perm("appraisal.open_cycle", can_lead)
rules.add_perm("appraisal.view_cycles", can_lead | has_member_record)
rules.add_perm("appraisal.view_cycle", manages_cycle | takes_part)
rules.add_perm("appraisal.manage_cycle", manages_cycle)
rules.add_perm("appraisal.move_cycle", manages_cycle)
rules.add_perm("appraisal.approve_rating", above_cycle)
# Voiding a cycle opened or run in error: those who run it, until the organization above has
# approved its rating; from then on only the organization above (it took that decision).
rules.add_perm("appraisal.void_cycle", (manages_cycle & ~rating_approved) | above_cycle)
rules.add_perm("appraisal.take_part", takes_part)
rules.add_perm("appraisal.vote", votes_in)
rules.add_perm("appraisal.view_publicity", manages_cycle | (takes_part & results_published))
rules.add_perm("appraisal.answer_objection", manages_objection)
rules.add_perm("appraisal.view_self_assessment", wrote_assessment | manages_assessment)
# The author reads their own assessment; only someone else who manages the cycle returns it.
rules.add_perm("appraisal.return_self_assessment", ~wrote_assessment & manages_assessment)
rules.add_perm("appraisal.view_record", owns_record | manages_record)
# Nobody corrects their own record, not even the secretary who manages the branch.
rules.add_perm("appraisal.amend_record", manages_record & ~owns_record)
rules.add_perm("appraisal.view_life_meetings", can_lead | has_member_record)
rules.add_perm("appraisal.add_life_meeting", can_lead)
rules.add_perm("appraisal.manage_life_meeting", manages_meeting)
rules.add_perm("appraisal.void_life_meeting", manages_meeting)
rules.add_perm("appraisal.close_rectification", manages_rectification | owns_rectification)
rules.add_perm("appraisal.manage_organization", manages_organization)
