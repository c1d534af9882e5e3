"""Review fixes of the democratic appraisal (issue 4).

Ballot secrecy beyond the application's columns: counter row versions, the participation
table's physical order, the admin's view of live counts; paper ballots that were handed out
but never entered; nobody amending their own record; closing a ballot early; committee
members and signed comments about themselves.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisal import selectors, services
from appraisal.models import (
    RULE_FIELDS,
    AppraisalCycle,
    BallotCount,
    BallotParticipation,
    CycleMove,
    Grade,
    Participant,
    RecordAmendment,
    Step,
)
from members.services import DomainError
from tests.appraisal.cycles import YEAR, move_to, open_cycle, vote

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def cycle(cast):
    return move_to(open_cycle(cast.branch), Step.BALLOT)


def _grades(cycle, grade=Grade.QUALIFIED):
    ids = Participant.objects.filter(cycle=cycle, graded=True).values_list("member_id", flat=True)
    return {pk: grade for pk in ids}


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
    services.cycle_move(cycle=cycle, to_step=Step.RATING, reason="测试关闭", **kwargs)
    cycle.refresh_from_db()
    return cycle


# --- 1. every ballot rewrites every counter of its cycle -----------------------------------


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
        services.paper_ballots_issue(cycle=cycle, voter_ids=[cast.secretary.pk])
        services.paper_ballot_enter(cycle=cycle, grades={cast.peer.pk: Grade.EXCELLENT})


def test_casting_through_the_page_writes_one_participation_and_the_counters_only(
    cycle, cast, login
):
    client = login("member")
    url = reverse("appraisal:ballot", args=[cycle.pk])
    data = {f"m{pk}": Grade.QUALIFIED for pk in _grades(cycle)}
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


# --- 2. closing the ballot re-writes the participation rows in voter order ------------------


def test_closing_the_ballot_rewrites_participations_in_voter_order(cycle, cast):
    voters = sorted(
        [cast.member, cast.peer, cast.secretary, cast.committee_member], key=lambda m: -m.pk
    )
    for voter in voters[:3]:  # highest id first: storage order is the reverse of voter order
        vote(cycle, voter)
    services.paper_ballots_issue(cycle=cycle, voter_ids=[voters[3].pk])
    services.paper_ballot_enter(cycle=cycle, grades=_grades(cycle))
    before_keys = set(BallotParticipation.objects.values_list("id", flat=True))
    voting_order = [v.pk for v in voters]
    assert _physical_order(cycle) == voting_order  # what the fix has to erase
    _close_ballot(cycle)
    assert _physical_order(cycle) == sorted(voting_order)
    after_keys = set(BallotParticipation.objects.values_list("id", flat=True))
    assert len(after_keys) == 4 and not after_keys & before_keys  # fresh random keys
    result = selectors.tally(cycle)
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


# --- 3. the admin ---------------------------------------------------------------------------


def test_admin_shows_no_counts_while_the_ballot_is_open(cycle, cast, login):
    vote(cycle, cast.member)
    url = reverse("admin:appraisal_ballotcount_changelist")
    client = login("admin")
    response = client.get(url)
    assert response.status_code == 200 and response.context["cl"].result_count == 0
    _close_ballot(cycle)
    assert client.get(url).context["cl"].result_count == 16


def test_admin_freezes_participants_once_the_ballot_opened(cast, rf):
    early = open_cycle(cast.branch, year=YEAR + 1)
    request = rf.get("/")
    request.user = cast.users["admin"]
    participant_admin = admin.site._registry[Participant]
    inline = admin.site._registry[AppraisalCycle].get_inline_instances(request, early)[0]
    assert inline.has_change_permission(request, early)
    assert participant_admin.has_change_permission(request, early.participants.first())
    running = move_to(open_cycle(cast.branch), Step.BALLOT)
    participant = running.participants.get(member=cast.member)
    assert not inline.has_add_permission(request, running)
    assert not inline.has_change_permission(request, running)
    assert not inline.has_delete_permission(request, running)
    assert not participant_admin.has_change_permission(request, participant)
    assert not participant_admin.has_delete_permission(request, participant)
    assert "delete_selected" not in participant_admin.get_actions(request)
    form_class = participant_admin.get_form(request)
    form = form_class(
        {"cycle": running.pk, "member": cast.other_member.pk, "graded": "on", "votes": "on"}
    )
    assert not form.is_valid() and "cycle" in form.errors


def test_admin_shows_the_copied_rules_read_only(cycle, cast, login):
    cycle_admin = admin.site._registry[AppraisalCycle]
    readonly = set(cycle_admin.get_readonly_fields(None, cycle))
    assert {"min_ballots_for_result", "quorum_numerator", "quorum_denominator"} <= readonly
    assert set(RULE_FIELDS) - {"peer_reviews_shown_to_reviewed"} <= readonly
    page = login("admin").get(reverse("admin:appraisal_appraisalcycle_change", args=[cycle.pk]))
    assert page.status_code == 200
    assert 'name="min_ballots_for_result"' not in page.content.decode()
    assert 'name="participants-0-graded"' not in page.content.decode()


# --- 5. paper ballots handed out but never entered -----------------------------------------


def test_paper_ballots_never_entered_do_not_count_towards_validity(cycle, cast, login):
    services.paper_ballots_issue(
        cycle=cycle, voter_ids=[cast.peer.pk, cast.secretary.pk, cast.committee_member.pk]
    )
    services.paper_ballot_enter(cycle=cycle, grades=_grades(cycle))
    vote(cycle, cast.member)
    _hard, soft = services.move_blockers(cycle, today=cycle.ballot_closes_on)
    assert any("Only 2 ballot(s) of 4 voters count (4 took part)" in str(s) for s in soft)
    _close_ballot(cycle, today=cycle.ballot_closes_on)
    result = selectors.tally(cycle)
    # 4 participations, 2 paper ballots never entered: 2 of 4 is not more than half.
    assert (result["turnout"], result["counted"], result["eligible"]) == (4, 2, 4)
    assert result["valid"] is False
    page = login("secretary").get(reverse("appraisal:tally", args=[cycle.pk])).content.decode()
    assert "4 of 4 voters took part" in page
    assert "2 ballot(s) count: 4 voters took part, but 2 paper ballot(s)" in page


# --- 6. nobody amends their own record ------------------------------------------------------


def test_a_secretary_cannot_amend_their_own_record(cast, login):
    closed = move_to(open_cycle(cast.branch), Step.CLOSED)
    own = closed.records.get(member=cast.secretary)
    secretary = cast.users["secretary"]
    assert secretary.has_perm("appraisal.view_record", own)
    assert not secretary.has_perm("appraisal.amend_record", own)
    url = reverse("appraisal:record_detail", args=[own.pk])
    client = login("secretary")
    assert client.get(url).status_code == 200
    assert client.post(url, {"grade": "excellent", "reason": "自己改"}).status_code == 403
    with pytest.raises(DomainError, match="own"):
        services.record_amend(record=own, grade=Grade.EXCELLENT, reason="自己改", actor=secretary)
    assert not RecordAmendment.objects.exists()
    # Another member of the committee, or the organizer above, may.
    assert (
        login("committee_member").post(url, {"grade": "excellent", "reason": "更正"}).status_code
        == 302
    )
    assert cast.users["organizer"].has_perm("appraisal.amend_record", own)
    others = closed.records.get(member=cast.member)
    assert secretary.has_perm("appraisal.amend_record", others)


# --- 7. closing the ballot before its announced date ---------------------------------------


def test_closing_the_ballot_early_needs_a_recorded_reason(cycle, cast):
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)  # 3 of 4: valid, but one voter may still come
    early = cycle.ballot_closes_on - timedelta(days=1)
    hard, soft = services.move_blockers(cycle, today=early)
    assert not hard and len(soft) == 1 and "announced to close" in str(soft[0])
    assert services.move_blockers(cycle, today=cycle.ballot_closes_on) == ([], [])
    with pytest.raises(DomainError, match="give a reason"):
        services.cycle_move(cycle=cycle, to_step=Step.RATING, today=early)
    cycle.refresh_from_db()
    assert cycle.step == Step.BALLOT
    services.cycle_move(cycle=cycle, to_step=Step.RATING, today=early, reason="全员已表态")
    move = CycleMove.objects.get(cycle=cycle, from_step=Step.BALLOT)
    assert move.reason == "全员已表态"
    assert move.forced and "announced to close" in move.incomplete[0]


def test_everyone_voted_the_ballot_may_close_early_without_a_reason(cycle, cast):
    for m in (cast.member, cast.peer, cast.secretary, cast.committee_member):
        vote(cycle, m)
    early = cycle.ballot_closes_on - timedelta(days=3)
    assert services.move_blockers(cycle, today=early) == ([], [])


# --- 8. committee members and comments about themselves ------------------------------------


@pytest.mark.parametrize("shown", [False, True])
def test_committee_members_do_not_see_who_commented_on_them(cast, login, shown):
    cycle = move_to(open_cycle(cast.branch, peer_reviews_shown=shown), Step.PEER_REVIEW)
    services.peer_review_save(
        cycle=cycle, reviewer=cast.peer, reviewed=cast.secretary, comment="书记要多听意见"
    )
    services.peer_review_save(
        cycle=cycle, reviewer=cast.member, reviewed=cast.committee_member, comment="支委很用心"
    )
    url = reverse("appraisal:peer_reviews", args=[cycle.pk])
    response = login("secretary").get(url)
    named = [(r.reviewer_id, r.reviewed_id) for r in response.context["all_reviews"]]
    assert named == [(cast.member.pk, cast.committee_member.pk)]
    page = response.content.decode()
    all_section = page[page.index('id="all-heading"') :]
    assert "书记要多听意见" not in all_section and "支委很用心" in all_section
    # Like any member: the comment itself, without the name, only if the branch allows it,
    # and only once peer review is over (round 3: the timing would tell who wrote it).
    assert "书记要多听意见" not in page
    assert response.context["about_me"] == ([] if shown else None)
    # The committee member sees the comment on the secretary, signed, and not their own.
    response = login("committee_member").get(url)
    named = [(r.reviewer_id, r.reviewed_id) for r in response.context["all_reviews"]]
    assert named == [(cast.peer.pk, cast.secretary.pk)]
    # The organizer above (not reviewed in this branch) sees them all.
    response = login("organizer").get(url)
    assert len(response.context["all_reviews"]) == 2
    move_to(cycle, Step.BALLOT)
    response = login("secretary").get(url)
    assert ("书记要多听意见" in response.content.decode()) is shown
    assert response.context["about_me"] == (["书记要多听意见"] if shown else None)


def test_early_close_soft_blocker_uses_the_real_date_by_default(cast):
    today = timezone.localdate()
    cycle = services.cycle_open(
        branch=cast.branch,
        year=today.year + 1,
        self_assessment_due=today - timedelta(days=5),
        peer_review_due=today - timedelta(days=4),
        ballot_opens_on=today - timedelta(days=1),
        ballot_closes_on=today + timedelta(days=5),
        rating_due=today + timedelta(days=10),
    )
    move_to(cycle, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    with pytest.raises(DomainError, match="announced to close"):
        services.cycle_move(cycle=cycle, to_step=Step.RATING)
