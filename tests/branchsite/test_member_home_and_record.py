"""A member's home and /me/: the to-do first (gathered from every app), the year's hours as a
ring with its figures in a table, this month's sessions, a year switcher, last year's result
and personal data folded below; /me/ addresses the member in the second person."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import Grade, Step
from education.models.sessions import Session
from education.services.attendance import attendance_mark
from tests.appraisal.cycles import move_to, open_cycle
from tests.education.helpers import held, plan


@pytest.fixture
def busy_member(cast):
    """The member: last year graded 合格, this year's ballot open, a missed session, a session
    in check-in now and 8 of 32 hours."""
    year = timezone.localdate().year
    move_to(open_cycle(cast.branch, year=year - 1), Step.CLOSED)
    move_to(open_cycle(cast.branch, year=year), Step.BALLOT)
    now = timezone.now()
    held(cast.branch, starts_at=now - timedelta(hours=30), hours="8.0", title="上周学习")
    missed = held(cast.branch, starts_at=now - timedelta(hours=6), title="缺席的学习")
    attendance_mark(session=missed, member=cast.member, status="absent")
    plan(cast.branch, starts_at=now + timedelta(minutes=10), title="正在签到")
    return cast.member


def test_home_opens_with_the_members_to_do(login, busy_member):
    page = login("member").get(reverse("home")).content.decode()
    todo = page.split('data-testid="todo"')[1].split("</section>")[0]
    assert 'data-testid="todo-checkin"' in todo and "正在签到" in todo
    assert 'data-testid="todo-ballot"' in todo
    assert 'data-testid="todo-makeup"' in todo and "缺席的学习" in todo
    assert page.index('data-testid="todo"') < page.index('data-testid="hours-ring"')


def test_hours_ring_is_an_image_with_a_name_and_a_table_behind_it(login, busy_member):
    page = login("member").get(reverse("home")).content.decode()
    ring = page.split('data-testid="hours-ring"')[1].split("</figure>")[0]
    assert 'role="img"' in ring and "aria-label=" in ring
    assert "8.0" in ring and "32.0" in ring and "25%" in ring
    assert '<table class="visually-hidden">' in ring


def test_home_lists_this_months_sessions(login, busy_member):
    page = login("member").get(reverse("home")).content.decode()
    month = page.split('data-testid="month-sessions"')[1].split("</section>")[0]
    today = timezone.localdate()
    if (today - timedelta(days=2)).month == today.month:
        assert "上周学习" in month
    assert "正在签到" in month


def test_my_record_has_year_switcher_last_years_result_and_folded_details(login, busy_member):
    year = timezone.localdate().year
    page = login("member").get(reverse("my_record")).content.decode()
    assert f'href="/me/?year={year - 1}"' in page and 'aria-current="page"' in page
    previous = page.split('data-testid="appraisal-previous"')[1].split("</p>")[0]
    assert str(Grade.QUALIFIED.label) in previous or "合格" in previous
    assert '<details class="card mb-3 personal-details"' in page
    assert page.index('data-testid="todo"') < page.index('data-testid="personal-details"')
    # Last year: no to-do, no month; the year's sessions and the hours still there.
    older = login("member").get(reverse("my_record") + f"?year={year - 1}").content.decode()
    assert 'data-testid="todo"' not in older and 'data-testid="month-sessions"' not in older
    assert 'data-testid="hours-ring"' in older


def test_nothing_to_do_says_so(login, cast):
    page = login("member").get(reverse("home")).content.decode()
    assert 'data-testid="todo-empty"' in page


def test_my_record_speaks_to_the_member(login, busy_member):
    page = login("member").get(reverse("my_record")).content.decode()
    assert "您的待办" in page and "您的学时" in page
    assert "张伟的" not in page


def test_home_work_part_is_for_leaders_only(login, cast):
    member_home = login("member").get(reverse("home")).content.decode()
    assert reverse("home_work") not in member_home
    assert login("member").get(reverse("home_work")).status_code == 403
    secretary_home = login("secretary").get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("home_work")}"' in secretary_home


def test_my_record_lists_the_years_sessions_with_links_hours_and_make_up(login, busy_member):
    """The year's rows (written in Python, views.year_session_items): each links to its
    session as reverse() does, a held session shows the hours credited, a missed one offers
    make-up study."""
    page = login("member").get(reverse("my_record")).content.decode()
    year = page.split('id="year-sessions"')[1].split("</section>")[0]
    rows = {}
    for session in Session.objects.filter(title__in=["上周学习", "缺席的学习"]):
        if timezone.localtime(session.starts_at).year != timezone.localdate().year:
            continue  # the first day of a year: yesterday's session is last year's
        link = f'<a href="{reverse("education:session_detail", args=[session.pk])}">'
        row = next(r for r in year.split('<li class="month-item">')[1:] if session.title in r)
        assert link + session.title in row
        rows[session.title] = (session, row)
    if "上周学习" in rows:
        assert "8.0学时" in rows["上周学习"][1]
        assert reverse("education:makeup_create") not in rows["上周学习"][1]
    if "缺席的学习" in rows:
        missed, row = rows["缺席的学习"]
        assert f"{reverse('education:makeup_create')}?session={missed.pk}" in row
        assert "att-badge att-badge-absent" in row
