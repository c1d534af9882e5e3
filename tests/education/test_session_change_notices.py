"""Cancelling or moving a session after its reminder: the reminded members are told once per
change, and cancelling asks for confirmation first."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from education import reminders
from education.services.sessions import session_cancel, session_update
from members.models import Notification
from tests.education.helpers import SHANGHAI, at, plan


def _changes():
    return Notification.objects.exclude(
        kind__in=(reminders.KIND_SESSION, reminders.KIND_NUDGE, reminders.KIND_DIGEST)
    )


@pytest.mark.django_db
def test_cancelling_a_reminded_session_tells_the_reminded_members_once(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    unreminded = plan(cast.branch, starts_at=at(2030, 6, 10, 14))
    assert reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI)) == 4
    session_cancel(session=session)
    session_cancel(session=unreminded)  # nobody was reminded: nobody told
    notes = _changes()
    assert notes.count() == 4
    assert {n.kind for n in notes} == {reminders.KIND_CANCELLED}
    session.refresh_from_db()
    assert reminders.session_changed_notify(session=session) == 0  # once


def test_moving_a_reminded_session_tells_them_once_per_new_time(cast):
    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI))
    session_update(session=session, title="改名")  # same time: nothing
    assert _changes().count() == 0
    new_start = at(2030, 5, 10, 16)
    session_update(session=session, starts_at=new_start, ends_at=new_start + timedelta(hours=2))
    assert _changes().count() == 4
    assert "16:00" in _changes().first().title
    session.refresh_from_db()
    assert reminders.session_changed_notify(session=session) == 0
    later = at(2030, 5, 10, 18)
    session_update(session=session, starts_at=later, ends_at=later + timedelta(hours=2))
    assert _changes().count() == 8


def test_cancelling_asks_for_confirmation_first(login, cast):
    from education.models import Session

    session = plan(cast.branch, starts_at=at(2030, 5, 10, 14))
    reminders.session_reminders_send(now=datetime(2030, 5, 9, 8, tzinfo=SHANGHAI))
    client = login("secretary")
    url = reverse("education:session_cancel", args=[session.pk])
    detail = client.get(reverse("education:session_detail", args=[session.pk])).content.decode()
    assert f'href="{url}"' in detail  # a link to the confirmation, not a one-click form
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="cancel-confirm"' in page.content.decode()
    assert "4 members were already reminded" in page.content.decode()
    assert client.post(url, {}).status_code == 200  # no confirm: asked again
    assert Session.objects.get(pk=session.pk).is_planned
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert Session.objects.get(pk=session.pk).is_cancelled
