"""Two people editing the same session or settings: the second is told what the first
changed, nothing is overwritten, and saving again keeps both changes."""

import threading

import pytest
from django.db import connections
from django.urls import reverse

from education.models import HoursRequirement, Session
from education.services.org_settings import settings_save
from education.services.sessions import session_update
from tests.education.helpers import plan
from tests.form_data import client_for, form_post_data

CONFLICT = "changed this record while you were editing it"


def _edit_url(session):
    return reverse("education:session_edit", args=[session.pk])


def test_the_second_editor_is_told_what_changed_and_nothing_is_lost(cast):
    session = plan(cast.branch, title="网络素养学习")
    first, second = client_for(cast.users["secretary"]), client_for(cast.users["organizer"])
    form_a = form_post_data(first.get(_edit_url(session)).context["form"])
    form_b = form_post_data(second.get(_edit_url(session)).context["form"])
    assert form_a["version"] == form_b["version"] == "1"

    assert first.post(_edit_url(session), {**form_a, "title": "新标题"}).status_code == 302
    response = second.post(_edit_url(session), {**form_b, "place": "三楼会议室"})

    assert response.status_code == 200
    page = response.content.decode()
    assert CONFLICT in page
    assert "title is now “新标题”" in page
    assert "李娜" in page  # who changed it (the secretary)
    session.refresh_from_db()
    assert (session.title, session.place) == ("新标题", "党员活动室")  # nothing overwritten
    # The form shown again: the other person's title, this person's place, the new version.
    shown = form_post_data(response.context["form"])
    assert (shown["title"], shown["place"], shown["version"]) == ("新标题", "三楼会议室", "2")

    assert second.post(_edit_url(session), shown).status_code == 302
    session.refresh_from_db()
    assert (session.title, session.place, session.version) == ("新标题", "三楼会议室", 3)


def test_an_edit_on_top_of_a_cancellation_is_told_and_not_saved(cast):
    session = plan(cast.branch, title="网络素养学习")
    editor = client_for(cast.users["secretary"])
    data = form_post_data(editor.get(_edit_url(session)).context["form"])
    session_update(session=session, version=1, lecturer="王老师")
    response = editor.post(_edit_url(session), {**data, "hours": "3.0"})
    assert "lecturer is now “王老师”" in response.content.decode()
    session.refresh_from_db()
    assert (session.hours, session.lecturer) == (2, "王老师")


def test_settings_saved_meanwhile_are_shown_not_overwritten(cast):
    org = cast.branch
    settings_save(instance=HoursRequirement(organization=org, year=2025))
    url = reverse("education:settings", args=[org.pk]) + "?year=2025"
    first, second = client_for(cast.users["organizer"]), client_for(cast.users["admin"])
    form_a = form_post_data(first.get(url).context["forms"]["hours"])
    form_b = form_post_data(second.get(url).context["forms"]["hours"])

    response = first.post(url, {**form_a, "hours-member_hours": "40", "form": "hours"})
    assert response.status_code == 302
    response = second.post(url, {**form_b, "hours-leader_hours": "60", "form": "hours"})

    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    row = HoursRequirement.objects.get(organization=org, year=2025)
    assert (row.member_hours, row.leader_hours) == (40, 56)
    # Settings keep no history: the message lists where the saved row differs from the post.
    assert "is now “40" in response.content.decode()
    resubmit = form_post_data(response.context["forms"]["hours"])
    assert resubmit["hours-version"] == str(row.version)


# --- real races (PostgreSQL, threads) -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_session_at_once_one_wins_the_other_is_told(cast):
    session = plan(cast.branch, title="网络素养学习")
    clients = {
        "title": client_for(cast.users["secretary"]),
        "place": client_for(cast.users["organizer"]),
    }
    data = form_post_data(clients["title"].get(_edit_url(session)).context["form"])
    changes = {"title": "新标题", "place": "三楼会议室"}
    history_before = session.history.count()  # created, then its branches set
    barrier = threading.Barrier(2)
    responses = {}

    def save(field):
        barrier.wait()
        try:
            responses[field] = clients[field].post(
                _edit_url(session), {**data, field: changes[field]}
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(f,)) for f in changes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    codes = sorted(r.status_code for r in responses.values())
    assert codes == [200, 302]
    winner = next(f for f, r in responses.items() if r.status_code == 302)
    loser = next(f for f, r in responses.items() if r.status_code == 200)
    session = Session.objects.get(pk=session.pk)
    assert getattr(session, winner) == changes[winner]
    assert getattr(session, loser) != changes[loser]  # not saved, and the winner's is kept
    page = responses[loser].content.decode()
    assert CONFLICT in page
    assert f"{winner} is now “{changes[winner]}”" in page
    assert session.version == 2
    assert session.history.count() == history_before + 1  # exactly one edit
