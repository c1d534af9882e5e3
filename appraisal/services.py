"""Every write that matters in appraisal/ (Art. 27): one function per use case, one transaction.

The cycle is a state machine: self-assessment → peer review → democratic ballot →
organizational rating → publicity → closed (publicity is skipped when the rules do not use it).
`cycle_move` is the only way forward; it refuses moves out of order, refuses a move whose hard
condition is unmet (an unapproved rating, unanswered objections), and lets a move whose step is
merely incomplete go ahead only with a written reason, which it records.
"""

import itertools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from members.channels.services import group_notice
from members.concurrency import version_claim
from members.models import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    Position,
)
from members.services import DomainError, audit_log, notify_many

from . import (
    figures,
    permissions,  # noqa: F401  (registers the appraisal permissions)
    selectors,
)
from .models import (
    GRADES_NEEDING_REASON,
    RULE_FIELDS,
    STEP_ORDER,
    AppraisalCycle,
    AppraisalRecord,
    AppraisalRules,
    AssessmentStatus,
    BallotBox,
    BallotCount,
    BallotParticipation,
    CycleMove,
    Grade,
    HeartToHeartTalk,
    LifeMeeting,
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

# --- rules and opening ---------------------------------------------------------------------


def rules_for(*, branch: Organization, year: int) -> dict:
    """The appraisal rules that apply to a branch in a year: the nearest organization with
    rules (the branch itself, then up the tree), rules for the year before rules for every
    year; the defaults when no organization has any."""
    ancestors = {org.pk: org.depth for org in [*Organization.objects.get_ancestors(branch), branch]}
    candidates = AppraisalRules.objects.filter(organization_id__in=ancestors).filter(
        Q(year=year) | Q(year__isnull=True)
    )
    best = max(
        candidates,
        key=lambda r: (ancestors[r.organization_id], r.year is not None),
        default=None,
    )
    source = best or AppraisalRules()
    return {name: getattr(source, name) for name in RULE_FIELDS}


def _check_deadlines(fields: Mapping):
    order = [
        "self_assessment_due",
        "peer_review_due",
        "ballot_opens_on",
        "ballot_closes_on",
        "rating_due",
    ]
    dates = [fields[name] for name in order]
    if any(a > b for a, b in itertools.pairwise(dates)):
        raise DomainError(
            _(
                "The deadlines must follow the steps: self-assessments, peer review, "
                "ballot opening, ballot closing, rating."
            )
        )


def _open_one(*, branch, year, deadlines, actor, peer_reviews_shown=None) -> AppraisalCycle:
    if branch.kind != OrganizationKind.BRANCH:
        raise DomainError(_("An appraisal cycle is opened for a Party branch."))
    if AppraisalCycle.objects.filter(branch=branch, year=year).exists():
        raise DomainError(
            _("%(branch)s already has an appraisal cycle for %(year)s.")
            % {"branch": branch, "year": year}
        )
    rule_values = rules_for(branch=branch, year=year)
    if peer_reviews_shown is not None:
        rule_values["peer_reviews_shown_to_reviewed"] = peer_reviews_shown
    cycle = AppraisalCycle(branch=branch, year=year, opened_by=actor, **deadlines, **rule_values)
    cycle.full_clean()
    cycle._history_user = actor
    cycle.save()
    figures.refresh_branches([branch.pk], [year])
    members = Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES).values_list(
        "pk", "status"
    )
    Participant.objects.bulk_create(
        Participant(
            cycle=cycle,
            member_id=pk,
            votes=True,
            graded=status == MemberStatus.FULL or cycle.probationary_graded,
        )
        for pk, status in members
    )
    return cycle


@transaction.atomic
def cycle_open(
    *,
    branch: Organization,
    year: int,
    self_assessment_due: date,
    peer_review_due: date,
    ballot_opens_on: date,
    ballot_closes_on: date,
    rating_due: date,
    actor=None,
    peer_reviews_shown: bool | None = None,
) -> AppraisalCycle:
    """Open a branch's appraisal cycle for a year; its members take part as of today.

    Probationary members vote but are graded only when the rules say so.
    """
    deadlines = {
        "self_assessment_due": self_assessment_due,
        "peer_review_due": peer_review_due,
        "ballot_opens_on": ballot_opens_on,
        "ballot_closes_on": ballot_closes_on,
        "rating_due": rating_due,
    }
    _check_deadlines(deadlines)
    return _open_one(
        branch=branch,
        year=year,
        deadlines=deadlines,
        actor=actor,
        peer_reviews_shown=peer_reviews_shown,
    )


