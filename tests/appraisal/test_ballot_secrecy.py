"""Ballot secrecy beyond the application's columns: every ballot rewrites every counter of the
cycle, the participation rows lose their casting order, counter row versions single out no
ballot, and the page writes nothing else."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import (
    BallotCount,
    BallotParticipation,
    Grade,
    Step,
)
from appraisal.selectors.ballot import tally
from appraisal.services.ballot import paper_ballot_enter, paper_ballots_issue
from appraisal.services.moves import cycle_move
from members.services import DomainError
from tests.appraisal.cycles import every_grade, move_to, open_cycle, vote

WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(queries):
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def _physical_order(cycle):
    """Voter ids in the order the database stores the participation rows."""
    column = "ctid" if connection.vendor == "postgresql" else "rowid"
    sql = "SELECT voter_id FROM appraisal_ballotparticipation WHERE cycle_id = %s ORDER BY "
    with connection.cursor() as cursor:
        cursor.execute(sql + column, [cycle.pk])
        return [row[0] for row in cursor.fetchall()]


def _close_ballot(cycle, **kwargs):
    cycle_move(cycle=cycle, to_step=Step.RATING, reason="测试关闭", **kwargs)
    cycle.refresh_from_db()
    return cycle


def test_a_ballot_rewrites_every_counter_of_the_cycle_in_one_statement(cycle, cast):
    other = move_to(open_cycle(cast.other_branch), Step.BALLOT)
    with CaptureQueriesContext(connection) as ctx:
        vote(cycle, cast.member, Grade.QUALIFIED, special={cast.peer: Grade.UNQUALIFIED})
    updates = [sql for sql in _writes(ctx.captured_queries) if "appraisal_ballotcount" in sql]
    assert len(updates) == 1  # not one per grade: which grades were given stays unsaid
    assert f'cycle_id" = {cycle.pk}' in updates[0].replace("'", "")
    counts = dict(
        BallotCount.objects.filter(cycle=cycle, count=1).values_list("member_id", "grade")
    )
    assert counts == {
        cast.member.pk: Grade.QUALIFIED,
        cast.peer.pk: Grade.UNQUALIFIED,
        cast.secretary.pk: Grade.QUALIFIED,
        cast.committee_member.pk: Grade.QUALIFIED,
    }
    assert BallotCount.objects.filter(cycle=cycle).count() == 16  # none added
    assert not BallotCount.objects.filter(cycle=other, count__gt=0).exists()


def test_a_grade_without_its_counter_is_refused_not_dropped(cycle, cast):
    BallotCount.objects.filter(cycle=cycle, member=cast.peer, grade=Grade.EXCELLENT).delete()
    with pytest.raises(DomainError, match="could not be counted"):
        vote(cycle, cast.member, Grade.QUALIFIED, special={cast.peer: Grade.EXCELLENT})
    assert not BallotParticipation.objects.filter(cycle=cycle).exists()
    assert not BallotCount.objects.filter(cycle=cycle, count__gt=0).exists()
    with pytest.raises(DomainError, match="could not be counted"):
        paper_ballots_issue(cycle=cycle, voter_ids=[cast.secretary.pk])
        paper_ballot_enter(cycle=cycle, grades={cast.peer.pk: Grade.EXCELLENT})


def test_casting_through_the_page_writes_one_participation_and_the_counters_only(
    cycle, cast, login
):
    client = login("member")
    url = reverse("appraisal:ballot", args=[cycle.pk])
    data = {f"m{pk}": Grade.QUALIFIED for pk in every_grade(cycle)}
    data[f"m{cast.peer.pk}"] = Grade.EXCELLENT
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(url, data).status_code == 302
    writes = _writes(ctx.captured_queries)
    inserts = [w for w in writes if w.lstrip().upper().startswith("INSERT")]
    updates = [w for w in writes if w.lstrip().upper().startswith("UPDATE")]
    assert len(inserts) == 1 and "appraisal_ballotparticipation" in inserts[0]
    assert len(updates) == 1 and all(
        "appraisal_ballotcount" in u and f'cycle_id" = {cycle.pk}' in u.replace("'", "")
        for u in updates
    )
    assert len(writes) == len(inserts) + len(updates)  # no DELETE, nothing else written
    assert BallotParticipation.objects.filter(cycle=cycle).count() == 1


def test_closing_the_ballot_rewrites_participations_in_voter_order(cycle, cast):
    voters = sorted(
        [cast.member, cast.peer, cast.secretary, cast.committee_member], key=lambda m: -m.pk
    )
    for voter in voters[:3]:  # highest id first: storage order is the reverse of voter order
        vote(cycle, voter)
    paper_ballots_issue(cycle=cycle, voter_ids=[voters[3].pk])
    paper_ballot_enter(cycle=cycle, grades=every_grade(cycle))
    before_keys = set(BallotParticipation.objects.values_list("id", flat=True))
    voting_order = [v.pk for v in voters]
    assert _physical_order(cycle) == voting_order  # what the fix has to erase
    _close_ballot(cycle)
    assert _physical_order(cycle) == sorted(voting_order)
    after_keys = set(BallotParticipation.objects.values_list("id", flat=True))
    assert len(after_keys) == 4 and not after_keys & before_keys  # fresh random keys
    result = tally(cycle)
    assert result["turnout"] == result["counted"] == 4 and result["valid"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counter_row_versions_do_not_single_out_a_ballot_on_postgresql(cast):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)

    def xmins(table):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT xmin::text FROM {table} WHERE cycle_id = %s",  # noqa: S608
                [cycle.pk],
            )
            return {row[0] for row in cursor.fetchall()}

    vote(cycle, cast.committee_member, Grade.EXCELLENT)
    vote(cycle, cast.member, Grade.QUALIFIED, special={cast.peer: Grade.UNQUALIFIED})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT xmin::text) FROM appraisal_ballotcount WHERE cycle_id = %s",
            [cycle.pk],
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT xmin::text FROM appraisal_ballotparticipation "
            "WHERE cycle_id = %s AND voter_id = %s",
            [cycle.pk, cast.member.pk],
        )
        last_voter_xmin = cursor.fetchone()[0]
    # No savepoint: the participation row carries the ballot's own transaction id, like
    # every counter — not an id of its own beside the counters the ballot changed.
    assert xmins("appraisal_ballotcount") == {last_voter_xmin}
    assert _physical_order(cycle) == [cast.committee_member.pk, cast.member.pk]
    _close_ballot(cycle)
    closing = xmins("appraisal_ballotcount")
    assert len(closing) == 1 and closing != {last_voter_xmin}
    assert xmins("appraisal_ballotparticipation") == closing
    assert _physical_order(cycle) == sorted([cast.committee_member.pk, cast.member.pk])
