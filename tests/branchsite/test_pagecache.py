"""Kept pages (branchsite/pagecache.py) and kept scopes (members/permissions.py `scope_for`).

A page rendered through `render_cached` is kept until the data behind it changes. These tests
tell a kept page from a rebuilt one by the queries a request makes: a kept page costs only
what every request costs (session, user, the header's unread count, sometimes the branch the
query string names), a rebuilt one reads its records again. Every write goes through the
services, inside `django_capture_on_commit_callbacks(execute=True)` so that the bumps made
when the transaction commits run as they would outside a test.

The cast (tests/conftest.py): branch A (`cast.branch`) with 张伟, 王芳, secretary 李娜 and
committee member 刘洋; branch B (`cast.other_branch`) with secretary 陈静.
"""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisDown

from appraisal.models import Step
from branchsite import pagecache, record
from education import services as education
from members import services as members
from members.models import Role
from members.protection.models import ProtectionCase
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.education.helpers import at, held, plan
from tests.factories import make_position
from tests.members.protection_helpers import open_case

# A kept page costs the session, the user and the header's unread count; a page reading a
# branch named in the query string also looks that branch up (education's hours table).
HIT_MAX = 4
YEAR = 2025  # education sessions are logged in this (past) year: the pages ask for it


# --- helpers ----------------------------------------------------------------------------------


def url(name, *args, **query):
    path = reverse(name, args=args)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def main(response):
    """The page inside <main>…</main> (the header around it is rendered on every request)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def get(client, path):
    """(response, number of queries it made)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries)


def keep(client, path):
    """GET the page until it is kept: the first GET gets the CSRF cookie (nothing is kept for a
    request without one), the second sets the versions the page reads if they are missing, the
    third keeps it at the latest. Returns the number of queries the kept page costs."""
    for _ in range(3):
        built = client.get(path)
    kept, hit = get(client, path)
    assert built.status_code == kept.status_code == 200
    assert main(kept) == main(built)
    assert hit <= HIT_MAX, f"{path} was not kept: {hit} queries"
    return hit


def client_for(user, csrf_secret="k" * 32):
    """A client logged in as `user` whose CSRF cookie holds this secret (so two users can
    differ by nothing but who they are)."""
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.CSRF_COOKIE_NAME] = csrf_secret
    return client