@transaction.atomic
def cycles_open_many(
    *, branches: Iterable[Organization], year: int, actor=None, **deadlines
) -> tuple[list[AppraisalCycle], list[Organization]]:
    """Open cycles for many branches at once (an organizer's job).

    Returns (opened, skipped): branches that already have a cycle for the year are skipped.
    """
    _check_deadlines(deadlines)
    opened, skipped = [], []
    branches = list(branches)
    existing = set(
        AppraisalCycle.objects.filter(branch__in=branches, year=year).values_list(
            "branch_id", flat=True
        )
    )
    for branch in branches:
        if branch.pk in existing:
            skipped.append(branch)
            continue
        opened.append(_open_one(branch=branch, year=year, deadlines=deadlines, actor=actor))
    return opened, skipped


@transaction.atomic
def cycle_update(
    *, cycle: AppraisalCycle, actor=None, version: int | None = None, **fields
) -> AppraisalCycle:
    """Change a cycle's deadlines or the peer-comment choice (not its step or results).

    `version`: the one the editor saw; ConcurrentChange when someone saved the cycle since
    (members.concurrency)."""
    allowed = {
        "self_assessment_due",
        "peer_review_due",
        "ballot_opens_on",
        "ballot_closes_on",
        "rating_due",
        "peer_reviews_shown_to_reviewed",
    }
    if set(fields) - allowed:
        raise DomainError(_("Only the deadlines and the peer-comment choice can be changed."))
    if cycle.is_closed:
        raise DomainError(_("A closed cycle can no longer be changed."))
    for name, value in fields.items():
        setattr(cycle, name, value)
    version_claim(cycle, version, fields=list(fields))
    _check_deadlines({f: getattr(cycle, f) for f in allowed - {"peer_reviews_shown_to_reviewed"}})
    cycle.full_clean()
    cycle._history_user = actor
    cycle.save()
    return cycle


# --- moving a cycle forward ----------------------------------------------------------------


def move_blockers(cycle: AppraisalCycle, *, today: date | None = None):
    """(hard, soft): what stops the move to the next step, and what is merely incomplete.

    Hard blockers cannot be overridden; soft ones can, with a written reason.
    """
    today = today or timezone.localdate()
    hard, soft = [], []
    participants = Participant.objects.filter(cycle=cycle)
    if cycle.step == Step.SELF_ASSESSMENT:
        missing = participants.exclude(
            member_id__in=SelfAssessment.objects.filter(
                cycle=cycle, status=AssessmentStatus.SUBMITTED
            ).values("member_id")
        ).count()
        if missing:
            soft.append(_("%(n)s member(s) have not submitted a self-assessment.") % {"n": missing})
    elif cycle.step == Step.PEER_REVIEW:
        talked = HeartToHeartTalk.objects.filter(cycle=cycle)
        missing = (
            participants.exclude(member_id__in=talked.values("talker_id"))
            .exclude(member_id__in=talked.values("talked_with_id"))
            .count()
        )
        if missing:
            soft.append(_("%(n)s member(s) have not had a heart-to-heart talk.") % {"n": missing})
    elif cycle.step == Step.BALLOT:
        box = BallotBox.objects.get(cycle=cycle)
        turnout = BallotParticipation.objects.filter(cycle=cycle).count()
        eligible = participants.filter(votes=True).count()
        counted = ballots_counted(
            turnout=turnout, paper_issued=box.paper_issued, paper_entered=box.paper_entered
        )
        if not ballot_is_valid(cycle, turnout=counted, eligible=eligible):
            soft.append(
                _(
                    "Only %(counted)s ballot(s) of %(eligible)s voters count (%(turnout)s took "
                    "part): the ballot is not valid under the rules."
                )
                % {"counted": counted, "turnout": turnout, "eligible": eligible}
            )
        if box.paper_entered < box.paper_issued:
            soft.append(
                _("%(n)s paper ballot(s) were issued but not entered.")
                % {"n": box.paper_issued - box.paper_entered}
            )
        if today < cycle.ballot_closes_on and turnout < eligible:
            soft.append(
                _(
                    "The ballot was announced to close on %(date)s and %(n)s voter(s) have not "
                    "voted yet."
                )
                % {"date": cycle.ballot_closes_on.isoformat(), "n": eligible - turnout}
            )
    elif cycle.step == Step.RATING:
        if cycle.rating_state != RatingState.APPROVED:
            hard.append(_("The organization above has not approved the rating yet."))
    elif cycle.step == Step.PUBLICITY:
        if Objection.objects.filter(cycle=cycle, answered_at__isnull=True).exists():
            hard.append(_("Every objection must be answered before the cycle closes."))
        if cycle.publicity_ends_on and today < cycle.publicity_ends_on:
            soft.append(
                _("Publicity runs until %(date)s.") % {"date": cycle.publicity_ends_on.isoformat()}
            )
    return hard, soft


def ballot_is_valid(cycle: AppraisalCycle, *, turnout: int, eligible: int) -> bool:
    """More than quorum_numerator/quorum_denominator of the voters took part.

    `turnout` is the number of ballots that count (see ballots_counted), not of participations.
    """
    return turnout * cycle.quorum_denominator > eligible * cycle.quorum_numerator


