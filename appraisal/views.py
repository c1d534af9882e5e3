"""appraisal/ pages (Art. 27): thin — fetch within the user's reach, check, call one service.

Objects outside the user's reach are 404 (their existence is not disclosed); objects within
reach that the user may not act on are 403.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.concurrency import ConcurrentChange
from members.models import Member, Organization, OrganizationKind, Position
from members.pagination import BoundedPaginator
from members.params import id_param, page_param, year_param
from members.permissions import organization_scope_q, require_member, scope_for
from members.services import DomainError
from members.xlsx import xlsx_response

from . import forms, selectors, services
from .models import (
    AssessmentStatus,
    Grade,
    Objection,
    Rectification,
    SelfAssessment,
    Step,
)
from .permissions import (
    get_cycle_for_user,
    get_life_meeting_for_user,
    get_record_for_user,
)
from .permissions import (
    takes_part as participates,
)


def _require(user, perm, obj=None):
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def cycle_view(perm):
    """Fetch the cycle within the user's reach (else 404), then check perm on it (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, pk, *args, **kwargs):
            cycle = get_cycle_for_user(request.user, pk)
            _require(request.user, perm, cycle)
            return view(request, cycle, *args, **kwargs)

        return wrapper

    return decorator


def _errors(request, error: DomainError):
    for message in error.messages:
        messages.error(request, message)


# --- cycles ----------------------------------------------------------------------------------


CYCLE_LIST_PER_PAGE = 50


@login_required
def cycle_list(request):
    """Cycles the user runs or follows (with progress; an organizer's one page for all
    branches), and the user's own."""
    _require(request.user, "appraisal.view_cycles")
    year = year_param(request)
    scope = scope_for(request.user)
    ids = selectors.managed_cycle_ids(request.user, year=year)
    page = BoundedPaginator(ids, CYCLE_LIST_PER_PAGE).get_page(page_param(request))
    page.object_list = selectors.cycles_with_progress(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "year": year,
        "years": selectors.cycle_years(request.user),
        "managed": page.object_list,
        "page": page,
        "query": query.urlencode(),
        "own": list(selectors.own_cycles(scope.member_id, year=year)),
        "can_open": request.user.has_perm("appraisal.open_cycle"),
        "waiting": list(selectors.rating_waiting(request.user)[:100]),
    }
    return render(request, "appraisal/cycle_list.html", context)


@login_required
def cycle_open(request):
    _require(request.user, "appraisal.open_cycle")
    form = forms.CycleOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        branches = data.pop("branches")
        try:
            opened, skipped = services.cycles_open_many(
                branches=branches, actor=request.user, **data
            )
        except DomainError as e:
            form.add_error(None, e)
        else:
            if opened:
                messages.success(
                    request,
                    _("Opened %(n)s appraisal cycle(s) for %(year)s.")
                    % {"n": len(opened), "year": data["year"]},
                )
            for branch in skipped:
                messages.warning(
                    request,
                    _("%(branch)s already has a cycle for %(year)s.")
                    % {"branch": branch, "year": data["year"]},
                )
            if len(opened) == 1:
                return redirect("appraisal:cycle_detail", opened[0].pk)
            return redirect(f"{reverse('appraisal:cycle_list')}?year={data['year']}")
    return render(request, "appraisal/cycle_open.html", {"form": form})


@cycle_view("appraisal.view_cycle")
def cycle_detail(request, cycle):
    """The overview: where the cycle stands, what is open in this step, and the next step."""
    manages = request.user.has_perm("appraisal.manage_cycle", cycle)
    own = selectors.own_part(cycle, scope_for(request.user).member_id)
    context = {
        "cycle": cycle,
        "manages": manages,
        "takes_part": own is not None,
        "own": own,
        "own_status": AssessmentStatus(own["assessment_status"]).label
        if own and own["assessment_status"]
        else None,
        "next_step": cycle.next_step(),
    }
    context["next_step_label"] = Step(context["next_step"]).label if context["next_step"] else ""
    if manages:
        context["progress"] = selectors.cycle_progress(cycle)
        context["moves"] = selectors.cycle_moves(cycle)
        context["can_approve"] = request.user.has_perm("appraisal.approve_rating", cycle)
    return render(request, "appraisal/cycle_detail.html", context)