@pytest.fixture
def write(django_capture_on_commit_callbacks):
    """`with write():` around a write runs its on-commit bumps, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def hours_of(response, name):
    """The total hours shown for this member in the branch hours table."""
    found = re.search(rf">{name}</a>.*?<td class=\"text-end\">([\d.]+)", main(response), re.S)
    assert found, f"{name} not in the hours table"
    return found.group(1)


def turnout(response):
    """(voted, eligible) from the tally page while the ballot runs (the Chinese sentence gives
    the number of voters first: the smaller number is the turnout)."""
    found = re.search(r'data-testid="turnout">([^<]*)<', main(response))
    assert found, "no turnout on the page"
    voted, eligible = sorted(int(n) for n in re.findall(r"\d+", found.group(1)))
    return voted, eligible


# --- 1. a second GET is served kept -----------------------------------------------------------


def test_second_get_of_the_roster_is_kept_with_the_same_content(login, cast):
    client = login("secretary")
    path = url("members:roster", branch=cast.branch.pk)
    first, missed = get(client, path)  # no CSRF cookie yet: built, not kept
    second, built = get(client, path)  # built and kept
    third, hit = get(client, path)
    assert first.status_code == second.status_code == third.status_code == 200
    assert main(third) == main(second) == main(first)
    assert "张伟" in main(third) and 'data-testid="roster-table"' in main(third)
    assert hit <= 3 < built <= missed
    # The header is still rendered for this request; no marker of the kept blocks leaks out.
    assert "李娜" in third.content.decode()
    assert "\ue000" not in third.content.decode()


def test_a_kept_page_is_kept_for_each_query_string(login, cast):
    client = login("organizer")
    keep(client, url("members:roster", branch=cast.branch.pk))
    other, n = get(client, url("members:roster", branch=cast.other_branch.pk))
    assert n > HIT_MAX
    assert "陈静" in main(other) and "张伟" not in main(other)


# --- 2. a write makes the next GET fresh ------------------------------------------------------


def test_renaming_a_member_shows_on_the_kept_roster(login, cast, write):
    client = login("secretary")
    path = url("members:roster", branch=cast.branch.pk)
    hit = keep(client, path)
    with write():
        members.member_update(member=cast.peer, actor=cast.users["secretary"], full_name="王芳菲")
    response, n = get(client, path)
    assert n > hit
    assert "王芳菲" in main(response)


def test_a_new_protection_case_shows_on_the_kept_case_list(login, cast, write):
    client = login("member")
    path = url("members:case_list")
    hit = keep(client, path)
    assert 'data-testid="case-list"' not in main(client.get(path))
    with write():
        case = open_case(cast.member)
    response, n = get(client, path)
    assert n > hit
    assert 'data-testid="case-list"' in main(response)
    assert ProtectionCase.objects.get(pk=case.pk).short_ref in main(response)


def test_logged_session_and_attendance_change_show_on_the_kept_hours_table(login, cast, write):
    client = login("secretary")
    path = url("education:hours_branch", branch=cast.branch.pk, year=YEAR)
    hit = keep(client, path)
    assert hours_of(client.get(path), "张伟") == "0.0"
    with write():
        session = held(cast.branch, starts_at=at(YEAR, 3, 10), attendance={cast.member: "present"})
    response, n = get(client, path)
    assert n > hit and hours_of(response, "张伟") == "2.0"

    assert get(client, path)[1] == hit  # kept again
    with write():
        education.attendance_mark(session=session, member=cast.member, status="absent")
    response, n = get(client, path)
    assert n > hit and hours_of(response, "张伟") == "0.0"


def test_logged_session_shows_on_the_members_own_record(login, cast, write):
    client = login("member")
    path = url("my_record", year=YEAR)
    hit = keep(client, path)
    with write():
        held(
            cast.branch,
            starts_at=at(YEAR, 3, 10),
            attendance={cast.member: "present"},
            title="学习二十大精神XQ",
        )
    response, n = get(client, path)
    assert n > hit
    assert "学习二十大精神XQ" in main(response)


def test_votes_and_a_cycle_move_show_on_the_kept_tally(login, cast, write):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    client = login("secretary")
    path = url("appraisal:tally", cycle.pk)
    hit = keep(client, path)
    assert turnout(client.get(path)) == (0, 4)
    with write():
        vote(cycle, cast.member)
    response, n = get(client, path)
    assert n > hit and turnout(response) == (1, 4)

    keep(client, path)
    with write():
        vote(cycle, cast.peer)
        vote(cycle, cast.secretary)
        move_to(cycle, Step.RATING)
    response, n = get(client, path)
    assert n > hit
    assert 'data-testid="tally-table"' in main(response)
    assert 'data-testid="turnout"' not in main(response)


# --- 3. per branch ----------------------------------------------------------------------------


def test_a_write_in_another_branch_leaves_the_hours_table_kept(login, cast, write):
    client = login("secretary")
    path = url("education:hours_branch", branch=cast.branch.pk, year=YEAR)
    hit = keep(client, path)
    with write():
        held(cast.other_branch, starts_at=at(YEAR, 4, 1), attendance={cast.other_member: "present"})
    response, n = get(client, path)
    assert n == hit
    assert hours_of(response, "张伟") == "0.0"

    with write():
        held(cast.branch, starts_at=at(YEAR, 4, 1), attendance={cast.member: "late"})
    response, n = get(client, path)
    assert n > hit
    assert hours_of(response, "张伟") == "2.0"


def test_a_vote_in_another_branch_leaves_the_tally_kept(login, cast, write):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    other = move_to(open_cycle(cast.other_branch), Step.BALLOT)
    client = login("secretary")
    path = url("appraisal:tally", cycle.pk)
    hit = keep(client, path)
    with write():
        vote(other, cast.other_secretary)
    assert get(client, path)[1] == hit
    with write():
        vote(cycle, cast.committee_member)
    response, n = get(client, path)
    assert n > hit and turnout(response) == (1, 4)


# --- 4. kept pages never cross users ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "me", "them"),
    [
        ("members:case_list", "secretary", "other_secretary"),
        ("home", "member", "peer"),  # same branch, same group: the same versions
        ("my_record", "member", "peer"),
        ("my_record", "secretary", "other_secretary"),
    ],
)
def test_two_users_on_the_same_url_each_see_their_own_page(cast, name, me, them):
    for role in (me, them):
        open_case(getattr(cast, role), place=f"{role}的论坛")
    mine, theirs = client_for(cast.users[me]), client_for(cast.users[them])
    my_name, their_name = getattr(cast, me).full_name, getattr(cast, them).full_name
    path = url(name)
    keep(mine, path)
    response, n = get(theirs, path)  # same URL, language, day, CSRF secret (and versions)
    assert response.status_code == 200 and n > HIT_MAX
    assert their_name in main(response) and my_name not in main(response)
    page = main(mine.get(path))
    assert my_name in page and their_name not in page


def test_a_kept_form_carries_a_token_for_the_readers_own_csrf_secret(cast):
    """Two browsers of one user: each gets a form whose token its own CSRF cookie accepts."""
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    path = url("appraisal:rating", cycle.pk)
    keep(client_for(cast.users["secretary"], csrf_secret="a" * 32), path)
    other = Client(enforce_csrf_checks=True)
    other.force_login(cast.users["secretary"])
    other.cookies[django_settings.CSRF_COOKIE_NAME] = "b" * 32
    page = main(other.get(path))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    posted = {"csrfmiddlewaretoken": token, f"g{cast.member.pk}": "not-a-grade"}
    assert other.post(path, posted).status_code == 200  # the form again, not a CSRF 403


def test_a_leader_who_loses_the_position_loses_the_kept_roster(login, cast, write):
    client = login("secretary")
    path = url("members:roster", branch=cast.branch.pk)
    keep(client, path)
    position = cast.secretary.positions.get(role=Role.SECRETARY)
    with write():
        position.ended_on = timezone.localdate() - timedelta(days=1)
        position.save()
    assert client.get(path).status_code in (403, 404)


def test_a_member_given_a_position_gets_the_roster_at_once(login, cast, write):
    client = login("peer")
    path = url("members:roster", branch=cast.branch.pk)
    assert client.get(path).status_code == 403
    assert client.get(path).status_code == 403  # the scope is kept now
    with write():
        make_position(cast.peer, cast.branch, Role.COMMITTEE_MEMBER)
    response = client.get(path)
    assert response.status_code == 200 and "张伟" in main(response)


# --- 5. the language is part of the key -------------------------------------------------------


def test_switching_language_does_not_serve_the_kept_chinese_page(login):
    client = login("member")
    path = url("my_record")
    keep(client, path)
    assert "个人信息" in main(client.get(path))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response, n = get(client, path)
    assert n > HIT_MAX
    assert "Personal details" in main(response) and "个人信息" not in main(response)
    assert "张伟" in main(response)


# --- 6. the date is part of the kept scope and of the page key --------------------------------


def test_a_position_ending_today_stops_counting_tomorrow(login, cast, write, monkeypatch):
    today = timezone.localdate()
    position = cast.committee_member.positions.get(role=Role.COMMITTEE_MEMBER)
    with write():
        position.ended_on = today
        position.save()
    client = login("committee_member")
    path = url("members:roster", branch=cast.branch.pk)
    keep(client, path)  # page and scope kept today, while the position is current

    real_localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **kw: real_localdate(*a, **kw) + timedelta(days=1)
    )
    assert client.get(path).status_code in (403, 404)


def test_the_day_is_part_of_the_page_key(cast, monkeypatch):
    user = cast.users["organizer"]
    _render_twice(user, "/warm/", None)
    assert _render_twice(user, "/today/", None) == 1
    real_localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **kw: real_localdate(*a, **kw) + timedelta(days=1)
    )
    assert _render_twice(user, "/today/", None) == 1


# --- 7. CACHE_VALID_UNTIL ---------------------------------------------------------------------


def test_valid_until_is_the_earliest_moment_of_the_sections():
    now = timezone.now()
    sections = [
        {"context": {"cache_valid_until": now + timedelta(hours=2)}},
        {"context": {}},
        {"context": {"cache_valid_until": now + timedelta(minutes=5)}},
        {"context": {"cache_valid_until": None}},
    ]
    assert record.valid_until(sections) == now + timedelta(minutes=5)
    assert record.valid_until([{"context": {}}]) is None
    assert record.valid_until([]) is None


def test_an_upcoming_session_makes_the_record_valid_until_it_ends(cast):
    soon = plan(cast.branch, starts_at=timezone.now() + timedelta(hours=1))
    later = plan(cast.branch, starts_at=timezone.now() + timedelta(days=3))
    sections = record.record_sections(cast.member, year=timezone.localdate().year)
    assert record.valid_until(sections) == soon.ends_at < later.ends_at


def _request(user, path):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.META["CSRF_COOKIE"] = "v" * 32  # what CsrfViewMiddleware sets from the cookie
    return request


def _render_twice(user, path, valid_until):
    """render_cached twice for the same reader and path; how many times the page was built."""
    built = []

    def build():
        built.append(1)
        return {"roots": [], pagecache.CACHE_VALID_UNTIL: valid_until}

    for _ in range(2):
        response = pagecache.render_cached(
            _request(user, path), "members/tree.html", build, areas=pagecache.AREAS
        )
        assert response.status_code == 200
        assert "\ue000" not in response.content.decode()
    return len(built)


def test_a_page_valid_until_a_past_moment_is_not_kept(cast):
    user = cast.users["organizer"]
    _render_twice(user, "/warm/", None)  # sets the versions of the areas it reads
    assert _render_twice(user, "/past/", timezone.now() - timedelta(seconds=1)) == 2
    assert _render_twice(user, "/now/", timezone.now() + timedelta(milliseconds=500)) == 2


def test_a_page_valid_until_a_later_moment_is_kept_until_the_data_changes(cast):
    user = cast.users["organizer"]
    _render_twice(user, "/warm/", None)
    assert _render_twice(user, "/later/", timezone.now() + timedelta(hours=1)) == 1
    assert _render_twice(user, "/later/", None) == 0  # still kept
    pagecache.bump("education", branch_paths=[cast.far_branch.path])  # a page over the tree
    assert _render_twice(user, "/later/", None) == 1


def test_a_session_ending_shows_in_the_leaders_list_to_record(login, cast, monkeypatch):
    """The home dashboard's "ended but not yet recorded" list grows by the clock alone: the
    page says it is valid until the next session the leader should record ends, even one
    they are not expected at."""
    # A frozen clock: 10:00 today, then 11:00. The session ends half a second after 10:00,
    # so a page that says it is valid until then is not kept at all.
    ten = timezone.make_aware(datetime.combine(timezone.localdate(), time(10)))
    clock = [ten]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    education.session_plan(
        organization=cast.branch,
        kind="study",
        title="待记录的学习XQ",
        starts_at=ten - timedelta(hours=1),
        ends_at=ten + timedelta(milliseconds=500),
        hours=Decimal("1.0"),
        expected_member_ids=[cast.member.pk],  # the secretary is not expected
    )
    client = login("secretary")
    path = url("home")
    for _ in range(3):
        assert 'data-testid="sessions-to-record"' not in main(client.get(path))
    clock[0] = ten + timedelta(hours=1)
    page = main(client.get(path))
    assert 'data-testid="sessions-to-record"' in page and "待记录的学习XQ" in page


# --- 8. the cache being down breaks no page ---------------------------------------------------

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DOWN
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    with pytest.raises(RedisDown):
        cache.get("anything")  # django.core.cache.cache is the unreachable one


def test_pages_answer_with_the_cache_down(login, cast, cache_down):
    client = login("secretary")
    for _ in range(2):
        response = client.get(url("members:roster", branch=cast.branch.pk))
        assert response.status_code == 200
        assert "张伟" in main(response) and "陈静" not in main(response)
        response = client.get(url("my_record"))
        assert response.status_code == 200 and "李娜" in main(response)
        response = client.get(url("education:hours_branch", branch=cast.branch.pk, year=YEAR))
        assert response.status_code == 200 and hours_of(response, "张伟") == "0.0"


def test_writes_still_show_with_the_cache_down(login, cast, cache_down, write):
    client = login("secretary")
    path = url("members:roster", branch=cast.branch.pk)
    assert "王芳" in main(client.get(path))
    with write():
        members.member_update(member=cast.peer, actor=cast.users["secretary"], full_name="王芳菲")
    assert "王芳菲" in main(client.get(path))


@pytest.mark.parametrize("name", ["members:tree", "home", "education:hours_rollup"])
def test_organizer_pages_answer_with_the_cache_down(login, cache_down, name):
    """The tree's member counts and the hours rollup are cached too: never at any page's cost."""
    response = login("organizer").get(url(name))
    assert response.status_code == 200 and "第一支部" in main(response)


def test_a_session_can_be_logged_with_the_cache_down(login, cast, cache_down):
    """Bumping the rollups' version is no reason for a write to fail."""
    held(cast.branch, starts_at=at(YEAR, 3, 10), attendance={cast.member: "present"})
    response = login("secretary").get(
        url("education:hours_branch", branch=cast.branch.pk, year=YEAR)
    )
    assert hours_of(response, "张伟") == "2.0"


# --- 9. POST is never kept --------------------------------------------------------------------


def test_an_invalid_rating_post_renders_the_posted_form(login, cast):
    cycle = move_to(open_cycle(cast.branch), Step.RATING)
    client = login("secretary")
    path = url("appraisal:rating", cycle.pk)
    hit = keep(client, path)
    posted = {f"g{cast.member.pk}": "not-a-grade", f"r{cast.member.pk}": "理由标记QZ"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, posted)
    assert response.status_code == 200
    assert len(queries) > hit
    assert "理由标记QZ" in main(response)
    # Nothing of the POST was kept: the next GET is the kept page, without the posted text.
    response, n = get(client, path)
    assert n == hit and "理由标记QZ" not in main(response)