def ballots_counted(*, turnout: int, paper_issued: int, paper_entered: int) -> int:
    """Ballots in the counters: participations less the paper ballots issued but not entered
    (a paper ballot's participation row is written when it is handed out)."""
    return turnout - (paper_issued - paper_entered)


@transaction.atomic
def cycle_move(
    *,
    cycle: AppraisalCycle,
    to_step: str,
    actor=None,
    reason: str = "",
    today: date | None = None,
) -> CycleMove:
    """Move a cycle to its next step (actor None: the system, e.g. publicity ending).

    Refuses a move out of order, by someone who does not manage the branch, or with a hard
    blocker; a move with soft blockers needs a reason, kept in the CycleMove row.
    """
    today = today or timezone.localdate()
    cycle = (
        AppraisalCycle.objects.select_for_update(of=("self",))
        .select_related("branch")
        .get(pk=cycle.pk)
    )
    if actor is not None and not actor.has_perm("appraisal.move_cycle", cycle):
        raise DomainError(
            _("Only the branch committee or the organization above can move this cycle.")
        )
    if to_step not in STEP_ORDER:
        raise DomainError(_("Unknown step."))
    expected = cycle.next_step()
    if expected is None:
        raise DomainError(_("This cycle is closed."))
    if to_step != expected:
        raise DomainError(
            _("The cycle is at “%(current)s”; the next step is “%(next)s”, not “%(asked)s”.")
            % {
                "current": Step(cycle.step).label,
                "next": Step(expected).label,
                "asked": Step(to_step).label,
            }
        )
    hard, soft = move_blockers(cycle, today=today)
    if hard:
        raise DomainError(hard)
    reason = reason.strip()
    if soft and not reason:
        raise DomainError([*soft, _("The step is not complete: give a reason to go ahead anyway.")])
    move = CycleMove.objects.create(
        cycle=cycle,
        from_step=cycle.step,
        to_step=to_step,
        actor=actor,
        incomplete=[str(s) for s in soft],
        reason=reason,
    )
    from_step = cycle.step
    cycle.step = to_step
    if to_step == Step.BALLOT:
        _ballot_open(cycle)
    if from_step == Step.BALLOT:
        BallotBox.objects.select_for_update().filter(cycle=cycle).update(closed_at=timezone.now())
        _ballot_seal(cycle)
    if to_step == Step.PUBLICITY:
        cycle.publicity_starts_on = today
        cycle.publicity_ends_on = today + timedelta(days=cycle.publicity_days)
    _step_group_notice(cycle, to_step)
    if to_step == Step.CLOSED:
        cycle.closed_at = timezone.now()
        _records_write(cycle)
    cycle._history_user = actor
    cycle.save()
    if to_step == Step.CLOSED:
        figures.refresh_branches([cycle.branch_id], [cycle.year])
    return move


def _step_group_notice(cycle: AppraisalCycle, to_step: str):
    """The branch's group hears once that the ballot opened or publicity started; written in
    the move's transaction, sent by a worker after it commits (members.channels)."""
    with translation.override(settings.LANGUAGE_CODE):
        if to_step == Step.BALLOT:
            voters = Participant.objects.filter(cycle=cycle, votes=True).count()
            title = _("The democratic ballot is open until %(date)s") % {
                "date": cycle.ballot_closes_on.isoformat()
            }
            body = _("%(cycle)s: cast your secret ballot on the site.\nVoters: %(n)d") % {
                "cycle": cycle,
                "n": voters,
            }
            url, due = _cycle_url("ballot", cycle), cycle.ballot_closes_on
        elif to_step == Step.PUBLICITY:
            title = _("Publicity of %(cycle)s runs until %(date)s") % {
                "cycle": cycle,
                "date": cycle.publicity_ends_on.isoformat(),
            }
            body = _("The appraisal results are published on the site; objections are welcome.")
            url, due = _cycle_url("publicity", cycle), cycle.publicity_ends_on
        else:
            return
        group_notice(
            kind=f"appraisal.step_{to_step}",
            subject=cycle,
            branch_ids=[cycle.branch_id],
            due_date=due,
            title=title,
            body=body,
            url=url,
        )


def _ballot_open(cycle: AppraisalCycle):
    """Create the ballot box and every counter at zero, before anyone votes."""
    BallotBox.objects.create(cycle=cycle)
    graded = Participant.objects.filter(cycle=cycle, graded=True).values_list(
        "member_id", flat=True
    )
    BallotCount.objects.bulk_create(
        BallotCount(cycle=cycle, member_id=member_id, grade=grade, count=0)
        for member_id in graded.order_by("member_id")
        for grade in Grade.values
    )