@cycle_view("appraisal.manage_cycle")
def cycle_edit(request, cycle):
    form = forms.CycleEditForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.cycle_update(
                cycle=cycle, actor=request.user, version=form.cleaned_data.get("version"), **fields
            )
        except ConcurrentChange as e:
            form.show_conflict(e)
        except DomainError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Saved."))
            return redirect("appraisal:cycle_detail", cycle.pk)
    return render(request, "appraisal/cycle_edit.html", {"cycle": cycle, "form": form})


@cycle_view("appraisal.move_cycle")
def cycle_move(request, cycle):
    """GET: what is still open in this step, and the form to go ahead; POST: the move."""
    next_step = cycle.next_step()
    form = forms.MoveForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        try:
            move = services.cycle_move(
                cycle=cycle,
                to_step=request.POST.get("to_step", ""),
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as e:
            _errors(request, e)
        else:
            messages.success(
                request,
                _("The cycle moved to “%(step)s”.") % {"step": Step(move.to_step).label},
            )
            if move.from_step == Step.BALLOT:
                return redirect("appraisal:tally", cycle.pk)
            return redirect("appraisal:cycle_detail", cycle.pk)
        return redirect("appraisal:cycle_move", cycle.pk)
    hard, soft = services.move_blockers(cycle) if next_step else ([], [])
    context = {
        "cycle": cycle,
        "manages": True,
        "next_step": next_step,
        "next_label": Step(next_step).label if next_step else "",
        "hard": hard,
        "soft": soft,
        "form": form,
        "open_items": selectors.open_items(cycle),
    }
    return render(request, "appraisal/cycle_move_confirm.html", context)


# --- self-assessment -------------------------------------------------------------------------


@cycle_view("appraisal.take_part")
def my_self_assessment(request, cycle):
    member = require_member(request.user)
    assessment = selectors.own_self_assessment(cycle, member.pk)
    editable = not cycle.is_closed and (
        assessment is None or assessment.status != AssessmentStatus.SUBMITTED
    )
    form = forms.SelfAssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.self_assessment_save(
                    cycle=cycle,
                    member=member,
                    submit="submit" in request.POST,
                    **{name: form.cleaned_data[name] for name in SelfAssessment.SECTIONS},
                )
            except DomainError as e:
                form.add_error(None, e)
            else:
                if "submit" in request.POST:
                    messages.success(request, _("Your self-assessment is submitted."))
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("appraisal:my_self_assessment", cycle.pk)
    context = {"cycle": cycle, "form": form, "assessment": assessment, "editable": editable}
    return render(request, "appraisal/self_assessment_form.html", context)


@cycle_view("appraisal.manage_cycle")
def self_assessment_list(request, cycle):
    rows = selectors.self_assessment_rows(cycle)
    context = {
        "cycle": cycle,
        "rows": rows,
        "n_submitted": sum(1 for r in rows if r["assessment"] and r["assessment"].is_submitted),
    }
    return render(request, "appraisal/self_assessment_list.html", context)


def _get_assessment(user, pk):
    """A self-assessment: its author, or whoever manages its cycle; anyone else 404."""
    assessment = get_object_or_404(
        SelfAssessment.objects.select_related("member", "cycle__branch"), pk=pk
    )
    scope = scope_for(user)
    if assessment.member_id == scope.member_id:
        return assessment, False
    if user.has_perm("appraisal.manage_cycle", assessment.cycle):
        return assessment, True
    raise Http404


@login_required
def self_assessment_detail(request, pk):
    assessment, manages = _get_assessment(request.user, pk)
    form = forms.ReturnForm(request.POST or None) if manages else None
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.self_assessment_return(
                    assessment=assessment, comment=form.cleaned_data["comment"], actor=request.user
                )
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Returned to %(name)s.") % {"name": assessment.member})
                return redirect("appraisal:self_assessment_list", assessment.cycle_id)
    context = {
        "assessment": assessment,
        "cycle": assessment.cycle,
        "manages": manages,
        "form": form,
    }
    return render(request, "appraisal/self_assessment_detail.html", context)


# --- talks and peer review -------------------------------------------------------------------


@cycle_view("appraisal.manage_cycle")
def talk_list(request, cycle):
    people = [p.member for p in selectors.participants(cycle)]
    form = forms.TalkForm(
        request.POST or None, members=people, talkers_above=selectors.leaders_above(cycle)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.talk_log(cycle=cycle, actor=request.user, **form.cleaned_data)
        except DomainError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Talk recorded."))
            return redirect("appraisal:talk_list", cycle.pk)
    prep = selectors.preparation(cycle)
    context = {
        "cycle": cycle,
        "form": form,
        "talks": selectors.talks(cycle),
        "missing_talk": prep["missing_talk"],
    }
    return render(request, "appraisal/talk_list.html", context)


@cycle_view("appraisal.view_cycle")
def peer_reviews(request, cycle):
    manages = request.user.has_perm("appraisal.manage_cycle", cycle)
    takes_part = participates(request.user, cycle)
    context = {"cycle": cycle, "manages": manages, "takes_part": takes_part}
    if takes_part:
        member = require_member(request.user)
        others = [p.member for p in selectors.participants(cycle) if p.member_id != member.pk]
        form = forms.PeerReviewForm(request.POST or None, members=others)
        if request.method == "POST" and form.is_valid():
            try:
                services.peer_review_save(cycle=cycle, reviewer=member, **form.cleaned_data)
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Comment saved."))
                return redirect("appraisal:peer_reviews", cycle.pk)
        context.update(
            {
                "form": form,
                "open": cycle.step == Step.PEER_REVIEW,
                "mine": selectors.peer_reviews_by(cycle, member),
                "about_me": selectors.peer_comments_about(cycle, member)
                if cycle.peer_reviews_shown_to_reviewed
                else None,
                "about_me_released": selectors.peer_comments_released(cycle),
            }
        )
    elif request.method == "POST":
        raise PermissionDenied
    if manages:
        # Not the comments about the viewer: those they see like any member (names withheld).
        context["all_reviews"] = selectors.peer_reviews_all(
            cycle, viewer_member_id=scope_for(request.user).member_id
        )
    return render(request, "appraisal/peer_reviews.html", context)


# --- ballot ----------------------------------------------------------------------------------


@cycle_view("appraisal.vote")
def ballot(request, cycle):
    member = require_member(request.user)
    graded = [p.member for p in selectors.participants(cycle, graded=True)]
    voted = selectors.has_voted(cycle, member.pk)
    is_open = cycle.step == Step.BALLOT
    form = forms.BallotForm(request.POST or None, members=graded)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ballot_cast(cycle=cycle, voter=member, grades=form.grades())
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Your ballot is cast. Thank you."))
                return redirect("appraisal:ballot", cycle.pk)
        else:
            form.add_error(None, _("Grade every member on the ballot."))
    n, eligible = selectors.turnout(cycle)
    context = {
        "cycle": cycle,
        "form": form,
        "voted": voted,
        "is_open": is_open,
        "turnout": n,
        "eligible": eligible,
        "grades": list(form.rows()),
    }
    # What is graded already (after a refused submission) and where to carry on.
    answered = [m for m, field in context["grades"] if field.value()]
    context["n_answered"] = len(answered)
    context["first_unanswered"] = next((m for m, f in context["grades"] if not f.value()), None)
    return render(request, "appraisal/ballot.html", context)


@cycle_view("appraisal.manage_cycle")
def paper_ballots(request, cycle):
    """Tellers: hand paper ballots to named voters, then enter the collected ballots."""
    graded = [p.member for p in selectors.participants(cycle, graded=True)]
    not_voted = selectors.non_voters(cycle) if cycle.step == Step.BALLOT else []
    issue_form = forms.PaperIssueForm(members=not_voted, prefix="issue")
    enter_form = forms.BallotForm(members=graded, required=False, prefix="paper")
    if request.method == "POST":
        try:
            if "issue" in request.POST:
                issue_form = forms.PaperIssueForm(request.POST, members=not_voted, prefix="issue")
                if issue_form.is_valid():
                    n = services.paper_ballots_issue(
                        cycle=cycle,
                        voter_ids=[m.pk for m in issue_form.cleaned_data["voters"]],
                        actor=request.user,
                    )
                    messages.success(request, _("%(n)s paper ballot(s) issued.") % {"n": n})
                    return redirect("appraisal:paper_ballots", cycle.pk)
            else:
                enter_form = forms.BallotForm(
                    request.POST, members=graded, required=False, prefix="paper"
                )
                if enter_form.is_valid():
                    services.paper_ballot_enter(
                        cycle=cycle, grades=enter_form.grades(), actor=request.user
                    )
                    messages.success(request, _("Paper ballot entered."))
                    return redirect("appraisal:paper_ballots", cycle.pk)
        except DomainError as e:
            _errors(request, e)
    n, eligible = selectors.turnout(cycle)
    context = {
        "cycle": cycle,
        "issue_form": issue_form,
        "enter_form": enter_form,
        "grades": list(enter_form.rows()),
        "box": selectors.ballot_box(cycle),
        "is_open": cycle.step == Step.BALLOT,
        "turnout": n,
        "eligible": eligible,
    }
    return render(request, "appraisal/paper_ballots.html", context)


@cycle_view("appraisal.manage_cycle")
def tally(request, cycle):
    """The ballot's result once it has closed; while it runs, only the turnout."""

    def build():
        result = selectors.tally(cycle)
        unentered = None
        if result is not None:
            n, eligible = result["turnout"], result["eligible"]
            if result["counted"] != n:
                unentered = _(
                    "%(counted)s ballot(s) count: %(turnout)s voters took part, but "
                    "%(missing)s paper ballot(s) handed out were never entered."
                ) % {"counted": result["counted"], "turnout": n, "missing": n - result["counted"]}
        else:
            n, eligible = selectors.turnout(cycle)
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


# --- rating ----------------------------------------------------------------------------------


@cycle_view("appraisal.manage_cycle")
def rating(request, cycle):
    if not cycle.reached(Step.RATING):
        messages.info(request, _("The rating is made after the ballot closes."))
        return redirect("appraisal:cycle_detail", cycle.pk)
    if request.method != "POST":
        sheet = selectors.rating_sheet(cycle)
        return render(
            request,
            "appraisal/rating.html",
            _rating_context(request, cycle, sheet, forms.RatingForm(rows=sheet["rows"])),
        )
    sheet = selectors.rating_sheet(cycle)
    form = forms.RatingForm(request.POST, rows=sheet["rows"])
    if not sheet["editable"]:
        raise PermissionDenied
    if form.is_valid():
        entries = form.entries()
        filled = 0
        if "fill_qualified" in request.POST:
            # "The rest qualified": every member still without a grade is rated qualified.
            for member_id, (grade, reason) in entries.items():
                if not grade:
                    entries[member_id] = (Grade.QUALIFIED, reason)
                    filled += 1
        try:
            services.ratings_save(cycle=cycle, entries=entries, actor=request.user)
            if "submit" in request.POST:
                services.rating_submit(cycle=cycle, actor=request.user)
        except DomainError as e:
            _errors(request, e)
        else:
            if "submit" in request.POST:
                messages.success(request, _("The rating is sent for approval."))
            elif "fill_qualified" in request.POST:
                messages.success(
                    request,
                    _(
                        "%(n)s member(s) without a grade are now rated qualified. Check the "
                        "sheet, then send it for approval."
                    )
                    % {"n": filled},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("appraisal:rating", cycle.pk)
    return render(request, "appraisal/rating.html", _rating_context(request, cycle, sheet, form))


def _rating_context(request, cycle, sheet, form):
    return {
        "cycle": cycle,
        "sheet": sheet,
        "form": form,
        "grade_choices": form.grade_choices,
        "can_approve": request.user.has_perm("appraisal.approve_rating", cycle),
        "decision_form": forms.DecisionForm(),
    }


@require_POST
@cycle_view("appraisal.approve_rating")
def rating_decide(request, cycle):
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.rating_decide(
                cycle=cycle,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except DomainError as e:
            _errors(request, e)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Choose approve or return."))
    return redirect("appraisal:rating", cycle.pk)


# --- publicity and records -------------------------------------------------------------------


@cycle_view("appraisal.view_publicity")
def publicity(request, cycle):
    manages = request.user.has_perm("appraisal.manage_cycle", cycle)
    takes_part = participates(request.user, cycle)
    results = selectors.approved_results(cycle) if cycle.reached(Step.PUBLICITY) else []
    form = None
    if takes_part and cycle.step == Step.PUBLICITY:
        member = require_member(request.user)
        form = forms.ObjectionForm(request.POST or None, members=[r.member for r in results])
        if request.method == "POST" and form.is_valid():
            try:
                services.objection_file(cycle=cycle, member=member, **form.cleaned_data)
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Your objection is filed; the committee will answer."))
                return redirect("appraisal:publicity", cycle.pk)
    elif request.method == "POST":
        raise PermissionDenied
    member_id = scope_for(request.user).member_id
    context = {
        "cycle": cycle,
        "results": results,
        "manages": manages,
        "takes_part": takes_part,
        "active_step": Step.CLOSED.value if cycle.is_closed else Step.PUBLICITY.value,
        "form": form,
        "objections": selectors.objections(cycle)
        if manages
        else selectors.objections(cycle, member_id=member_id or 0),
        "answer_form": forms.AnswerForm(),
        "records": selectors.cycle_records(cycle) if manages and cycle.is_closed else [],
    }
    return render(request, "appraisal/publicity.html", context)


@require_POST
@login_required
def objection_answer(request, pk):
    objection = get_object_or_404(Objection.objects.select_related("cycle__branch"), pk=pk)
    get_cycle_for_user(request.user, objection.cycle_id)
    _require(request.user, "appraisal.manage_cycle", objection.cycle)
    form = forms.AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.objection_answer(
                objection=objection, answer=form.cleaned_data["answer"], actor=request.user
            )
        except DomainError as e:
            _errors(request, e)
        else:
            messages.success(request, _("Answer saved."))
    return redirect("appraisal:publicity", objection.cycle_id)


@login_required
def record_detail(request, pk):
    record = get_record_for_user(request.user, pk)
    _require(request.user, "appraisal.view_record", record)
    can_amend = request.user.has_perm("appraisal.amend_record", record)
    form = forms.AmendForm(request.POST or None) if can_amend else None
    if request.method == "POST":
        if not can_amend:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.record_amend(record=record, actor=request.user, **form.cleaned_data)
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("The correction is recorded beside the original."))
                return redirect("appraisal:record_detail", record.pk)
    context = {
        "record": record,
        "amendments": selectors.record_with_amendments(record),
        "form": form,
    }
    return render(request, "appraisal/record_detail.html", context)


# --- preparation, packet, export -------------------------------------------------------------


@cycle_view("appraisal.manage_cycle")
def prepare(request, cycle):
    n, eligible = selectors.turnout(cycle)
    context = {
        "cycle": cycle,
        "prep": selectors.preparation(cycle),
        "turnout": n,
        "eligible": eligible,
    }
    return render(request, "appraisal/prepare.html", context)


@cycle_view("appraisal.manage_cycle")
def packet(request, cycle):
    """The printable packet (A4): agenda, sign-in sheet, blank ballots, self-assessments."""
    services.export_logged(
        actor=request.user, cycle=cycle, what="packet", rows=len(selectors.participants(cycle))
    )
    context = {"cycle": cycle, "today": timezone.localdate(), **selectors.packet(cycle)}
    return render(request, "appraisal/packet.html", context)


@cycle_view("appraisal.manage_cycle")
def export_results(request, cycle):
    sheets, n_tallied = selectors.results_sheets(cycle)
    response = xlsx_response(f"appraisal-{cycle.year}-{cycle.branch_id}.xlsx", sheets)
    n_rows = n_tallied + sheets[1].counted + sheets[2].counted
    services.export_logged(actor=request.user, cycle=cycle, what="results", rows=n_rows)
    return response


# --- life meetings ---------------------------------------------------------------------------


@login_required
def meeting_list(request):
    _require(request.user, "appraisal.view_life_meetings")
    page = BoundedPaginator(selectors.life_meetings(request.user), 30).get_page(page_param(request))
    context = {
        "page": page,
        "can_add": request.user.has_perm("appraisal.add_life_meeting"),
        "my_items": selectors.own_rectifications(scope_for(request.user).member_id),
    }
    return render(request, "appraisal/meeting_list.html", context)


def _meeting_people(organization):
    """Who can attend: a branch's members; for a committee, those holding positions in it."""
    if organization.kind == OrganizationKind.BRANCH:
        return Member.objects.active().filter(branch=organization).order_by("full_name")
    ids = Position.objects.current().filter(organization=organization).values("member_id")
    return Member.objects.active().filter(pk__in=ids).order_by("full_name")


def _meeting_organizations(user):
    return (
        Organization.objects.filter(organization_scope_q(user))
        .exclude(kind=OrganizationKind.GROUP)
        .order_by("path")
    )


@login_required
def meeting_create(request):
    _require(request.user, "appraisal.add_life_meeting")
    organizations = _meeting_organizations(request.user)
    organization_pk = id_param(request, "organization")
    organization = organizations.filter(pk=organization_pk).first() if organization_pk else None
    if organization is None and organizations.count() == 1:
        organization = organizations.first()
    if organization is None:
        return render(
            request,
            "appraisal/meeting_choose_org.html",
            {"organizations": organizations[:500]},
        )
    return _meeting_form(request, None, organization, organizations)


@login_required
def meeting_edit(request, pk):
    meeting = get_life_meeting_for_user(request.user, pk)
    _require(request.user, "appraisal.manage_life_meeting", meeting)
    organizations = _meeting_organizations(request.user).filter(pk=meeting.organization_id)
    return _meeting_form(request, meeting, meeting.organization, organizations)


def _meeting_form(request, meeting, organization, organizations):
    people = _meeting_people(organization)
    initial = {"organization": organization.pk}
    if meeting is None:
        initial["attendees"] = list(people.values_list("pk", flat=True))
        initial["kind"] = (
            "organizational_life_meeting"
            if organization.kind == OrganizationKind.BRANCH
            else "democratic_life_meeting"
        )
    form = forms.LifeMeetingForm(
        request.POST or None,
        instance=meeting,
        initial=initial,
        organizations=organizations,
        members=people,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        attendees = data.pop("attendees")
        try:
            meeting = services.life_meeting_save(
                meeting=meeting, attendees=attendees, actor=request.user, **data
            )
        except ConcurrentChange as e:
            form.show_conflict(e)
        except DomainError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Meeting record saved."))
            return redirect("appraisal:meeting_detail", meeting.pk)
    context = {"form": form, "meeting": meeting, "organization": organization}
    return render(request, "appraisal/meeting_form.html", context)


@login_required
def meeting_detail(request, pk):
    meeting = get_life_meeting_for_user(request.user, pk)
    manages = request.user.has_perm("appraisal.manage_life_meeting", meeting)
    detail = selectors.meeting_detail(meeting)
    form = None
    if manages:
        form = forms.RectificationForm(
            request.POST or None, members=list(_meeting_people(meeting.organization))
        )
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.rectification_add(meeting=meeting, actor=request.user, **form.cleaned_data)
            except DomainError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Rectification item added."))
                return redirect("appraisal:meeting_detail", meeting.pk)
    member_id = scope_for(request.user).member_id
    context = {
        "meeting": meeting,
        "manages": manages,
        "form": form,
        "done_form": forms.RectificationDoneForm(),
        "member_id": member_id,
        **detail,
    }
    return render(request, "appraisal/meeting_detail.html", context)


@require_POST
@login_required
def rectification_done(request, pk):
    item = get_object_or_404(Rectification.objects.select_related("meeting"), pk=pk)
    meeting = get_life_meeting_for_user(request.user, item.meeting_id)
    scope = scope_for(request.user)
    if not (
        request.user.has_perm("appraisal.manage_life_meeting", meeting)
        or item.owner_id == scope.member_id
    ):
        raise PermissionDenied
    form = forms.RectificationDoneForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_complete(
                rectification=item,
                done_on=timezone.localdate(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except DomainError as e:
            _errors(request, e)
        else:
            messages.success(request, _("Marked done."))
    else:
        messages.error(request, _("Say what was done."))
    return redirect("appraisal:meeting_detail", meeting.pk)
