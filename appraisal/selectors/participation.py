"""Reads of self-assessments, talks and peer reviews."""

from members.models import COMMITTEE_ROLES, Member, Organization, Position, Role

from ..models.cycles import STEP_ORDER, Step
from ..models.participation import HeartToHeartTalk, PeerReview, SelfAssessment
from .cycles import participants

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