def _ballot_seal(cycle: AppraisalCycle):
    """When the ballot closes, erase what the storage says about the order of voting.

    Every counter is rewritten (all then carry the closing transaction's id), and the
    participation rows are deleted and written again in voter order with fresh random keys,
    so their physical order (PostgreSQL ctid, SQLite rowid) no longer follows the voting.
    Old row versions stay in PostgreSQL's storage until VACUUM (README "Ballot secrecy").
    """
    BallotCount.objects.filter(cycle=cycle).update(count=F("count"))
    participations = BallotParticipation.objects.filter(cycle=cycle)
    voter_ids = sorted(participations.values_list("voter_id", flat=True))
    participations.delete()
    BallotParticipation.objects.bulk_create(
        BallotParticipation(cycle=cycle, voter_id=pk) for pk in voter_ids
    )


def _records_write(cycle: AppraisalCycle):
    ratings = {r.member_id: r for r in Rating.objects.filter(cycle=cycle)}
    records = []
    for p in Participant.objects.filter(cycle=cycle):
        rating = ratings.get(p.member_id)
        records.append(
            AppraisalRecord(
                cycle=cycle,
                member_id=p.member_id,
                year=cycle.year,
                graded=p.graded,
                grade=rating.grade if rating and p.graded else "",
                reason=rating.reason if rating and p.graded else "",
            )
        )
    bulk_create_with_history(records, AppraisalRecord)


# --- self-assessment -------------------------------------------------------------------------


def _participant(cycle, member) -> Participant:
    participant = Participant.objects.filter(cycle=cycle, member=member).first()
    if participant is None:
        raise DomainError(_("You are not taking part in this appraisal."))
    return participant


@transaction.atomic
def self_assessment_save(
    *, cycle: AppraisalCycle, member: Member, submit: bool = False, **sections
) -> SelfAssessment:
    """Save the member's draft, or submit it (final until the committee returns it)."""
    _participant(cycle, member)
    if cycle.is_closed:
        raise DomainError(_("This appraisal is closed."))
    assessment, _created = SelfAssessment.objects.select_for_update().get_or_create(
        cycle=cycle, member=member
    )
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise DomainError(
            _("Your self-assessment is submitted; it can change only if the committee returns it.")
        )
    unknown = set(sections) - set(SelfAssessment.SECTIONS)
    if unknown:
        raise DomainError(_("Unknown section."))
    for name, value in sections.items():
        setattr(assessment, name, value.strip())
    if submit:
        empty = [
            str(assessment._meta.get_field(n).verbose_name)
            for n in SelfAssessment.SECTIONS
            if not getattr(assessment, n)
        ]
        if empty:
            raise DomainError(
                _("Fill in every section before submitting: %(sections)s.")
                % {"sections": "、".join(empty)}
            )
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = timezone.now()
    assessment.full_clean()
    assessment._history_user = member.account
    assessment.save()
    return assessment


@transaction.atomic
def self_assessment_return(*, assessment: SelfAssessment, comment: str, actor=None):
    """Return a submitted self-assessment to its author with a comment."""
    assessment = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise DomainError(_("Only a submitted self-assessment can be returned."))
    if not comment.strip():
        raise DomainError(_("Say why the self-assessment is returned."))
    if assessment.cycle.is_closed:
        raise DomainError(_("This appraisal is closed."))
    assessment.status = AssessmentStatus.RETURNED
    assessment.return_comment = comment.strip()
    assessment.returned_at = timezone.now()
    assessment.returned_by = actor
    assessment._history_user = actor
    assessment.save()
    return assessment


# --- talks and peer review ------------------------------------------------------------------


@transaction.atomic
def talk_log(
    *,
    cycle: AppraisalCycle,
    talker: Member,
    talked_with: Member,
    held_on: date,
    note: str = "",
    actor=None,
) -> HeartToHeartTalk:
    if talker.pk == talked_with.pk:
        raise DomainError(_("A heart-to-heart talk is between two people."))
    if cycle.is_closed:
        raise DomainError(_("This appraisal is closed."))
    if not (
        talker.branch_id == cycle.branch_id
        or Participant.objects.filter(cycle=cycle, member=talker).exists()
        or selectors.leaders_above(cycle, on=held_on).filter(pk=talker.pk).exists()
    ):
        raise DomainError(
            _("The person who talked must belong to the branch or lead an organization above it.")
        )
    _participant(cycle, talked_with)
    talk = HeartToHeartTalk(
        cycle=cycle,
        talker=talker,
        talked_with=talked_with,
        held_on=held_on,
        note=note.strip(),
        recorded_by=actor,
    )
    talk.full_clean()
    talk.save()
    return talk


@transaction.atomic
def peer_review_save(
    *, cycle: AppraisalCycle, reviewer: Member, reviewed: Member, comment: str
) -> PeerReview:
    """Leave (or rewrite) a signed comment on a fellow member during peer review."""
    if cycle.step != Step.PEER_REVIEW:
        raise DomainError(_("Peer review is not open."))
    if reviewer.pk == reviewed.pk:
        raise DomainError(_("Peer review is about fellow members, not yourself."))
    _participant(cycle, reviewer)
    _participant(cycle, reviewed)
    if not comment.strip():
        raise DomainError(_("Write a comment."))
    review, _created = PeerReview.objects.update_or_create(
        cycle=cycle, reviewer=reviewer, reviewed=reviewed, defaults={"comment": comment.strip()}
    )
    return review


