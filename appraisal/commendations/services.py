"""Every write on commendations: propose -> approve (or reject, with a reason) -> publish.

Each move is allowed only from its state and only to the role that may make it; the
historical table keeps every earlier state and who made the change.
"""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.concurrency import version_claim
from members.errors import full_clean
from members.history import save_with_history
from members.models import Member, Organization
from members.permissions import require_perm
from members.services import DomainError, notify_many
from members.uploads import store_private_file
from members.voiding import void_mark

from .models import Commendation, CommendationDocument, CommendationStatus
from .selectors import (
    approver_levels_by_awarding_organization,
    approvers_for,
    leader_ids_by_organization,
)


def _store_document(*, commendation, uploaded, actor):
    return store_private_file(
        CommendationDocument(commendation=commendation),
        uploaded,
        actor=actor,
        error_field="documents",
    )


@transaction.atomic
def commendation_propose(
    *,
    actor,
    title: str,
    awarding_organization: Organization,
    reason: str,
    awarded_on: date,
    member: Member | None = None,
    organization: Organization | None = None,
    title_detail: str = "",
    documents=(),
) -> Commendation:
    """A branch committee or an organizer proposes a commendation for someone they manage."""
    require_perm(actor, "appraisal.propose_commendation")
    if (member is None) == (organization is None):
        raise DomainError(_("Choose either a member or an organization."))
    home = member.branch if member is not None else organization
    require_perm(actor, "members.manage_organization", home)
    if not home.path.startswith(awarding_organization.path):
        raise DomainError(
            {
                "awarding_organization": _(
                    "The awarding organization must be the recipient's own or one above it."
                )
            }
        )
    if organization is not None and awarding_organization.path == home.path:
        raise DomainError(
            {
                "awarding_organization": _(
                    "An organization is commended by an organization above it, not by itself."
                )
            }
        )
    commendation = Commendation(
        member=member,
        organization=organization,
        home_organization=home,
        title=title,
        title_detail=title_detail.strip(),
        awarding_organization=awarding_organization,
        reason=reason,
        awarded_on=awarded_on,
        proposed_by=actor,
    )
    full_clean(commendation)
    save_with_history(commendation, actor, reason="propose")
    for uploaded in documents:
        _store_document(commendation=commendation, uploaded=uploaded, actor=actor)
    return commendation


# What a decider sees of a commendation when deciding (members.concurrency).
_DECISION_FIELDS = ["status", "rejection_reason", "decided_by", "published_by"]


def _locked(commendation):
    return (
        Commendation.objects.select_for_update()
        .select_related("awarding_organization", "home_organization")
        .get(pk=commendation.pk)
    )


def _refuse_unless(commendation, *states):
    if commendation.status not in states:
        raise DomainError(
            _("This commendation is %(status)s; that step is not possible now.")
            % {"status": commendation.get_status_display()}
        )


def _to_decide(actor, commendation, version, state):
    """The commendation locked for a decision, once the actor may decide it, nobody changed it
    since `version` and it is in `state`."""
    commendation = _locked(commendation)
    require_perm(actor, "appraisal.decide_commendation", commendation)
    version_claim(commendation, version, fields=_DECISION_FIELDS)
    _refuse_unless(commendation, state)
    return commendation


def _decided(commendation, actor, status, reason):
    """Record the decision (approved or rejected) and save."""
    commendation.status = status
    commendation.decided_by = actor
    commendation.decided_at = timezone.now()
    return save_with_history(commendation, actor, reason=reason)


@transaction.atomic
def commendation_approve(
    *, actor, commendation: Commendation, version: int | None = None
) -> Commendation:
    commendation = _to_decide(actor, commendation, version, CommendationStatus.PROPOSED)
    return _decided(commendation, actor, CommendationStatus.APPROVED, "approve")


@transaction.atomic
def commendation_reject(
    *, actor, commendation: Commendation, version: int | None = None, reason: str
) -> Commendation:
    commendation = _to_decide(actor, commendation, version, CommendationStatus.PROPOSED)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": _("Give the reason for rejecting the proposal.")})
    commendation.rejection_reason = reason
    return _decided(commendation, actor, CommendationStatus.REJECTED, "reject")


