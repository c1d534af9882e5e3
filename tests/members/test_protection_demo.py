"""The protection demo builds believable cases on the foundation demo, once."""

import random
from datetime import date

from django.contrib.auth import get_user_model

from members import demo as members_demo
from members.permissions import scope_for
from members.protection import demo
from members.protection.models import CaseAction, Clarification, ProtectionCase
from members.protection.permissions import cases_visible_to


def test_seed_is_idempotent_and_respects_confidentiality(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = date(2025, 9, 15)
    members_demo.seed(rng=random.Random(1), today=today)
    assert demo.seed(rng=random.Random(2), today=today) is True
    counts = (ProtectionCase.objects.count(), CaseAction.objects.count())
    assert demo.seed(rng=random.Random(2), today=today) is False
    assert (ProtectionCase.objects.count(), CaseAction.objects.count()) == counts
    assert counts[0] == 3 and Clarification.objects.filter(member_consents=True).count() == 1

    users = {u.username: u for u in get_user_model().objects.all()}
    assert cases_visible_to(users["organizer"]).count() == 3
    assert cases_visible_to(users["member"]).count() == 1
    # The secretary opened one on a member's behalf and cannot read it.
    assert cases_visible_to(users["secretary"]).count() == 0
    assert scope_for(users["secretary"]).is_branch_leader