# --- the secret ballot ---------------------------------------------------------------------


def _locked_open_box(cycle) -> tuple[AppraisalCycle, BallotBox]:
    """Lock the cycle, then its ballot box, and check the ballot is open.

    The lock serializes every cast of the cycle (two tabs of one voter: the second finds the
    first's participation row). Always cycle first, then box — cycle_move takes them in the
    same order, so closing the ballot and casting cannot deadlock.
    """
    cycle = AppraisalCycle.objects.select_for_update().get(pk=cycle.pk)
    box = BallotBox.objects.select_for_update().filter(cycle_id=cycle.pk).first()
    if box is None or box.closed_at is not None or cycle.step != Step.BALLOT:
        raise DomainError(_("The ballot is not open."))
    return cycle, box


def _graded_ids(cycle) -> set[int]:
    return set(
        Participant.objects.filter(cycle=cycle, graded=True).values_list("member_id", flat=True)
    )


def _check_grades(grades: Mapping[int, str], graded: set[int], *, complete: bool):
    grades = {int(k): v for k, v in grades.items() if v}
    if set(grades) - graded:
        raise DomainError(_("The ballot names someone who is not appraised."))
    if complete and set(grades) != graded:
        raise DomainError(_("Grade every member on the ballot."))
    if any(g not in Grade.values for g in grades.values()):
        raise DomainError(_("Unknown grade."))
    return grades


def _count(cycle, grades: Mapping[int, str]):
    """Add one ballot to the counters: ONE UPDATE that rewrites every counter of the cycle.

    Counters the ballot does not touch get `+ 0`. So every counter row version carries the
    same transaction id (PostgreSQL `xmin`): the live rows never single out the counters the
    last ballot changed. No row is inserted. Raises if a (member, grade) pair of the ballot
    has no counter, so no grade is ever dropped silently.
    """
    by_grade: dict[str, list[int]] = {}
    for member_id, grade in grades.items():
        by_grade.setdefault(grade, []).append(member_id)
    counters = BallotCount.objects.filter(cycle=cycle)
    if grades:
        matched = counters.filter(
            Q(*[Q(grade=g, member_id__in=ids) for g, ids in by_grade.items()], _connector=Q.OR)
        ).count()
        if matched != len(grades):
            raise DomainError(
                _("This ballot could not be counted: a member or grade on it has no counter.")
            )
    counters.update(
        count=F("count")
        + Case(
            *[When(grade=g, member_id__in=ids, then=Value(1)) for g, ids in by_grade.items()],
            default=Value(0),
        )
    )


def ballot_cast(*, cycle: AppraisalCycle, voter: Member, grades: Mapping[int, str]) -> None:
    """Cast the voter's one online ballot, grading every appraised member.

    Writes a participation row (who voted; the unique (cycle, voter) constraint and the lock
    on the ballot box make a second ballot impossible, even from two tabs at once) and bumps
    the per-member counters; nothing written links the two. Nothing is audited or history-
    tracked here on purpose. Returns nothing: not even the caller learns a row id.
    """
    with transaction.atomic():
        cycle, _box = _locked_open_box(cycle)
        if not Participant.objects.filter(cycle=cycle, member=voter, votes=True).exists():
            raise DomainError(_("You are not a voter in this ballot."))
        if BallotParticipation.objects.filter(cycle=cycle, voter=voter).exists():
            raise DomainError(_("You have already voted in this ballot."))
        grades = _check_grades(grades, _graded_ids(cycle), complete=True)
        # No savepoint (a nested atomic would give the INSERT a subtransaction id of its own,
        # unlike the counters). An IntegrityError here leaves this block, rolling it all back.
        try:
            BallotParticipation.objects.create(cycle=cycle, voter=voter)
        except IntegrityError:
            raise DomainError(_("You have already voted in this ballot.")) from None
        _count(cycle, grades)


@transaction.atomic
def paper_ballots_issue(*, cycle: AppraisalCycle, voter_ids: Iterable[int], actor=None) -> int:
    """Hand paper ballots to voters who have not voted online: they then cannot vote online.

    Issue the paper ballots before the voting starts and enter them after the box is
    collected, so the order of entry says nothing about who filled which ballot.
    """
    cycle, box = _locked_open_box(cycle)
    voter_ids = set(voter_ids)
    eligible = set(
        Participant.objects.filter(cycle=cycle, votes=True, member_id__in=voter_ids).values_list(
            "member_id", flat=True
        )
    )
    if voter_ids - eligible:
        raise DomainError(_("Paper ballots go only to the voters of this ballot."))
    voted = set(
        BallotParticipation.objects.filter(cycle=cycle, voter_id__in=voter_ids).values_list(
            "voter_id", flat=True
        )
    )
    if voted:
        names = Member.objects.filter(pk__in=voted).values_list("full_name", flat=True)
        raise DomainError(_("Already voted: %(names)s.") % {"names": "、".join(sorted(names))})
    BallotParticipation.objects.bulk_create(
        BallotParticipation(cycle=cycle, voter_id=pk) for pk in sorted(voter_ids)
    )
    BallotBox.objects.filter(pk=box.pk).update(paper_issued=F("paper_issued") + len(voter_ids))
    audit_log(actor=actor, action="appraisal.paper_ballots_issued", obj=cycle, n=len(voter_ids))
    return len(voter_ids)