@transaction.atomic
def commendation_publish(
    *, actor, commendation: Commendation, version: int | None = None
) -> Commendation:
    commendation = _to_decide(actor, commendation, version, CommendationStatus.APPROVED)
    commendation.status = CommendationStatus.PUBLISHED
    commendation.published_by = actor
    commendation.published_at = timezone.now()
    save_with_history(commendation, actor, reason="publish")
    if commendation.member_id:
        notify_many(
            kind="appraisal.commendation_published",
            subject=commendation,
            recipient_ids=[commendation.member_id],
            due_date=timezone.localdate(),
            title=_("You have been commended: %(title)s") % {"title": commendation.display_title},
            url=reverse("my_record"),
        )
    return commendation


@transaction.atomic
def commendation_void(*, commendation: Commendation, reason: str, actor) -> Commendation:
    """Void a commendation recorded in error (proposed, approved or published), with a
    written reason; never a deletion.

    Its status becomes "voided": it no longer counts wherever a published commendation does
    (the member's record and page, the rating sheet, the organization's page) and stays in
    the list, marked voided with the reason; the history keeps every earlier state. A member
    told of the published commendation is told it was voided. Decided by the awarding level
    (not by the one commended). Refuses an empty reason, a rejected proposal and a
    commendation already voided."""
    commendation = _locked(commendation)
    require_perm(actor, "appraisal.void_commendation", commendation)
    if commendation.status == CommendationStatus.REJECTED:
        raise DomainError(_("A rejected proposal counts for nothing already; it is not voided."))
    was_published = commendation.status == CommendationStatus.PUBLISHED
    fields = void_mark(
        commendation,
        reason=reason,
        actor=actor,
        already=_("This commendation is already voided."),
    )
    commendation.status = CommendationStatus.VOIDED
    commendation.save(update_fields=[*fields, "status"])
    if was_published and commendation.member_id:
        notify_many(
            kind="appraisal.commendation_voided",
            subject=commendation,
            recipient_ids=[commendation.member_id],
            due_date=timezone.localdate(commendation.voided_at),
            title=_("Your commendation “%(title)s” was voided")
            % {"title": commendation.display_title},
            body=_("Reason: %(reason)s") % {"reason": commendation.void_reason},
            url=reverse("my_record"),
        )
    return commendation


@transaction.atomic
def commendation_document_add(*, actor, commendation: Commendation, uploaded):
    require_perm(actor, "appraisal.add_commendation_document", commendation)
    if commendation.status not in (CommendationStatus.PROPOSED, CommendationStatus.APPROVED):
        raise DomainError(_("Documents are added before the commendation is published."))
    return _store_document(commendation=commendation, uploaded=uploaded, actor=actor)


def commendation_approver_reminders_send(*, today: date | None = None) -> int:
    """Tell the approvers of each proposal waiting for them, once per proposal.

    The notice's key uses the day the proposal was made, so re-runs send nothing new.
    """
    waiting = (
        Commendation.objects.filter(status=CommendationStatus.PROPOSED)
        .select_related("member", "organization", "proposed_by__member")
        .order_by("pk")
    )
    levels = approver_levels_by_awarding_organization(
        waiting.values_list("awarding_organization_id", flat=True).distinct()
    )
    leaders = leader_ids_by_organization(
        waiting.filter(organization__isnull=False).values_list("organization_id", flat=True)
    )
    sent = 0
    for commendation in waiting.iterator(chunk_size=2000):
        proposer = (
            getattr(commendation.proposed_by, "member", None) if commendation.proposed_by else None
        )
        # Neither the proposer nor the commended (the member, or the commended organization's
        # leaders) decides; a level left empty without them passes the proposal up.
        excluded = set(leaders.get(commendation.organization_id, ()))
        if proposer is not None:
            excluded.add(proposer.pk)
        if commendation.member_id:
            excluded.add(commendation.member_id)
        recipients = approvers_for(levels.get(commendation.awarding_organization_id, []), excluded)
        sent += notify_many(
            kind="appraisal.commendation_waiting",
            subject=commendation,
            recipient_ids=recipients,
            due_date=timezone.localdate(commendation.proposed_at),
            title=_("A commendation waits for your approval: %(name)s")
            % {"name": commendation.recipient_name},
            url=reverse("appraisal:commendation_detail", args=[commendation.pk]),
        )
    return sent
