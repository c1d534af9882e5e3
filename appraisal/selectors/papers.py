"""The preparation page, the printable packet and the results export."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from members.xlsx import Sheet

from ..models.ballot import BallotParticipation
from ..models.cycles import Grade, Step
from ..models.participation import HeartToHeartTalk
from ..models.results import Objection, Rating
from .ballot import non_voters, tally
from .participation import self_assessment_rows
from .results import cycle_records

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
