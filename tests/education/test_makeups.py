"""Make-up study (补学): nobody confirms their own, the hours are capped by the missed session,
the form refuses bad input and names each missed session by its date."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from education.models import (
    Makeup,
    MakeupState,
)
from education.services.makeups import makeup_confirm, makeup_submit
from members.services import DomainError
from tests.education.helpers import at, held


@pytest.fixture
def own_makeup(cast):
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.secretary: "absent", cast.member: "present"},
    )
    return makeup_submit(
        member=cast.secretary,
        session=past,
        description="自学",
        studied_on=at(2025, 3, 20).date(),
        hours=Decimal("2.0"),
    )


def test_secretary_cannot_confirm_their_own_makeup(cast, own_makeup):
    with pytest.raises(DomainError, match="your own make-up"):
        makeup_confirm(makeup=own_makeup, actor=cast.secretary.account)
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.SUBMITTED
    # The other leader of the branch may.
    makeup_confirm(makeup=own_makeup, actor=cast.committee_member.account)
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.CONFIRMED


def test_own_makeup_is_not_in_the_review_list_and_post_is_refused(login, cast, own_makeup):
    client = login("secretary")
    listing = client.get(reverse("education:makeup_review_list")).content.decode()
    assert reverse("education:makeup_review", args=[own_makeup.pk]) not in listing
    response = client.post(
        reverse("education:makeup_review", args=[own_makeup.pk]), {"action": "confirm"}
    )
    assert response.status_code == 302
    own_makeup.refresh_from_db()
    assert own_makeup.state == MakeupState.SUBMITTED
    other = login("committee_member").get(reverse("education:makeup_review_list"))
    assert reverse("education:makeup_review", args=[own_makeup.pk]) in other.content.decode()


def test_makeup_hours_cannot_exceed_the_sessions_hours(cast):
    past = held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"})
    with pytest.raises(DomainError) as exc:
        makeup_submit(
            member=cast.member,
            session=past,
            description="自学",
            studied_on=at(2025, 3, 20).date(),
            hours=Decimal("40.0"),
        )
    assert "hours" in exc.value.message_dict
    assert not Makeup.objects.exists()


@pytest.fixture
def missed(cast):
    return held(cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"})


def _makeup_post(client, missed, **overrides):
    data = {
        "session": str(missed.pk),
        "description": "自学党章",
        "studied_on": "2025-03-20",
        "hours": "1.5",
        **overrides,
    }
    return client.post(reverse("education:makeup_create"), data)


@pytest.mark.parametrize(
    ("overrides", "field_text"),
    [
        ({"studied_on": "2999-01-01"}, "cannot be in the future"),
        ({"hours": "0"}, "more than 0"),
        ({"hours": "5"}, "cannot exceed the session"),
        ({"hours": "NaN"}, "Enter a number"),
        ({"evidence": SimpleUploadedFile("run.exe", b"MZ")}, "not accepted"),
        (
            {"evidence": SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1))},
            "larger than 10 MB",
        ),
    ],
)
def test_makeup_form_refuses_bad_input(login, cast, missed, overrides, field_text):
    response = _makeup_post(login("member"), missed, **overrides)
    assert response.status_code == 200
    assert field_text in response.content.decode()
    assert not Makeup.objects.exists()


def test_makeup_form_accepts_good_input(login, cast, missed):
    response = _makeup_post(login("member"), missed)
    assert response.status_code == 302
    assert Makeup.objects.get().hours == Decimal("1.5")


def test_makeup_session_choices_show_the_date(login, cast):
    held(
        cast.branch, starts_at=at(2025, 3, 10), attendance={cast.member: "absent"}, title="主题党日"
    )
    held(
        cast.branch, starts_at=at(2025, 4, 10), attendance={cast.member: "absent"}, title="主题党日"
    )
    html = login("member").get(reverse("education:makeup_create")).content.decode()
    assert "2025-03-10 · 主题党日" in html and "2025-04-10 · 主题党日" in html