@transaction.atomic
def paper_ballot_enter(*, cycle: AppraisalCycle, grades: Mapping[int, str], actor=None) -> None:
    """A teller enters one collected paper ballot (blank lines count for nobody)."""
    cycle, box = _locked_open_box(cycle)
    if box.paper_entered >= box.paper_issued:
        raise DomainError(_("Every paper ballot issued has already been entered."))
    grades = _check_grades(grades, _graded_ids(cycle), complete=False)
    BallotBox.objects.filter(pk=box.pk).update(paper_entered=F("paper_entered") + 1)
    _count(cycle, grades)


# --- rating ------------------------------------------------------------------------------------


def _check_rating_editable(cycle):
    if cycle.step != Step.RATING:
        raise DomainError(_("The rating is made after the ballot closes."))
    if cycle.rating_state not in (RatingState.DRAFT, RatingState.RETURNED):
        raise DomainError(_("The rating is waiting for approval or approved; it cannot change."))


@transaction.atomic
def ratings_save(*, cycle: AppraisalCycle, entries: Mapping[int, tuple[str, str]], actor=None):
    """Save the committee's proposed grades: {member_id: (grade, reason)}; empty grade skips.

    "Basically qualified" and "unqualified" need a written reason.
    """
    cycle = AppraisalCycle.objects.select_for_update().get(pk=cycle.pk)
    _check_rating_editable(cycle)
    graded = _graded_ids(cycle)
    existing = {r.member_id: r for r in Rating.objects.filter(cycle=cycle)}
    names = dict(Member.objects.filter(pk__in=entries).values_list("pk", "full_name"))
    errors = []
    for member_id, (grade, reason) in entries.items():
        if not grade:
            continue
        if member_id not in graded:
            raise DomainError(_("Only appraised members are rated."))
        reason = (reason or "").strip()
        if grade in GRADES_NEEDING_REASON and not reason:
            errors.append(
                _("%(name)s: “%(grade)s” needs a written reason.")
                % {"name": names.get(member_id, member_id), "grade": Grade(grade).label}
            )
            continue
        rating = existing.get(member_id) or Rating(cycle=cycle, member_id=member_id)
        if rating.pk and (rating.grade, rating.reason) == (grade, reason):
            continue
        rating.grade, rating.reason, rating.proposed_by = grade, reason, actor
        rating.full_clean()
        rating._history_user = actor
        rating.save()
    if errors:
        raise DomainError(errors)


@transaction.atomic
def rating_submit(*, cycle: AppraisalCycle, actor=None) -> AppraisalCycle:
    """Send the rating to the organization above; every appraised member must be rated."""
    cycle = AppraisalCycle.objects.select_for_update().get(pk=cycle.pk)
    _check_rating_editable(cycle)
    rated = set(Rating.objects.filter(cycle=cycle).values_list("member_id", flat=True))
    missing = _graded_ids(cycle) - rated
    if missing:
        raise DomainError(
            _("%(n)s appraised member(s) have no proposed grade yet.") % {"n": len(missing)}
        )
    cycle.rating_state = RatingState.SUBMITTED
    cycle._history_user = actor
    cycle.save(update_fields=["rating_state"])
    return cycle


@transaction.atomic
def rating_decide(
    *, cycle: AppraisalCycle, approve: bool, comment: str = "", actor=None
) -> AppraisalCycle:
    """The organization above approves the rating, or returns it with a comment."""
    cycle = (
        AppraisalCycle.objects.select_for_update(of=("self",))
        .select_related("branch")
        .get(pk=cycle.pk)
    )
    if actor is not None and not actor.has_perm("appraisal.approve_rating", cycle):
        raise DomainError(_("Only the organization above the branch approves its rating."))
    if cycle.step != Step.RATING or cycle.rating_state != RatingState.SUBMITTED:
        raise DomainError(_("There is no rating waiting for approval."))
    if not approve and not comment.strip():
        raise DomainError(_("Say why the rating is returned."))
    cycle.rating_state = RatingState.APPROVED if approve else RatingState.RETURNED
    cycle.rating_comment = comment.strip()
    cycle.rating_decided_by = actor
    cycle.rating_decided_at = timezone.now()
    cycle._history_user = actor
    cycle.save()
    return cycle


# --- publicity and records --------------------------------------------------------------------


