"""Notices to a branch's group and reminders to members (each once: notify_many's unique key)."""

from datetime import date, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.channels.services import group_notice
from members.models import (
    COMMITTEE_ROLES,
    Position,
)
from members.services import notify_many

from ..models.ballot import BallotParticipation
from ..models.cycles import AppraisalCycle, Participant, Step
from ..models.meetings import Rectification, RectificationStatus
from ..models.participation import AssessmentStatus, SelfAssessment

# --- reminders (each once: notify_many's unique key) -------------------------------------------

REMIND_DAYS_BEFORE = 3


def _chunked_ids(qs, field="member_id"):
    return qs.values_list(field, flat=True).order_by(field).iterator(chunk_size=2000)


def _cycle_url(name, cycle):
    return reverse(f"appraisal:{name}", args=[cycle.pk])


def _remind(cycle, kind, recipients, due_date, title, body, page) -> int:
    """Notify the members of `recipients` (a queryset of participants) once about a cycle,
    with a link to one of its pages."""
    return notify_many(
        kind=kind,
        subject=cycle,
        recipient_ids=_chunked_ids(recipients),
        due_date=due_date,
        title=title,
        body=body,
        url=_cycle_url(page, cycle),
    )


def self_assessment_reminders_send(*, today: date | None = None) -> int:
    """Members who have not submitted, from REMIND_DAYS_BEFORE days before the deadline."""
    today = today or timezone.localdate()
    sent = 0
    cycles = (
        AppraisalCycle.objects.not_voided()
        .filter(
            step=Step.SELF_ASSESSMENT,
            self_assessment_due__gte=today,
            self_assessment_due__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
        )
        .select_related("branch")
    )
    for cycle in cycles:
        submitted = SelfAssessment.objects.filter(
            cycle=cycle, status=AssessmentStatus.SUBMITTED
        ).values("member_id")
        recipients = Participant.objects.filter(cycle=cycle).exclude(member_id__in=submitted)
        title = _("Your self-assessment is due on %(date)s") % {
            "date": cycle.self_assessment_due.isoformat()
        }
        body = _("Write and submit your self-assessment for %(cycle)s.") % {"cycle": cycle}
        due, page = cycle.self_assessment_due, "my_self_assessment"
        sent += _remind(cycle, "appraisal.self_assessment_due", recipients, due, title, body, page)
    return sent


def ballot_open_notices_send(*, today: date | None = None) -> int:
    """Tell every voter once that the ballot of their cycle is open.

    Sent to all voters alike, whether they already voted or not, so that the notification
    rows say nothing about who had voted by when.
    """
    today = today or timezone.localdate()
    sent = 0
    ballots = AppraisalCycle.objects.not_voided().filter(step=Step.BALLOT).select_related("branch")
    for cycle in ballots:
        recipients = Participant.objects.voters().filter(cycle=cycle)
        title = _("The democratic ballot is open until %(date)s") % {
            "date": cycle.ballot_closes_on.isoformat()
        }
        body = _("Cast your secret ballot for %(cycle)s.") % {"cycle": cycle}
        due = cycle.ballot_closes_on
        sent += _remind(cycle, "appraisal.ballot_open", recipients, due, title, body, "ballot")
    return sent


def ballot_closing_reminders_send(*, today: date | None = None) -> int:
    """The day before the ballot closes (and after), voters who have not voted yet."""
    today = today or timezone.localdate()
    sent = 0
    for cycle in _ending_by_tomorrow(Step.BALLOT, "ballot_closes_on", today):
        voted = BallotParticipation.objects.filter(cycle=cycle).values("voter_id")
        recipients = Participant.objects.voters().filter(cycle=cycle).exclude(member_id__in=voted)
        eligible = Participant.objects.voters().filter(cycle=cycle).count()
        due = cycle.ballot_closes_on
        with translation.override(settings.LANGUAGE_CODE):
            title = _("The democratic ballot closes on %(date)s") % {"date": due.isoformat()}
            body = _("Not voted yet: %(n)d") % {"n": eligible - voted.count()}
            _group_notice(cycle, "appraisal.ballot_closing", due, title, body, "ballot")
        title = _("The democratic ballot closes on %(date)s") % {"date": due.isoformat()}
        body = _("You have not voted yet in %(cycle)s.") % {"cycle": cycle}
        sent += _remind(cycle, "appraisal.ballot_closing", recipients, due, title, body, "ballot")
    return sent


