"""The secret ballot: opening and sealing it, online and paper ballots, validity."""

from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext as _

from members.models import (
    Member,
)
from members.services import DomainError, audit_log

from ..models.ballot import BallotBox, BallotCount, BallotParticipation
from ..models.cycles import AppraisalCycle, Grade, Participant, Step

# --- the secret ballot ---------------------------------------------------------------------


def _locked_open_box(cycle) -> tuple[AppraisalCycle, BallotBox]:
    """Lock the cycle, then its ballot box, and check the ballot is open.

    The lock serializes every cast of the cycle (two tabs of one voter: the second finds the
    first's participation row). Always cycle first, then box — cycle_move takes them in the
    same order, so closing the ballot and casting cannot deadlock.
    """
    cycle = AppraisalCycle.objects.locked(cycle)
    box = BallotBox.objects.select_for_update().filter(cycle_id=cycle.pk).first()
    if box is None or box.closed_at is not None or cycle.step != Step.BALLOT or cycle.is_voided:
        raise DomainError(_("The ballot is not open."))
    return cycle, box


def graded_ids(cycle) -> set[int]:
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
        if not Participant.objects.voters().filter(cycle=cycle, member=voter).exists():
            raise DomainError(_("You are not a voter in this ballot."))
        if BallotParticipation.objects.filter(cycle=cycle, voter=voter).exists():
            raise DomainError(_("You have already voted in this ballot."))
        grades = _check_grades(grades, graded_ids(cycle), complete=True)
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
        Participant.objects.voters()
        .filter(cycle=cycle, member_id__in=voter_ids)
        .values_list("member_id", flat=True)
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
    grades = _check_grades(grades, graded_ids(cycle), complete=False)
    BallotBox.objects.filter(pk=box.pk).update(paper_entered=F("paper_entered") + 1)
    _count(cycle, grades)


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
def ballot_open(cycle: AppraisalCycle):
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


def ballot_seal(cycle: AppraisalCycle):
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