@transaction.atomic
def objection_file(
    *, cycle: AppraisalCycle, member: Member, text: str, about: Member | None = None
) -> Objection:
    if cycle.step != Step.PUBLICITY:
        raise DomainError(_("Objections are filed while the results are published."))
    _participant(cycle, member)
    if about is not None:
        _participant(cycle, about)
    if not text.strip():
        raise DomainError(_("Write your objection."))
    objection = Objection(cycle=cycle, filed_by=member, about=about, text=text.strip())
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, answer: str, actor=None) -> Objection:
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.is_answered:
        raise DomainError(_("This objection has already been answered."))
    if not answer.strip():
        raise DomainError(_("Write the answer."))
    objection.answer = answer.strip()
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    return objection


@transaction.atomic
def record_amend(
    *, record: AppraisalRecord, grade: str, reason: str, actor=None
) -> RecordAmendment:
    """Correct a closed record: a new amendment row; the record and earlier ones stay."""
    if actor is not None and not actor.has_perm("appraisal.amend_record", record):
        raise DomainError(_("You cannot correct this record (nobody corrects their own)."))
    if grade not in Grade.values:
        raise DomainError(_("Unknown grade."))
    if not reason.strip():
        raise DomainError(_("A correction needs a reason."))
    amendment = RecordAmendment(record=record, grade=grade, reason=reason.strip(), amended_by=actor)
    amendment.full_clean()
    amendment._history_user = actor
    amendment.save()
    audit_log(actor=actor, action="appraisal.record_amended", obj=record, grade=grade)
    return amendment


def publicity_close_finished(*, today: date | None = None) -> int:
    """Close every cycle whose publicity has ended and whose objections are all answered."""
    today = today or timezone.localdate()
    due = AppraisalCycle.objects.filter(step=Step.PUBLICITY, publicity_ends_on__lte=today).exclude(
        pk__in=Objection.objects.filter(answered_at__isnull=True).values("cycle_id")
    )
    closed = 0
    for pk in due.values_list("pk", flat=True).iterator(chunk_size=2000):
        try:
            cycle_move(cycle=AppraisalCycle(pk=pk), to_step=Step.CLOSED, actor=None, today=today)
        except DomainError:
            continue
        closed += 1
    return closed


# --- life meetings -----------------------------------------------------------------------------


@transaction.atomic
def life_meeting_save(
    *,
    meeting: LifeMeeting | None = None,
    attendees: Iterable[Member] = (),
    actor=None,
    version: int | None = None,
    **fields,
) -> LifeMeeting:
    """Record a life meeting (or correct its record): date, topics, minutes, attendees.

    `version`: when correcting, the one the editor saw (members.concurrency)."""
    meeting = meeting or LifeMeeting(recorded_by=actor)
    for name, value in fields.items():
        setattr(meeting, name, value)
    if meeting.pk is not None:
        version_claim(meeting, version, fields=list(fields))
    meeting.full_clean()
    if meeting.organization.kind == OrganizationKind.GROUP:
        raise DomainError(_("Life meetings are held by a branch or a committee."))
    attendees = list(attendees)
    outside = [m for m in attendees if not m.branch.path.startswith(meeting.organization.path)]
    if outside and meeting.organization.kind == OrganizationKind.BRANCH:
        raise DomainError(_("Attendees of a branch meeting are members of that branch."))
    meeting._history_user = actor
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def rectification_add(
    *, meeting: LifeMeeting, description: str, owner: Member, due_on: date, actor=None
) -> Rectification:
    item = Rectification(
        meeting=meeting, description=description.strip(), owner=owner, due_on=due_on
    )
    item.full_clean()
    item._history_user = actor
    item.save()
    return item


@transaction.atomic
def rectification_complete(
    *, rectification: Rectification, done_on: date, note: str = "", actor=None
) -> Rectification:
    item = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if item.is_done:
        raise DomainError(_("This rectification item is already done."))
    if not note.strip():
        raise DomainError(_("Say what was done."))
    item.status = RectificationStatus.DONE
    item.done_on = done_on
    item.done_note = note.strip()
    item.full_clean()
    item._history_user = actor
    item.save()
    return item


# --- reminders (each once: notify_many's unique key) -------------------------------------------

REMIND_DAYS_BEFORE = 3


def _chunked_ids(qs, field="member_id"):
    return qs.values_list(field, flat=True).order_by(field).iterator(chunk_size=2000)


def _cycle_url(name, cycle):
    return reverse(f"appraisal:{name}", args=[cycle.pk])


