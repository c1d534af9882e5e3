"""Reads behind appraisal and commendation pages and exports.

Each function runs a fixed number of queries whatever the size of the branch (the pages'
query-count tests pin them at two data sizes).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from members import member_facts
from members.models import COMMITTEE_ROLES, Member, Organization, Position, Role
from members.permissions import organization_scope_q, scope_for
from members.xlsx import Sheet

from .commendations.selectors import commendations_by_member
from .models import (
    ELIGIBLE_VOTER,
    STEP_ORDER,
    AppraisalCycle,
    AppraisalRecord,
    AssessmentStatus,
    BallotBox,
    BallotCount,
    BallotParticipation,
    Grade,
    HeartToHeartTalk,
    Objection,
    Participant,
    PeerReview,
    Rating,
    RatingState,
    RecordAmendment,
    Rectification,
    RectificationStatus,
    SelfAssessment,
    Step,
)
from .permissions import cycles_managed_by, life_meetings_visible_to


def _count(qs):
    """A correlated COUNT subquery over qs (already filtered on cycle=OuterRef("pk"))."""
    sub = qs.order_by().values("cycle").annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _with_progress(qs):
    outer = OuterRef("pk")
    return qs.select_related("branch").annotate(
        n_participants=_count(Participant.objects.filter(cycle=outer)),
        n_voters=_count(Participant.objects.voters().filter(cycle=outer)),
        n_submitted=_count(
            SelfAssessment.objects.filter(cycle=outer, status=AssessmentStatus.SUBMITTED)
        ),
        n_turnout=_count(BallotParticipation.objects.filter(cycle=outer)),
        n_open_objections=_count(Objection.objects.filter(cycle=outer, answered_at__isnull=True)),
    )


def managed_cycle_ids(user, *, year=None):
    """Ids of the cycles the user manages, newest year first: what the list paginates (no
    progress subqueries run for the rows a page does not show)."""
    qs = cycles_managed_by(user)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "branch__path", "pk").values_list("pk", flat=True)


def cycles_with_progress(ids):
    """One page of managed_cycle_ids with their progress, kept in the given order."""
    ids = list(ids)
    rows = {c.pk: c for c in _with_progress(AppraisalCycle.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def own_cycles(member_id, *, year=None):
    """Cycles a member takes part in, newest first, with their own progress."""
    if not member_id:
        return AppraisalCycle.objects.none()
    qs = AppraisalCycle.objects.filter(participants__member_id=member_id)
    if year:
        qs = qs.filter(year=year)
    outer = OuterRef("pk")
    return (
        qs.select_related("branch")
        .annotate(
            my_assessment=Subquery(
                SelfAssessment.objects.filter(cycle=outer, member_id=member_id).values("status")[:1]
            ),
            my_voted=_count(BallotParticipation.objects.filter(cycle=outer, voter_id=member_id)),
        )
        .order_by("-year")
    )


def cycle_years(user):
    years = set(cycles_managed_by(user).values_list("year", flat=True).distinct())
    member_id = scope_for(user).member_id
    if member_id:
        years |= set(
            Participant.objects.filter(member_id=member_id).values_list("cycle__year", flat=True)
        )
    return sorted(years, reverse=True)


def participants(cycle, **filters):
    return list(
        Participant.objects.filter(cycle=cycle, **filters)
        .select_related("member")
        .order_by("member__full_name", "member_id")
    )


def cycle_progress(cycle):
    """The figures behind the stepper, in one query whatever the size of the branch:
    participants, self-assessments submitted, members talked with, voters and ballots cast."""
    member = OuterRef("member_id")
    submitted = SelfAssessment.objects.filter(
        cycle=cycle, member_id=member, status=AssessmentStatus.SUBMITTED
    )
    talked = HeartToHeartTalk.objects.filter(cycle=cycle).filter(
        Q(talker_id=member) | Q(talked_with_id=member)
    )
    voted = BallotParticipation.objects.filter(cycle=cycle, voter_id=member)
    figures = Participant.objects.filter(cycle=cycle).aggregate(
        n_participants=Count("pk"),
        n_submitted=Count("pk", filter=Exists(submitted)),
        n_talked=Count("pk", filter=Exists(talked)),
        n_voters=Count("pk", filter=ELIGIBLE_VOTER),
        n_voted=Count("pk", filter=ELIGIBLE_VOTER & Exists(voted)),
    )
    figures["n_missing_assessment"] = figures["n_participants"] - figures["n_submitted"]
    figures["n_missing_talk"] = figures["n_participants"] - figures["n_talked"]
    figures["n_missing_ballot"] = figures["n_voters"] - figures["n_voted"]
    return figures


def own_part(cycle, member_id):
    """The viewer's part in a cycle (None if they take no part), in one query: whether they
    are graded and vote, the state of their self-assessment, whether they have voted."""
    if not member_id:
        return None
    return (
        Participant.objects.filter(cycle=cycle, member_id=member_id)
        .annotate(
            assessment_status=Subquery(
                SelfAssessment.objects.filter(cycle=cycle, member_id=member_id).values("status")[:1]
            ),
            voted=Exists(BallotParticipation.objects.filter(cycle=cycle, voter_id=member_id)),
        )
        .values("graded", "votes", "assessment_status", "voted")
        .first()
    )


def open_items(cycle):
    """Who has not yet done what the current step asks, by name (for the confirmation before
    moving on): self-assessments, talks, ballots, unanswered objections."""
    step = cycle.step
    if step in (Step.SELF_ASSESSMENT, Step.PEER_REVIEW):
        prep = preparation(cycle)
        if step == Step.SELF_ASSESSMENT:
            return {
                "label": _("Self-assessments not submitted"),
                "members": prep["missing_assessment"],
            }
        return {"label": _("Members not yet talked with"), "members": prep["missing_talk"]}
    if step == Step.BALLOT:
        return {"label": _("Voters who have not voted"), "members": non_voters(cycle)}
    if step == Step.PUBLICITY:
        pending = Objection.objects.filter(cycle=cycle, answered_at__isnull=True).select_related(
            "filed_by"
        )
        return {"label": _("Objections not yet answered"), "members": [o.filed_by for o in pending]}
    return None


def cycle_moves(cycle):
    return list(cycle.moves.select_related("actor"))


# --- self-assessment, talks, peer review ----------------------------------------------------


def self_assessment_rows(cycle):
    """Every participant with their self-assessment (or None): who has not submitted."""
    assessments = {a.member_id: a for a in SelfAssessment.objects.filter(cycle=cycle)}
    rows = []
    for p in participants(cycle):
        a = assessments.get(p.member_id)
        rows.append({"participant": p, "member": p.member, "assessment": a})
    return rows


def own_self_assessment(cycle, member_id):
    return SelfAssessment.objects.filter(cycle=cycle, member_id=member_id).first()


def _ancestor_paths(organization):
    step = Organization.steplen
    return [organization.path[:i] for i in range(step, len(organization.path), step)]


def leaders_above(cycle, *, on=None):
    """Members holding a current committee or organizer position at an organization above the
    cycle's branch (the Party committee's leaders talk with the branch secretary)."""
    return Member.objects.filter(
        pk__in=Position.objects.current(on)
        .filter(
            organization__path__in=_ancestor_paths(cycle.branch),
            role__in=(*COMMITTEE_ROLES, Role.ORGANIZER),
        )
        .values("member_id")
    )


def talks(cycle):
    return list(
        HeartToHeartTalk.objects.filter(cycle=cycle).select_related("talker", "talked_with")
    )


def peer_reviews_all(cycle, *, viewer_member_id=None):
    """Every signed comment, for the committee; never those about the viewer themselves."""
    qs = PeerReview.objects.filter(cycle=cycle)
    if viewer_member_id is not None:
        qs = qs.exclude(reviewed_id=viewer_member_id)
    return list(
        qs.select_related("reviewer", "reviewed").order_by(
            "reviewed__full_name", "reviewer__full_name"
        )
    )


def peer_reviews_by(cycle, member):
    return list(
        PeerReview.objects.filter(cycle=cycle, reviewer=member)
        .select_related("reviewed")
        .order_by("reviewed__full_name")
    )


def peer_comments_released(cycle):
    """Comments reach the member they are about only once the cycle has moved past peer
    review: shown as they were written, the timing would tell a member with few peers who
    wrote which."""
    return STEP_ORDER.index(cycle.step) > STEP_ORDER.index(Step.PEER_REVIEW)


def peer_comments_about(cycle, member):
    """The comments on a member, without who wrote them (shown only if the branch chose so,
    and only after peer review: none before)."""
    if not peer_comments_released(cycle):
        return []
    return list(
        PeerReview.objects.filter(cycle=cycle, reviewed=member)
        .order_by("comment")
        .values_list("comment", flat=True)
    )


# --- ballot --------------------------------------------------------------------------------


def _ballot_figures(cycle):
    """Ballots cast, eligible voters and the paper ballots of the box, in one query."""
    outer = OuterRef("pk")
    box = BallotBox.objects.filter(cycle=outer)
    row = (
        AppraisalCycle.objects.filter(pk=cycle.pk)
        .annotate(
            n_turnout=_count(BallotParticipation.objects.filter(cycle=outer)),
            n_eligible=_count(Participant.objects.voters().filter(cycle=outer)),
            n_paper_issued=Coalesce(Subquery(box.values("paper_issued")[:1]), Value(0)),
            n_paper_entered=Coalesce(Subquery(box.values("paper_entered")[:1]), Value(0)),
        )
        .values("n_turnout", "n_eligible", "n_paper_issued", "n_paper_entered")
        .first()
    )
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


def tally(cycle, *, graded=None):
    """The ballot's result, or None while the ballot has not closed (results stay hidden).

    Per appraised member: the count and share of each grade; a member's result is withheld
    when fewer than cycle.min_ballots_for_result ballots graded them. Three queries (two
    when the caller passes the graded participants it already has).
    """
    if not cycle.ballot_closed:
        return None
    from .services import ballot_is_valid, ballots_counted

    counts = {}
    for member_id, grade, n in BallotCount.objects.filter(cycle=cycle).values_list(
        "member_id", "grade", "count"
    ):
        counts.setdefault(member_id, {})[grade] = n
    figures = _ballot_figures(cycle)
    n_turnout, n_eligible = figures["n_turnout"], figures["n_eligible"]
    n_counted = ballots_counted(
        turnout=n_turnout,
        paper_issued=figures["n_paper_issued"],
        paper_entered=figures["n_paper_entered"],
    )
    rows = []
    grade_list = list(Grade)
    if graded is None:
        graded = participants(cycle, graded=True)
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
                        "label": g.label,
                        "count": by_grade.get(g.value, 0) if shown else None,
                        "share": _share(by_grade.get(g.value, 0), total) if shown else None,
                    }
                    for g in grade_list
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


# --- rating --------------------------------------------------------------------------------


def rating_sheet(cycle):
    """Everything the rating page shows on one page, per appraised member: the ballot tally,
    study hours and attendance for the year, commendations, the proposed grade; and the
    excellent cap."""
    graded = participants(cycle, graded=True)
    ids = [p.member_id for p in graded]
    ratings = {r.member_id: r for r in Rating.objects.filter(cycle=cycle)}
    result = tally(cycle, graded=graded)
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


# --- preparation page and printable packet ---------------------------------------------------


def preparation(cycle):
    """What is missing before the appraisal meeting: self-assessments, talks, ballots."""
    rows = self_assessment_rows(cycle)
    talked = set()
    for a, b in HeartToHeartTalk.objects.filter(cycle=cycle).values_list(
        "talker_id", "talked_with_id"
    ):
        talked.update((a, b))
    voted = None
    if cycle.reached(Step.BALLOT):
        voted = set(
            BallotParticipation.objects.filter(cycle=cycle).values_list("voter_id", flat=True)
        )
    missing_assessment = [
        r["member"] for r in rows if not (r["assessment"] and r["assessment"].is_submitted)
    ]
    missing_talk = [r["member"] for r in rows if r["member"].pk not in talked]
    missing_ballot = (
        [r["member"] for r in rows if r["participant"].votes and r["member"].pk not in voted]
        if voted is not None
        else None
    )
    return {
        "rows": rows,
        "n_participants": len(rows),
        "missing_assessment": missing_assessment,
        "missing_talk": missing_talk,
        "missing_ballot": missing_ballot,
        "n_graded": sum(1 for r in rows if r["participant"].graded),
    }


def packet(cycle):
    """The printable meeting packet: sign-in sheet, blank ballots, self-assessment summaries."""
    rows = self_assessment_rows(cycle)
    return {
        "rows": rows,
        "graded": [r["member"] for r in rows if r["participant"].graded],
        "submitted": [r for r in rows if r["assessment"] and r["assessment"].is_submitted],
        "grades": list(Grade),
    }


# --- exports -------------------------------------------------------------------------------


def results_sheets(cycle):
    """The sheets of the results export (members.xlsx writes them): the ballot tally, the
    ratings and the records; and how many members the tally lists. The ratings' and the
    records' `counted` are set once written."""
    result = tally(cycle)
    header = [_("Member"), _("Ballots")]
    for g in Grade:
        header += [g.label, _("%(grade)s (%%)") % {"grade": g.label}]
    ballot_rows = []
    if result:
        for row in result["rows"]:
            line = [row["member"].full_name, row["total"]]
            for g in row["grades"]:
                line += [g["count"], float(g["share"]) if g["share"] is not None else None]
            ballot_rows.append(line)
        ballot_rows += [
            [],
            [_("Turnout"), result["turnout"], _("Voters"), result["eligible"]],
            [_("Valid"), _("yes") if result["valid"] else _("no")],
        ]
    ballot = Sheet(_("Ballot"), header, ballot_rows, widths=(16,))
    ratings = Sheet(
        pgettext("appraisal step", "Rating"),
        [_("Member"), _("Grade"), _("Reason")],
        (
            [r.member.full_name, r.get_grade_display(), r.reason]
            for r in Rating.objects.filter(cycle=cycle)
            .select_related("member")
            .order_by("member__full_name")
        ),
        widths=(16,),
    )
    records = Sheet(
        _("Records"),
        [_("Member"), _("Year"), _("Grade"), _("Current grade"), _("Amendments"), _("Reason")],
        (
            [
                rec.member.full_name,
                rec.year,
                Grade(rec.grade).label if rec.grade else _("Not graded"),
                rec.get_current_grade_display() or _("Not graded"),
                "；".join(
                    f"{a.amended_at:%Y-%m-%d} {Grade(a.grade).label}：{a.reason}"
                    for a in rec.amendments.all()
                ),
                rec.reason,
            ]
            for rec in cycle_records(cycle)
        ),
        widths=(16,),
    )
    return [ballot, ratings, records], len(result["rows"]) if result else 0


