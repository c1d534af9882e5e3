"""Who may see, propose and decide commendations.

- Propose: a branch leader (secretary, committee) or an organizer, for a member or an
  organization they manage.
- Approve, reject, publish ("decide"): the organization at the awarding level — an organizer
  at or above the awarding organization, or, when a branch commends within itself, that
  branch's secretary; a site admin too. Never the person who proposed it, nor the one
  commended (the member, or a leader of the commended organization).
- Void (one recorded in error, with a reason): the awarding level, as for deciding, except
  that the proposer may void their own; never the one commended.
- See: the managers of the recipient's organization (and the site admin); the member sees
  their own published commendations.

Checks go through `members.permissions.has_perm` (the rule set itself): `user.has_perm`
would let a superuser who proposed something approve it too.
"""

import rules
from django.db.models import Q
from django.shortcuts import get_object_or_404

from members.models import COMMITTEE_ROLES, OrganizationKind, Position, Role
from members.permissions import managed_or_own, manages_organization, scope_for

from ..permissions import can_lead, managing
from .models import Commendation, CommendationDocument, CommendationStatus


def commendations_visible_to(user, queryset=None):
    """Commendations a user may read; every list, count and export starts here."""
    qs = Commendation.objects.all() if queryset is None else queryset
    scope = scope_for(user)
    if not scope.member_id and not scope.is_admin:
        return qs.none()
    return managed_or_own(
        user,
        qs,
        prefix="home_organization__",
        own=lambda member_id: Q(member_id=member_id, status=CommendationStatus.PUBLISHED),
    )


def get_commendation_for_user(user, pk):
    qs = commendations_visible_to(user).select_related(
        "member", "member__branch", "organization", "home_organization", "awarding_organization"
    )
    return get_object_or_404(qs, pk=pk)


def get_commendation_document_for_user(user, pk):
    """A supporting document, only for someone who may read its commendation; else 404."""
    qs = CommendationDocument.objects.filter(commendation__in=commendations_visible_to(user))
    return get_object_or_404(qs, pk=pk)


manages_recipient = managing("manages_recipient", "home_organization")


@rules.predicate
def is_recipient(user, commendation):
    return (
        commendation is not None
        and commendation.member_id is not None
        and commendation.member_id == scope_for(user).member_id
        and commendation.status == CommendationStatus.PUBLISHED
    )


@rules.predicate
def awards_at_its_level(user, commendation):
    """An organizer at or above the awarding organization, or the secretary of an awarding
    branch."""
    if commendation is None:
        return False
    scope = scope_for(user)
    awarding = commendation.awarding_organization
    if scope.is_admin or scope.reaches_path(awarding.path):
        return True
    if awarding.kind != OrganizationKind.BRANCH or not scope.member_id:
        return False
    return (
        Position.objects.current()
        .filter(member_id=scope.member_id, organization_id=awarding.pk, role=Role.SECRETARY)
        .exists()
    )


@rules.predicate
def is_commended(user, commendation):
    """The user is the commended member, or leads the commended organization."""
    if commendation is None:
        return False
    scope = scope_for(user)
    if not scope.member_id:
        return False
    if commendation.member_id is not None:
        return commendation.member_id == scope.member_id
    if commendation.organization_id in scope.led_branch_ids:
        return True
    return (
        Position.objects.current()
        .filter(
            member_id=scope.member_id,
            organization_id=commendation.organization_id,
            role__in=(*COMMITTEE_ROLES, Role.ORGANIZER),
        )
        .exists()
    )


@rules.predicate
def proposed_it(user, commendation):
    return commendation is not None and commendation.proposed_by_id == getattr(user, "pk", None)


may_propose = can_lead

rules.add_perm("appraisal.view_commendation_list", may_propose)
rules.add_perm("appraisal.propose_commendation", may_propose)
rules.add_perm("appraisal.view_commendation", manages_recipient | is_recipient)
rules.add_perm("appraisal.decide_commendation", awards_at_its_level & ~proposed_it & ~is_commended)
rules.add_perm("appraisal.add_commendation_document", manages_recipient)
# A commendation recorded in error is voided by the awarding level, never by the one commended.
rules.add_perm("appraisal.void_commendation", awards_at_its_level & ~is_commended)
rules.add_perm("appraisal.view_commendation_org", manages_organization)
