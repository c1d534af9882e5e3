"""The appraisal sections on /me/ (the member's record) and on the home dashboard."""

from django.db.models import (
    OuterRef,
    Q,
    Subquery,
)

from members.permissions import organization_scope_q

from ..models.ballot import BallotParticipation
from ..models.cycles import AppraisalCycle, Participant
from ..models.participation import SelfAssessment
from ..models.results import AppraisalRecord
from .cycles import count_subquery, own_cycles, with_progress
from .meetings import own_rectifications

# --- sections on /me/ and the home dashboard -------------------------------------------------


def record_section(member, *, year):
    """Context for appraisal/_record_section.html on the member's record, or None.

    The member's closed appraisal records of the year and of the year before (with
    corrections), what they still have to do in an appraisal under way, and their open
    rectification items. Four queries.
    """
    both = list(
        AppraisalRecord.objects.filter(member=member, year__in=(year - 1, year))
        .select_related("cycle__branch")
        .prefetch_related("amendments")
    )
    records = [r for r in both if r.year == year]
    previous = [r for r in both if r.year == year - 1]  # "last year's result", read alongside
    open_cycles = [c for c in own_cycles(member.pk, year=year) if not c.is_closed]
    items = own_rectifications(member.pk)
    if not (records or previous or open_cycles or items):
        return None
    return {
        "records": records,
        "previous": previous,
        "open_cycles": open_cycles,
        "rectifications": items,
        "year": year,
    }


def dashboard_section(user, scope, *, year):
    """Context for appraisal/_dashboard_section.html on the home dashboard, or None.

    One query: this year's cycles the user runs or follows (with progress) and the ones they
    take part in (with their own self-assessment status and whether they voted).
    """
    q = organization_scope_q(user, prefix="branch__")
    if scope.member_id:
        q |= Q(pk__in=Participant.objects.filter(member_id=scope.member_id).values("cycle_id"))
    member_id = scope.member_id or 0
    outer = OuterRef("pk")
    cycles = list(
        with_progress(AppraisalCycle.objects.filter(q, year=year))
        .annotate(
            my_part=count_subquery(Participant.objects.filter(cycle=outer, member_id=member_id)),
            my_assessment=Subquery(
                SelfAssessment.objects.filter(cycle=outer, member_id=member_id).values("status")[:1]
            ),
            my_voted=count_subquery(
                BallotParticipation.objects.filter(cycle=outer, voter_id=member_id)
            ),
        )
        .order_by("branch__path")[:50]
    )
    managed = [c for c in cycles if scope.manages_org(c.branch)]
    own = [c for c in cycles if c.my_part and not c.is_closed]
    if not (managed or own):
        return None
    return {"managed": managed, "own": own, "year": year}
