"""The commendation demo builds believable commendations on the foundation demo, once."""

import random
from datetime import date

from django.contrib.auth import get_user_model

from appraisal.commendations import demo
from appraisal.commendations.models import Commendation
from appraisal.commendations.selectors import waiting_for
from members import demo as members_demo


def test_seed_is_idempotent(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = date(2025, 9, 15)
    members_demo.seed(rng=random.Random(1), today=today)
    assert demo.seed(rng=random.Random(2), today=today) is True
    count = Commendation.objects.count()
    assert demo.seed(rng=random.Random(2), today=today) is False
    assert Commendation.objects.count() == count
    statuses = set(Commendation.objects.values_list("status", flat=True))
    assert statuses == {"published", "proposed", "rejected"}
    organizer = get_user_model().objects.get(username="organizer")
    assert waiting_for(organizer).count() == 1
