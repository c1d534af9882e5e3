"""Admin: every appraisal model has a page; ballot tables and closed records are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from appraisal import models
from appraisal.models import Step
from tests.appraisal.cycles import move_to, open_cycle, vote

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
