"""Two people at once on the same appraisal cycle or commendation: the second is told what
the first changed, and nothing the first saved is overwritten."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from appraisal.commendations import services as commendation_services
from appraisal.commendations.models import CommendationStatus
from tests.appraisal.commendation_helpers import propose
from tests.appraisal.cycles import open_cycle
from tests.form_data import client_for, form_post_data

CONFLICT = "changed this record while you were editing it"


def test_cycle_deadlines_changed_meanwhile_are_shown_and_kept(cast):
    cycle = open_cycle(cast.branch)
    url = reverse("appraisal:cycle_edit", args=[cycle.pk])
    first, second = client_for(cast.users["secretary"]), client_for(cast.users["organizer"])
    form_a = form_post_data(first.get(url).context["form"])
    form_b = form_post_data(second.get(url).context["form"])

    assert first.post(url, {**form_a, "rating_due": "2025-12-28"}).status_code == 302
    response = second.post(url, {**form_b, "peer_reviews_shown_to_reviewed": "on"})

    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    cycle.refresh_from_db()
    assert str(cycle.rating_due) == "2025-12-28"
    assert cycle.peer_reviews_shown_to_reviewed is False
    shown = form_post_data(response.context["form"])
    assert shown["rating_due"] == "2025-12-28"  # the other person's date, not the old one
    assert shown["peer_reviews_shown_to_reviewed"] == "on"  # this person's choice, kept
    assert second.post(url, shown).status_code == 302
    cycle.refresh_from_db()
    assert (str(cycle.rating_due), cycle.peer_reviews_shown_to_reviewed) == ("2025-12-28", True)


@pytest.mark.parametrize("second_move", ["approve", "reject"])
def test_a_decision_on_a_commendation_decided_meanwhile_is_told(cast, second_move):
    commendation = propose(cast)
    detail = client_for(cast.users["organizer"]).get(
        reverse("appraisal:commendation_detail", args=[commendation.pk])
    )
    assert f'name="version" value="{commendation.version}"' in detail.content.decode()
    seen = commendation.version
    commendation_services.commendation_reject(
        actor=cast.users["admin"], commendation=commendation, reason="材料不全"
    )
    response = client_for(cast.users["organizer"]).post(
        reverse(f"appraisal:commendation_{second_move}", args=[commendation.pk]),
        {"version": str(seen), "reason": "另有理由"},
    )
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert CONFLICT in message
    assert "status is now “Rejected”" in message
    commendation.refresh_from_db()
    assert commendation.status == CommendationStatus.REJECTED
    assert commendation.rejection_reason == "材料不全"
