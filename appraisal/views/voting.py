"""Pages of the ballot: the online ballot, paper ballots and the tally."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from members.page_actions import run_service, submit
from members.permissions import (
    permission_required,
    require_member,
)

from .. import forms
from ..models.cycles import Step
from ..permissions import (
    get_cycle_for_user,
)
from ..selectors import ballot as ballot_selectors
from ..selectors import cycles as cycle_selectors
from ..services import ballot as ballot_services

# --- ballot ----------------------------------------------------------------------------------


def _ballot_state(cycle):
    """What both ballot pages show of the ballot: whether it is open, and how many of the
    eligible voters have voted."""
    n, eligible = ballot_selectors.turnout(cycle)
    return {
        "is_open": cycle.step == Step.BALLOT and not cycle.is_voided,
        "turnout": n,
        "eligible": eligible,
    }


@permission_required("appraisal.vote", get_cycle_for_user, member=True)
def ballot(request, cycle):
    member = require_member(request.user)
    graded = [p.member for p in cycle_selectors.participants(cycle, graded=True)]
    voted = ballot_selectors.has_voted(cycle, member.pk)
    form = forms.BallotForm(request.POST or None, members=graded)
    if request.method == "POST" and not form.is_valid():
        form.add_error(None, _("Grade every member on the ballot."))
    if submit(
        request,
        form,
        lambda: ballot_services.ballot_cast(cycle=cycle, voter=member, grades=form.grades()),
        _("Your ballot is cast. Thank you."),
    ):
        return redirect("appraisal:ballot", cycle.pk)
    context = {
        "cycle": cycle,
        "form": form,
        "voted": voted,
        "grades": list(form.rows()),
        **_ballot_state(cycle),
    }
    # What is graded already (after a refused submission) and where to carry on.
    answered = [m for m, field in context["grades"] if field.value()]
    context["n_answered"] = len(answered)
    context["first_unanswered"] = next((m for m, f in context["grades"] if not f.value()), None)
    return render(request, "appraisal/ballot.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def paper_ballots(request, cycle):
    """Tellers: hand paper ballots to named voters, then enter the collected ballots."""
    graded = [p.member for p in cycle_selectors.participants(cycle, graded=True)]
    not_voted = ballot_selectors.non_voters(cycle) if cycle.step == Step.BALLOT else []
    issue_form = forms.PaperIssueForm(members=not_voted, prefix="issue")
    enter_form = forms.BallotForm(members=graded, required=False, prefix="paper")
    if request.method == "POST" and "issue" in request.POST:
        issue_form = forms.PaperIssueForm(request.POST, members=not_voted, prefix="issue")
        if issue_form.is_valid() and run_service(
            request,
            lambda: ballot_services.paper_ballots_issue(
                cycle=cycle,
                voter_ids=[m.pk for m in issue_form.cleaned_data["voters"]],
                actor=request.user,
            ),
            lambda n: _("%(n)s paper ballot(s) issued.") % {"n": n},
        ):
            return redirect("appraisal:paper_ballots", cycle.pk)
    elif request.method == "POST":
        enter_form = forms.BallotForm(request.POST, members=graded, required=False, prefix="paper")
        if enter_form.is_valid() and run_service(
            request,
            lambda: ballot_services.paper_ballot_enter(
                cycle=cycle, grades=enter_form.grades(), actor=request.user
            ),
            _("Paper ballot entered."),
        ):
            return redirect("appraisal:paper_ballots", cycle.pk)
    context = {
        "cycle": cycle,
        "issue_form": issue_form,
        "enter_form": enter_form,
        "grades": list(enter_form.rows()),
        "box": ballot_selectors.ballot_box(cycle),
        **_ballot_state(cycle),
    }
    return render(request, "appraisal/paper_ballots.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def tally(request, cycle):
    """The ballot's result once it has closed; while it runs, only the turnout."""

    def build():
        result = ballot_selectors.tally(cycle)
        unentered = None
        if result is not None:
            n, eligible = result["turnout"], result["eligible"]
            if result["counted"] != n:
                unentered = _(
                    "%(counted)s ballot(s) count: %(turnout)s voters took part, but "
                    "%(missing)s paper ballot(s) handed out were never entered."
                ) % {"counted": result["counted"], "turnout": n, "missing": n - result["counted"]}
        else:
            n, eligible = ballot_selectors.turnout(cycle)
        return {
            "cycle": cycle,
            "tally": _with_bars(result),
            "turnout": n,
            "eligible": eligible,
            "unentered": unentered,
        }

    return render(request, "appraisal/tally.html", build())


def _with_bars(result):
    """Each shown row's grades as segments of a 100-wide bar (the tally's picture), and the
    same in words for screen readers and print."""
    if result is None:
        return None
    for row in result["rows"]:
        x, row["bar"] = 0.0, []
        for g in row["grades"] if row["shown"] else []:
            width = float(g["share"] or 0)
            if g["count"]:
                row["bar"].append({"grade": g["grade"].value, "x": round(x, 2), "width": width})
            x += width
        row["bar_text"] = " · ".join(
            f"{g['label']} {g['count']}（{g['share']}%）"
            for g in row["grades"]
            if row["shown"] and g["count"]
        )
    return result
