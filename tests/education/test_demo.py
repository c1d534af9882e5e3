"""Demo data: a year of sessions, make-ups, members ahead and behind; idempotent."""

import random

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from education import demo
from education.models import Attendance, Makeup, MakeupState, Session
from education.selectors.hours import branch_hours_table
from members import demo as members_demo
from members.models import Organization


def test_demo_fills_every_page(client, db):
    today = timezone.localdate()
    members_demo.seed(rng=random.Random(1), today=today)
    assert demo.seed(rng=random.Random(2), today=today) is True
    assert demo.seed(rng=random.Random(2), today=today) is False  # idempotent
    assert Session.objects.filter(state="held").count() > 100
    assert Session.objects.filter(state="planned").exists()
    assert Attendance.objects.filter(status="absent").exists()
    assert Makeup.objects.filter(state=MakeupState.CONFIRMED).exists()
    assert Makeup.objects.filter(state=MakeupState.SUBMITTED).exists()

    last_year = today.year - 1
    branch = Organization.objects.filter(kind="branch").order_by("path").first()
    table = branch_hours_table(branch, last_year)
    assert any(m.total_hours >= m.required_hours for m in table)  # ahead
    assert any(m.total_hours < m.required_hours for m in table)  # behind

    User = get_user_model()
    for username in ("member", "secretary", "organizer"):
        client.force_login(User.objects.get(username=username))
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("my_record")).status_code == 200
    client.force_login(User.objects.get(username="secretary"))
    body = client.get(reverse("education:compliance") + f"?year={last_year}").content.decode()
    assert 'data-state="ok"' in body
    client.force_login(User.objects.get(username="organizer"))
    assert client.get(reverse("education:hours_rollup")).status_code == 200
    assert client.get(reverse("education:compliance_rollup")).status_code == 200
