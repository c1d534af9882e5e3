"""Reads of the rating sheet, approved results, objections and records."""

from django.db.models import JSONField, OuterRef, Prefetch, Subquery
from django.db.models.functions import JSONObject

from members import member_facts
from members.compiled import Param, compiled_queryset
from members.json_rows import JSONArrayAgg, instance_from_json, row_json

from ..commendations.selectors import commendations_by_member
from ..models.ballot import BallotCount
from ..models.cycles import Grade, Participant, RatingState, Step
from ..models.results import AppraisalRecord, Objection, Rating, RecordAmendment
from .ballot import tally

# --- rating --------------------------------------------------------------------------------


@compiled_queryset
def _graded_with_rating_and_counts():
    cycle, member = Param("cycle"), OuterRef("member_id")
    counts = (
        BallotCount.objects.filter(cycle_id=cycle, member_id=member)
        .order_by()
        .values("member_id")
        .annotate(j=JSONArrayAgg(JSONObject(grade="grade", n="count")))
        .values("j")
    )
    return (
        Participant.objects.filter(cycle_id=cycle, graded=True)
        .select_related("member")
        .annotate(
            rating_json=row_json(Rating.objects.filter(cycle_id=cycle, member_id=member)),
            counts_json=Subquery(counts, output_field=JSONField()),
        )
        .order_by("member__full_name", "member_id")
        # What the sheet reads of them (the member's id and name): not every column of the
        # member's row, for each appraised member.
        .only("member_id", "member__full_name")
    )


def rating_sheet(cycle):
    """Everything the rating page shows on one page, per appraised member: the ballot tally,
    study hours and attendance for the year, commendations, the proposed grade; and the
    excellent cap. The appraised members come with their rating and ballot counts (columns
    of one query)."""
    graded = list(_graded_with_rating_and_counts(cycle=cycle.pk))
    ids = [p.member_id for p in graded]
    ratings = {}
    for p in graded:
        rating = instance_from_json(Rating, p.rating_json)
        if rating is not None:
            rating.member = p.member
            ratings[p.member_id] = rating
    by_member = {p.member_id: {c["grade"]: c["n"] for c in p.counts_json or []} for p in graded}
    result = tally(cycle, graded=graded, counts=by_member)
    # Study hours and attendance: registered by education (members.member_facts).
    facts = member_facts.facts_for(ids, cycle.year)
    commendations = commendations_by_member(ids, cycle.year)
    rows = []
    for p in graded:
        member_tally = result["by_member"].get(p.member_id) if result else None
        member_facts_ = facts.get(p.member_id, [])
        member_commendations = commendations.get(p.member_id, [])
        rows.append(
            {
                "member": p.member,
                "rating": ratings.get(p.member_id),
                "tally": member_tally,
                "facts": member_facts_,
                "commendations": member_commendations,
                # What each row prints, joined here once rather than by template loops.
                "tally_text": " · ".join(
                    f"{g['label']} {g['count']}（{g['share']}%）" for g in member_tally["grades"]
                )
                if member_tally and member_tally["shown"]
                else "",
                "facts_text": " · ".join(f"{label}：{value}" for label, value in member_facts_),
                "commendations_text": "、".join(c.display_title for c in member_commendations),
            }
        )
    n_excellent = sum(1 for r in ratings.values() if r.grade == Grade.EXCELLENT)
    cap = cycle.excellent_cap(len(graded))
    return {
        "rows": rows,
        "tally": result,
        "n_graded": len(graded),
        "n_rated": len([r for r in rows if r["rating"] and r["rating"].grade]),
        "n_unrated": len([r for r in rows if not (r["rating"] and r["rating"].grade)]),
        "n_excellent": n_excellent,
        "excellent_cap": cap,
        "over_cap": n_excellent > cap,
        "editable": cycle.step == Step.RATING
        and cycle.rating_state in (RatingState.DRAFT, RatingState.RETURNED),
    }


def approved_results(cycle):
    """The approved grades of the appraised members (what publicity shows)."""
    if cycle.rating_state != RatingState.APPROVED:
        return []
    return list(
        Rating.objects.filter(
            cycle=cycle,
            member__appraisal_participations__cycle=cycle,
            member__appraisal_participations__graded=True,
        )
        .select_related("member")
        .order_by("member__full_name", "member_id")
    )


def objections(cycle, *, member_id=None):
    qs = Objection.objects.filter(cycle=cycle).select_related("filed_by", "about", "answered_by")
    if member_id is not None:
        qs = qs.filter(filed_by_id=member_id)
    return list(qs)


def cycle_records(cycle):
    return list(
        AppraisalRecord.objects.filter(cycle=cycle)
        .select_related("member")
        .prefetch_related(
            Prefetch("amendments", queryset=RecordAmendment.objects.select_related("amended_by"))
        )
        .order_by("member__full_name", "member_id")
    )


def record_with_amendments(record):
    return list(record.amendments.select_related("amended_by"))
