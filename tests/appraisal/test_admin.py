"""Admin: every appraisal model has a page; ballot tables and closed records are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from appraisal import models
from appraisal.models import (
    RULE_FIELDS,
    AppraisalCycle,
    Participant,
    Step,
)
from appraisal.services.moves import cycle_move
from tests.appraisal.cycles import YEAR, move_to, open_cycle, vote

MODELS = [
    models.AppraisalRules,
    models.AppraisalCycle,
    models.CycleMove,
    models.Participant,
    models.SelfAssessment,
    models.HeartToHeartTalk,
    models.PeerReview,
    models.BallotBox,
    models.BallotParticipation,
    models.BallotCount,
    models.Rating,
    models.Objection,
    models.AppraisalRecord,
    models.RecordAmendment,
    models.LifeMeeting,
    models.Rectification,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_an_admin_page(cast, login, model):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    vote(cycle, cast.member)
    assert admin.site.is_registered(model)
    url = reverse(f"admin:appraisal_{model._meta.model_name}_changelist")
    assert login("admin").get(url).status_code == 200


@pytest.mark.parametrize(
    "model", [models.BallotParticipation, models.BallotCount, models.AppraisalRecord]
)
def test_ballot_and_record_tables_are_read_only_in_admin(model, rf, cast):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = cast.users["admin"]
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)


@pytest.fixture
def cycle(cast):
    return move_to(open_cycle(cast.branch), Step.BALLOT)


def _close_ballot(cycle, **kwargs):
    cycle_move(cycle=cycle, to_step=Step.RATING, reason="测试关闭", **kwargs)
    cycle.refresh_from_db()
    return cycle


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
