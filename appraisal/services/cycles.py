"""Opening appraisal cycles and changing their deadlines; the rules that apply to a branch."""

import itertools
from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from members.concurrency import version_claim
from members.history import save_with_history
from members.models import (
    ACTIVE_STATUSES,
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
)
from members.permissions import has_perm
from members.services import DomainError
from members.voiding import void_mark

from .. import figures
from ..models.ballot import BallotBox
from ..models.cycles import DEADLINE_FIELDS, AppraisalCycle, AppraisalRules, Participant, Step
from .ballot import ballot_seal
from .notices import cycle_void_notice

# --- rules and opening ---------------------------------------------------------------------


def rules_for(*, branch: Organization, year: int) -> dict:
    """The appraisal rules that apply to a branch in a year: the nearest organization with
    rules (the branch itself, then up the tree), rules for the year before rules for every
    year; the defaults when no organization has any."""
    ancestors = {org.pk: org.depth for org in [*Organization.objects.get_ancestors(branch), branch]}
    candidates = AppraisalRules.objects.filter(organization_id__in=ancestors).filter(
        Q(year=year) | Q(year__isnull=True)
    )
    best = max(
        candidates,
        key=lambda r: (ancestors[r.organization_id], r.year is not None),
        default=None,
    )
    source = best or AppraisalRules()
    return source.rule_values()


def _check_deadlines(fields: Mapping):
    dates = [fields[name] for name in DEADLINE_FIELDS]
    if any(a > b for a, b in itertools.pairwise(dates)):
        raise DomainError(
            _(
                "The deadlines must follow the steps: self-assessments, peer review, "
                "ballot opening, ballot closing, rating."
            )
        )


def _open_one(*, branch, year, deadlines, actor, peer_reviews_shown=None) -> AppraisalCycle:
    if branch.kind != OrganizationKind.BRANCH:
        raise DomainError(_("An appraisal cycle is opened for a Party branch."))
    if AppraisalCycle.objects.not_voided().filter(branch=branch, year=year).exists():
        raise DomainError(
            _("%(branch)s already has an appraisal cycle for %(year)s.")
            % {"branch": branch, "year": year}
        )
    rule_values = rules_for(branch=branch, year=year)
    if peer_reviews_shown is not None:
        rule_values["peer_reviews_shown_to_reviewed"] = peer_reviews_shown
    cycle = AppraisalCycle(branch=branch, year=year, opened_by=actor, **deadlines, **rule_values)
    cycle.full_clean()
    save_with_history(cycle, actor)
    figures.refresh_branches([branch.pk], [year])
    members = Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES).values_list(
        "pk", "status"
    )
    Participant.objects.bulk_create(
        Participant(
            cycle=cycle,
            member_id=pk,
            votes=True,
            graded=status == MemberStatus.FULL or cycle.probationary_graded,
        )
        for pk, status in members
    )
    return cycle


@transaction.atomic
def cycle_open(
    *,
    branch: Organization,
    year: int,
    self_assessment_due: date,
    peer_review_due: date,
    ballot_opens_on: date,
    ballot_closes_on: date,
    rating_due: date,
    actor=None,
    peer_reviews_shown: bool | None = None,
) -> AppraisalCycle:
    """Open a branch's appraisal cycle for a year; its members take part as of today.

    Probationary members vote but are graded only when the rules say so.
    """
    deadlines = {
        "self_assessment_due": self_assessment_due,
        "peer_review_due": peer_review_due,
        "ballot_opens_on": ballot_opens_on,
        "ballot_closes_on": ballot_closes_on,
        "rating_due": rating_due,
    }
    _check_deadlines(deadlines)
    return _open_one(
        branch=branch,
        year=year,
        deadlines=deadlines,
        actor=actor,
        peer_reviews_shown=peer_reviews_shown,
    )


@transaction.atomic
def cycles_open_many(
    *, branches: Iterable[Organization], year: int, actor=None, **deadlines
) -> tuple[list[AppraisalCycle], list[Organization]]:
    """Open cycles for many branches at once (an organizer's job).

    Returns (opened, skipped): branches that already have a cycle for the year are skipped.
    """
    _check_deadlines(deadlines)
    opened, skipped = [], []
    branches = list(branches)
    existing = set(
        AppraisalCycle.objects.not_voided()
        .filter(branch__in=branches, year=year)
        .values_list("branch_id", flat=True)
    )
    for branch in branches:
        if branch.pk in existing:
            skipped.append(branch)
            continue
        opened.append(_open_one(branch=branch, year=year, deadlines=deadlines, actor=actor))
    return opened, skipped


@transaction.atomic
def cycle_update(
    *, cycle: AppraisalCycle, actor=None, version: int | None = None, **fields
) -> AppraisalCycle:
    """Change a cycle's deadlines or the peer-comment choice (not its step or results).

    `version`: the one the editor saw; ConcurrentChange when someone saved the cycle since
    (members.concurrency)."""
    allowed = {*DEADLINE_FIELDS, "peer_reviews_shown_to_reviewed"}
    if set(fields) - allowed:
        raise DomainError(_("Only the deadlines and the peer-comment choice can be changed."))
    cycle.refuse_unless_running(_("A closed cycle can no longer be changed."))
    for name, value in fields.items():
        setattr(cycle, name, value)
    version_claim(cycle, version, fields=list(fields))
    _check_deadlines({f: getattr(cycle, f) for f in DEADLINE_FIELDS})
    cycle.full_clean()
    return save_with_history(cycle, actor)


@transaction.atomic
def cycle_void(*, cycle: AppraisalCycle, reason: str, actor) -> AppraisalCycle:
    """Void a cycle opened or run in error, with a written reason; never a deletion.

    Everything it holds stays (participants, self-assessments, ballot counts, ratings,
    records) and the history shows who voided it and why; from then on nothing more is
    written into it, it no longer counts in the appraisal figures, its records are no longer
    the members' results, and the branch may open a new cycle for the year. A ballot still
    open is closed and sealed first (README "Ballot secrecy"). The participants are told.
    Refuses an empty reason and a cycle already voided.
    """
    cycle = AppraisalCycle.objects.locked(cycle)
    if actor is not None and not has_perm(actor, "appraisal.void_cycle", cycle):
        raise DomainError(_("Only those who run this appraisal can void it."))
    fields = void_mark(
        cycle, reason=reason, actor=actor, already=_("This appraisal cycle is already voided.")
    )
    if cycle.step == Step.BALLOT:
        BallotBox.objects.select_for_update().filter(cycle=cycle, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        ballot_seal(cycle)
    cycle.save(update_fields=fields)
    figures.refresh_branches([cycle.branch_id], [cycle.year])
    cycle_void_notice(cycle)
    return cycle