def _ending_by_tomorrow(step, last_day, today):
    """The cycles at `step` whose `last_day` (a date field) is tomorrow or has passed."""
    return (
        AppraisalCycle.objects.not_voided()
        .filter(step=step, **{f"{last_day}__lte": today + timedelta(days=1)})
        .select_related("branch")
    )


def _committee(branch_id):
    """The current positions on a branch's committee, one row a member (for _chunked_ids)."""
    return (
        Position.objects.current()
        .filter(organization_id=branch_id, role__in=COMMITTEE_ROLES)
        .values("member_id")
        .distinct()
    )


def publicity_ending_reminders_send(*, today: date | None = None) -> int:
    """The branch committee, the day before publicity ends: answer objections, then close."""
    today = today or timezone.localdate()
    sent = 0
    for cycle in _ending_by_tomorrow(Step.PUBLICITY, "publicity_ends_on", today):
        title = _("Publicity of %(cycle)s ends on %(date)s") % {
            "cycle": cycle,
            "date": cycle.publicity_ends_on.isoformat(),
        }
        body = _("Answer any objections; the cycle then closes and the records are written.")
        committee = _committee(cycle.branch_id)
        due = cycle.publicity_ends_on
        kind = "appraisal.publicity_ending"
        sent += _remind(cycle, kind, committee, due, title, body, "publicity")
    return sent


def rectification_reminders_send(*, today: date | None = None) -> int:
    """Owners of open rectification items due within REMIND_DAYS_BEFORE days (or overdue)."""
    today = today or timezone.localdate()
    sent = 0
    due = Rectification.objects.filter(
        status=RectificationStatus.OPEN,
        due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
        meeting__voided_at__isnull=True,
    ).select_related("meeting")
    for item in due.iterator(chunk_size=2000):
        sent += notify_many(
            kind="appraisal.rectification_due",
            subject=item,
            recipient_ids=[item.owner_id],
            due_date=item.due_on,
            title=_("Rectification item due on %(date)s") % {"date": item.due_on.isoformat()},
            body=item.description,
            url=reverse("appraisal:meeting_detail", args=[item.meeting_id]),
        )
    return sent


def cycle_void_notice(cycle: AppraisalCycle) -> int:
    """Every participant hears once that their cycle was voided, and why."""
    title = _("The appraisal %(cycle)s was voided") % {"cycle": cycle}
    body = _("Reason: %(reason)s") % {"reason": cycle.void_reason}
    participants = Participant.objects.filter(cycle=cycle)
    today = timezone.localdate(cycle.voided_at)
    kind, page = "appraisal.cycle_voided", "cycle_detail"
    return _remind(cycle, kind, participants, today, title, body, page)


def step_group_notice(cycle: AppraisalCycle, to_step: str):
    """The branch's group hears once that the ballot opened or publicity started; written in
    the move's transaction, sent by a worker after it commits (members.channels)."""
    with translation.override(settings.LANGUAGE_CODE):
        if to_step == Step.BALLOT:
            voters = Participant.objects.voters().filter(cycle=cycle).count()
            title = _("The democratic ballot is open until %(date)s") % {
                "date": cycle.ballot_closes_on.isoformat()
            }
            body = _("%(cycle)s: cast your secret ballot on the site.\nVoters: %(n)d") % {
                "cycle": cycle,
                "n": voters,
            }
            page, due = "ballot", cycle.ballot_closes_on
        elif to_step == Step.PUBLICITY:
            title = _("Publicity of %(cycle)s runs until %(date)s") % {
                "cycle": cycle,
                "date": cycle.publicity_ends_on.isoformat(),
            }
            body = _("The appraisal results are published on the site; objections are welcome.")
            page, due = "publicity", cycle.publicity_ends_on
        else:
            return
        _group_notice(cycle, f"appraisal.step_{to_step}", due, title, body, page)


def _group_notice(cycle, kind, due_date, title, body, page):
    """A notice to the cycle's branch group, with a link to one of the cycle's pages."""
    group_notice(
        kind=kind,
        subject=cycle,
        branch_ids=[cycle.branch_id],
        due_date=due_date,
        title=title,
        body=body,
        url=_cycle_url(page, cycle),
    )
