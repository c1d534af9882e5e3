"""Reads of the ballot: turnout, who has not voted, the tally once it has closed."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from members.compiled import Param, compiled_queryset
from members.models import Member

from ..models.ballot import BallotBox, BallotCount, BallotParticipation
from ..models.cycles import AppraisalCycle, Grade, Participant
from ..services.ballot import ballot_is_valid, ballots_counted
from .cycles import count_subquery

# --- ballot --------------------------------------------------------------------------------


@compiled_queryset
def _ballot_figures_row():
    outer = OuterRef("pk")
    box = BallotBox.objects.filter(cycle=outer)
    return (
        AppraisalCycle.objects.filter(pk=Param("cycle"))
        .annotate(
            n_turnout=count_subquery(BallotParticipation.objects.filter(cycle=outer)),
            n_eligible=count_subquery(Participant.objects.voters().filter(cycle=outer)),
            n_paper_issued=Coalesce(Subquery(box.values("paper_issued")[:1]), Value(0)),
            n_paper_entered=Coalesce(Subquery(box.values("paper_entered")[:1]), Value(0)),
        )
        .values("n_turnout", "n_eligible", "n_paper_issued", "n_paper_entered")
        .order_by("pk")[:1]
    )


def _ballot_figures(cycle):
    """Ballots cast, eligible voters and the paper ballots of the box, in one query."""
    row = next(iter(_ballot_figures_row(cycle=cycle.pk)), None)
    return row or {"n_turnout": 0, "n_eligible": 0, "n_paper_issued": 0, "n_paper_entered": 0}


def turnout(cycle):
    """(ballots cast, eligible voters): visible while the ballot runs. One query."""
    figures = _ballot_figures(cycle)
    return figures["n_turnout"], figures["n_eligible"]


def has_voted(cycle, member_id):
    return BallotParticipation.objects.filter(cycle=cycle, voter_id=member_id).exists()


def ballot_box(cycle):
    return BallotBox.objects.filter(cycle=cycle).first()


def non_voters(cycle):
    voted = BallotParticipation.objects.filter(cycle=cycle).values("voter_id")
    return list(
        Member.objects.filter(
            pk__in=Participant.objects.voters().filter(cycle=cycle).values("member_id")
        )
        .exclude(pk__in=voted)
        .order_by("full_name", "pk")
    )


def _share(n, total):
    if not total:
        return None
    return (Decimal(n) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@compiled_queryset
def _ballot_counts():
    return BallotCount.objects.filter(cycle_id=Param("cycle")).values_list(
        "member_id", "grade", "count"
    )


@compiled_queryset
def _graded_participants():
    """`participants(cycle, graded=True)`."""
    return (
        Participant.objects.filter(cycle_id=Param("cycle"), graded=True)
        .select_related("member")
        .order_by("member__full_name", "member_id")
    )


def tally(cycle, *, graded=None, counts=None):
    """The ballot's result, or None while the ballot has not closed (results stay hidden).

    Per appraised member: the count and share of each grade; a member's result is withheld
    when fewer than cycle.min_ballots_for_result ballots graded them. Three queries (one
    when the caller passes the graded participants and their counts, {member_id: {grade: n}},
    it already has).
    """
    if not cycle.ballot_closed:
        return None
    if counts is None:
        counts = {}
        for member_id, grade, n in _ballot_counts(cycle=cycle.pk):
            counts.setdefault(member_id, {})[grade] = n
    figures = _ballot_figures(cycle)
    n_turnout, n_eligible = figures["n_turnout"], figures["n_eligible"]
    n_counted = ballots_counted(
        turnout=n_turnout,
        paper_issued=figures["n_paper_issued"],
        paper_entered=figures["n_paper_entered"],
    )
    rows = []
    # Each grade's label translated once, not once per member.
    grade_list = [(g, str(g.label)) for g in Grade]
    if graded is None:
        graded = list(_graded_participants(cycle=cycle.pk))
    for p in graded:
        by_grade = counts.get(p.member_id, {})
        total = sum(by_grade.values())
        shown = total >= cycle.min_ballots_for_result
        rows.append(
            {
                "member": p.member,
                "total": total,
                "shown": shown,
                "grades": [
                    {
                        "grade": g,
                        "label": label,
                        "count": by_grade.get(g.value, 0) if shown else None,
                        "share": _share(by_grade.get(g.value, 0), total) if shown else None,
                    }
                    for g, label in grade_list
                ],
            }
        )
    return {
        "rows": rows,
        "by_member": {r["member"].pk: r for r in rows},
        "turnout": n_turnout,
        "eligible": n_eligible,
        # Participations less the paper ballots issued but never entered: what validity uses.
        "counted": n_counted,
        "valid": ballot_is_valid(cycle, turnout=n_counted, eligible=n_eligible),
        "paper_issued": figures["n_paper_issued"],
        "paper_entered": figures["n_paper_entered"],
        "min_ballots": cycle.min_ballots_for_result,
    }
