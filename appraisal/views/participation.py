"""Pages of self-assessments, heart-to-heart talks and peer reviews."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from members.page_actions import submit
from members.permissions import (
    has_perm,
    permission_required,
    require_member,
    scope_for,
)

from .. import forms
from ..models.cycles import Step
from ..models.participation import AssessmentStatus, SelfAssessment
from ..permissions import (
    get_cycle_for_user,
    get_self_assessment_for_user,
)
from ..permissions import (
    takes_part as participates,
)
from ..selectors import cycles as cycle_selectors
from ..selectors import papers as paper_selectors
from ..selectors import participation as participation_selectors
from ..services import participation as participation_services

# --- self-assessment -------------------------------------------------------------------------


@permission_required("appraisal.take_part", get_cycle_for_user, member=True)
def my_self_assessment(request, cycle):
    member = require_member(request.user)
    assessment = participation_selectors.own_self_assessment(cycle, member.pk)
    editable = cycle.is_running and (
        assessment is None or assessment.status != AssessmentStatus.SUBMITTED
    )
    form = forms.SelfAssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    submitting = "submit" in request.POST
    if submit(
        request,
        form,
        lambda: participation_services.self_assessment_save(
            cycle=cycle,
            member=member,
            submit=submitting,
            **{name: form.cleaned_data[name] for name in SelfAssessment.SECTIONS},
        ),
        _("Your self-assessment is submitted.") if submitting else _("Draft saved."),
    ):
        return redirect("appraisal:my_self_assessment", cycle.pk)
    context = {"cycle": cycle, "form": form, "assessment": assessment, "editable": editable}
    return render(request, "appraisal/self_assessment_form.html", context)


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def self_assessment_list(request, cycle):
    rows = participation_selectors.self_assessment_rows(cycle)
    context = {
        "cycle": cycle,
        "rows": rows,
        "n_submitted": sum(1 for r in rows if r["assessment"] and r["assessment"].is_submitted),
    }
    return render(request, "appraisal/self_assessment_list.html", context)


@permission_required("appraisal.view_self_assessment", get_self_assessment_for_user)
def self_assessment_detail(request, assessment):
    manages = has_perm(request.user, "appraisal.return_self_assessment", assessment)
    form = forms.ReturnForm(request.POST or None) if manages else None
    if request.method == "POST" and not manages:
        raise PermissionDenied
    if form is not None and submit(
        request,
        form,
        lambda: participation_services.self_assessment_return(
            assessment=assessment, comment=form.cleaned_data["comment"], actor=request.user
        ),
        _("Returned to %(name)s.") % {"name": assessment.member},
    ):
        return redirect("appraisal:self_assessment_list", assessment.cycle_id)
    context = {
        "assessment": assessment,
        "cycle": assessment.cycle,
        "manages": manages,
        "form": form,
    }
    return render(request, "appraisal/self_assessment_detail.html", context)


# --- talks and peer review -------------------------------------------------------------------


@permission_required("appraisal.manage_cycle", get_cycle_for_user)
def talk_list(request, cycle):
    people = [p.member for p in cycle_selectors.participants(cycle)]
    form = forms.TalkForm(
        request.POST or None,
        members=people,
        talkers_above=participation_selectors.leaders_above(cycle),
    )
    if submit(
        request,
        form,
        lambda: participation_services.talk_log(
            cycle=cycle, actor=request.user, **form.cleaned_data
        ),
        _("Talk recorded."),
    ):
        return redirect("appraisal:talk_list", cycle.pk)
    prep = paper_selectors.preparation(cycle)
    context = {
        "cycle": cycle,
        "form": form,
        "talks": participation_selectors.talks(cycle),
        "missing_talk": prep["missing_talk"],
    }
    return render(request, "appraisal/talk_list.html", context)


@permission_required("appraisal.view_cycle", get_cycle_for_user)
def peer_reviews(request, cycle):
    manages = has_perm(request.user, "appraisal.manage_cycle", cycle)
    takes_part = participates(request.user, cycle)
    context = {"cycle": cycle, "manages": manages, "takes_part": takes_part}
    if takes_part:
        member = require_member(request.user)
        others = [p.member for p in cycle_selectors.participants(cycle) if p.member_id != member.pk]
        form = forms.PeerReviewForm(request.POST or None, members=others)
        if submit(
            request,
            form,
            lambda: participation_services.peer_review_save(
                cycle=cycle, reviewer=member, **form.cleaned_data
            ),
            _("Comment saved."),
        ):
            return redirect("appraisal:peer_reviews", cycle.pk)
        context.update(
            {
                "form": form,
                "open": cycle.step == Step.PEER_REVIEW,
                "mine": participation_selectors.peer_reviews_by(cycle, member),
                "about_me": participation_selectors.peer_comments_about(cycle, member)
                if cycle.peer_reviews_shown_to_reviewed
                else None,
                "about_me_released": participation_selectors.peer_comments_released(cycle),
            }
        )
    elif request.method == "POST":
        raise PermissionDenied
    if manages:
        # Not the comments about the viewer: those they see like any member (names withheld).
        context["all_reviews"] = participation_selectors.peer_reviews_all(
            cycle, viewer_member_id=scope_for(request.user).member_id
        )
    return render(request, "appraisal/peer_reviews.html", context)