def self_assessment_reminders_send(*, today: date | None = None) -> int:
    """Members who have not submitted, from REMIND_DAYS_BEFORE days before the deadline."""
    today = today or timezone.localdate()
    sent = 0
    cycles = AppraisalCycle.objects.filter(
        step=Step.SELF_ASSESSMENT,
        self_assessment_due__gte=today,
        self_assessment_due__lte=today + timedelta(days=REMIND_DAYS_BEFORE),
    ).select_related("branch")
    for cycle in cycles:
        submitted = SelfAssessment.objects.filter(
            cycle=cycle, status=AssessmentStatus.SUBMITTED
        ).values("member_id")
        recipients = Participant.objects.filter(cycle=cycle).exclude(member_id__in=submitted)
        sent += notify_many(
            kind="appraisal.self_assessment_due",
            subject=cycle,
            recipient_ids=_chunked_ids(recipients),
            due_date=cycle.self_assessment_due,
            title=_("Your self-assessment is due on %(date)s")
            % {"date": cycle.self_assessment_due.isoformat()},
            body=_("Write and submit your self-assessment for %(cycle)s.") % {"cycle": cycle},
            url=_cycle_url("my_self_assessment", cycle),
        )
    return sent


def ballot_open_notices_send(*, today: date | None = None) -> int:
    """Tell every voter once that the ballot of their cycle is open.

    Sent to all voters alike, whether they already voted or not, so that the notification
    rows say nothing about who had voted by when.
    """
    today = today or timezone.localdate()
    sent = 0
    for cycle in AppraisalCycle.objects.filter(step=Step.BALLOT).select_related("branch"):
        recipients = Participant.objects.filter(cycle=cycle, votes=True)
        sent += notify_many(
            kind="appraisal.ballot_open",
            subject=cycle,
            recipient_ids=_chunked_ids(recipients),
            due_date=cycle.ballot_closes_on,
            title=_("The democratic ballot is open until %(date)s")
            % {"date": cycle.ballot_closes_on.isoformat()},
            body=_("Cast your secret ballot for %(cycle)s.") % {"cycle": cycle},
            url=_cycle_url("ballot", cycle),
        )
    return sent


def ballot_closing_reminders_send(*, today: date | None = None) -> int:
    """The day before the ballot closes (and after), voters who have not voted yet."""
    today = today or timezone.localdate()
    sent = 0
    cycles = AppraisalCycle.objects.filter(
        step=Step.BALLOT, ballot_closes_on__lte=today + timedelta(days=1)
    ).select_related("branch")
    for cycle in cycles:
        voted = BallotParticipation.objects.filter(cycle=cycle).values("voter_id")
        recipients = Participant.objects.filter(cycle=cycle, votes=True).exclude(
            member_id__in=voted
        )
        eligible = Participant.objects.filter(cycle=cycle, votes=True).count()
        with translation.override(settings.LANGUAGE_CODE):
            group_notice(
                kind="appraisal.ballot_closing",
                subject=cycle,
                branch_ids=[cycle.branch_id],
                due_date=cycle.ballot_closes_on,
                title=_("The democratic ballot closes on %(date)s")
                % {"date": cycle.ballot_closes_on.isoformat()},
                body=_("Not voted yet: %(n)d") % {"n": eligible - voted.count()},
                url=_cycle_url("ballot", cycle),
            )
        sent += notify_many(
            kind="appraisal.ballot_closing",
            subject=cycle,
            recipient_ids=_chunked_ids(recipients),
            due_date=cycle.ballot_closes_on,
            title=_("The democratic ballot closes on %(date)s")
            % {"date": cycle.ballot_closes_on.isoformat()},
            body=_("You have not voted yet in %(cycle)s.") % {"cycle": cycle},
            url=_cycle_url("ballot", cycle),
        )
    return sent


def _committee_ids(branch_id):
    return (
        Position.objects.current()
        .filter(organization_id=branch_id, role__in=COMMITTEE_ROLES)
        .values_list("member_id", flat=True)
        .distinct()
    )


def publicity_ending_reminders_send(*, today: date | None = None) -> int:
    """The branch committee, the day before publicity ends: answer objections, then close."""
    today = today or timezone.localdate()
    sent = 0
    cycles = AppraisalCycle.objects.filter(
        step=Step.PUBLICITY, publicity_ends_on__lte=today + timedelta(days=1)
    ).select_related("branch")
    for cycle in cycles:
        sent += notify_many(
            kind="appraisal.publicity_ending",
            subject=cycle,
            recipient_ids=_committee_ids(cycle.branch_id).iterator(chunk_size=2000),
            due_date=cycle.publicity_ends_on,
            title=_("Publicity of %(cycle)s ends on %(date)s")
            % {"cycle": cycle, "date": cycle.publicity_ends_on.isoformat()},
            body=_("Answer any objections; the cycle then closes and the records are written."),
            url=_cycle_url("publicity", cycle),
        )
    return sent


def rectification_reminders_send(*, today: date | None = None) -> int:
    """Owners of open rectification items due within REMIND_DAYS_BEFORE days (or overdue)."""
    today = today or timezone.localdate()
    sent = 0
    due = Rectification.objects.filter(
        status=RectificationStatus.OPEN, due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE)
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


def export_logged(*, actor, cycle: AppraisalCycle, what: str, rows: int):
    """Log an export of personal data (members.services.audit_log)."""
    audit_log(actor=actor, action=f"appraisal.export.{what}", obj=cycle, rows=rows)