# --- life meetings ---------------------------------------------------------------------------


def life_meetings(user):
    outer = OuterRef("pk")
    return (
        life_meetings_visible_to(user)
        .select_related("organization")
        .annotate(
            n_attendees=Count("attendees", distinct=True),
            n_open_items=Coalesce(
                Subquery(
                    Rectification.objects.filter(meeting=outer, status=RectificationStatus.OPEN)
                    .order_by()
                    .values("meeting")
                    .annotate(n=Count("*"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
        )
        .order_by("-held_on", "-id")
    )


def meeting_detail(meeting):
    return {
        "attendees": list(meeting.attendees.order_by("full_name", "pk")),
        "rectifications": list(meeting.rectifications.select_related("owner")),
    }


def own_rectifications(member_id):
    return list(
        Rectification.objects.filter(owner_id=member_id, status=RectificationStatus.OPEN)
        .select_related("meeting")
        .order_by("due_on")
    )


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
        _with_progress(AppraisalCycle.objects.filter(q, year=year))
        .annotate(
            my_part=_count(Participant.objects.filter(cycle=outer, member_id=member_id)),
            my_assessment=Subquery(
                SelfAssessment.objects.filter(cycle=outer, member_id=member_id).values("status")[:1]
            ),
            my_voted=_count(BallotParticipation.objects.filter(cycle=outer, voter_id=member_id)),
        )
        .order_by("branch__path")[:50]
    )
    managed = [c for c in cycles if scope.manages_org(c.branch)]
    own = [c for c in cycles if c.my_part and not c.is_closed]
    if not (managed or own):
        return None
    return {"managed": managed, "own": own, "year": year}


def rating_waiting(user):
    """Ratings waiting for this organizer's approval (organizations below them)."""
    scope = scope_for(user)
    if not (scope.is_admin or scope.is_organizer):
        return AppraisalCycle.objects.none()
    q = Q()
    if not scope.is_admin:
        q = Q(pk__in=[])
        for path in scope.organizer_paths:
            q |= Q(branch__path__startswith=path)
    return AppraisalCycle.objects.filter(
        q, step=Step.RATING, rating_state=RatingState.SUBMITTED
    ).select_related("branch")
