"""The channel pages: a branch's robots (save, test, remove), its delivery log, and a
member's own channel order; exact query counts whatever the number of rows."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from members import services as member_services
from members.channels import services
from members.channels.models import BranchChannel, ChannelPreference, Delivery
from tests.factories import make_members
from tests.members.channel_fakes import FakeWeCom


@pytest.fixture
def wecom(settings):
    fake = FakeWeCom()
    fake.robots["k1"] = ""
    settings.BRANCHSITE_CHANNEL_URL_PREFIXES = {
        "wecom": [f"{fake.base}/cgi-bin/webhook/send?"],
        "dingtalk": ["https://oapi.dingtalk.com/robot/send?"],
        "feishu": [],
        "webhook": [],
    }
    yield fake
    fake.stop()


def _settings_url(cast):
    return reverse("members:channel_settings", args=[cast.branch.pk])


def test_the_secretary_saves_a_robot_and_a_test_message_is_only_queued(login, cast, wecom):
    client = login("secretary")
    response = client.post(
        _settings_url(cast),
        {"kind": "wecom", "wecom-webhook_url": wecom.url("k1"), "wecom-is_enabled": "on"},
    )
    assert response.status_code == 302
    robot = BranchChannel.objects.get(organization=cast.branch)
    assert robot.webhook_url == wecom.url("k1") and robot.is_enabled
    response = client.post(_settings_url(cast), {"kind": "wecom", "action": "test"})
    assert response["Location"] == reverse("members:delivery_log", args=[cast.branch.pk])
    assert wecom.requests == 0  # nothing is sent from inside the request
    delivery = Delivery.objects.get()
    assert delivery.kind == services.KIND_TEST and delivery.state == Delivery.State.PENDING
    services.deliveries_send()  # the worker
    assert len(wecom.accepted) == 1
    page = client.get(reverse("members:delivery_log", args=[cast.branch.pk]))
    assert 'data-testid="state-accepted"' in page.content.decode()


def test_an_address_outside_the_service_is_refused_with_a_message(login, cast, wecom):
    client = login("secretary")
    response = client.post(
        _settings_url(cast),
        {"kind": "wecom", "wecom-webhook_url": "http://10.0.0.5/admin", "wecom-is_enabled": "on"},
    )
    assert response.status_code == 200
    assert not BranchChannel.objects.exists()
    assert wecom.base in response.content.decode()  # "must start with …"


def test_an_unknown_kind_or_a_service_not_offered_is_404(login, cast, wecom):
    client = login("secretary")
    for kind in ("feishu", "email", "nonsense"):
        response = client.post(_settings_url(cast), {"kind": kind})
        assert response.status_code == 404


def test_another_branchs_secretary_cannot_post_to_the_robots(login, cast, wecom):
    response = login("other_secretary").post(
        _settings_url(cast), {"kind": "wecom", "wecom-webhook_url": wecom.url("k1")}
    )
    assert response.status_code == 404
    assert not BranchChannel.objects.exists()


def test_removing_a_robot_fails_what_was_queued_for_it(login, cast, wecom):
    robot = services.branch_channel_save(
        organization=cast.branch,
        kind="wecom",
        webhook_url=wecom.url("k1"),
        secret=None,
        is_enabled=True,
        actor=None,
    )
    services.group_notice(
        kind="education.session_reminder",
        subject=cast.branch,
        branch_ids=[cast.branch.pk],
        due_date=date(2026, 1, 1),
        title="明天学习",
    )
    login("secretary").post(_settings_url(cast), {"kind": "wecom", "action": "remove"})
    assert not BranchChannel.objects.filter(pk=robot.pk).exists()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED and delivery.branch_channel is None


def _log_rows(cast, n):
    Delivery.objects.bulk_create(
        Delivery(
            event_key=f"test|{i}",
            channel="sms",
            target=f"member:{m.pk}",
            organization=cast.branch,
            recipient=m,
            kind="education.hours_nudge",
            title=f"通知{i}",
            state=Delivery.State.FAILED,
            last_error="SMS isv.MOBILE_NUMBER_ILLEGAL: invalid number",
        )
        for i, m in enumerate(make_members(cast.branch, n))
    )


@pytest.mark.parametrize("n", [3, 60])
def test_delivery_log_query_count_does_not_grow(login, cast, n, django_assert_num_queries):
    _log_rows(cast, n)
    client = login("secretary")
    url = reverse("members:delivery_log", args=[cast.branch.pk])
    # session, user, the reader's member (with positions and unread badge), the branch, the
    # bounded count, the page of rows
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="delivery"') == min(n, 50)
    assert "invalid number" in response.content.decode()


def test_delivery_log_of_another_branch_shows_nothing_of_this_one(login, cast):
    _log_rows(cast, 2)
    response = login("other_secretary").get(
        reverse("members:delivery_log", args=[cast.other_branch.pk])
    )
    assert response.status_code == 200
    assert "invalid number" not in response.content.decode()


def test_channel_settings_query_count(login, cast, wecom, django_assert_num_queries):
    client = login("secretary")
    # session, user, the reader's member (with positions and unread badge), the branch, its robots
    with django_assert_num_queries(5):
        response = client.get(_settings_url(cast))
    assert response.status_code == 200


def test_a_member_chooses_the_order_of_their_channels(login, cast, settings):
    settings.BRANCHSITE_SMS_URL = "http://127.0.0.1:9/sms"
    settings.BRANCHSITE_SMS_TEMPLATE_ID = "T1"
    client = login("member")
    url = reverse("my_channels")
    response = client.post(url, {"first": "sms", "second": "email"})
    assert response.status_code == 302
    assert ChannelPreference.objects.get(member=cast.member).order == "sms,email"
    response = client.post(url, {"first": "sms", "second": "sms"})
    assert response.status_code == 200
    assert ChannelPreference.objects.get(member=cast.member).order == "sms,email"
    response = client.post(url, {"first": "", "second": ""})
    assert ChannelPreference.objects.get(member=cast.member).order == ""


def test_sms_cannot_be_chosen_where_no_gateway_is_configured(login, cast, settings):
    settings.BRANCHSITE_SMS_URL = ""
    response = login("member").post(reverse("my_channels"), {"first": "sms"})
    assert response.status_code == 200
    assert not ChannelPreference.objects.exists()


def test_my_channels_query_count(login, cast, django_assert_num_queries):
    client = login("member")
    # session, user, the reader's member (with positions and unread badge), the preference
    with django_assert_num_queries(4):
        assert client.get(reverse("my_channels")).status_code == 200


@pytest.mark.parametrize("n", [2, 25])
def test_inbox_shows_where_each_notice_went(login, cast, n, django_assert_num_queries):
    for i in range(n):
        notification = member_services.notify(
            kind="test.where",
            subject=cast.member,
            recipient=cast.member,
            due_date=date(2026, 1, 1) + timedelta(days=i),
            title=f"通知{i}",
        )
        Delivery.objects.create(
            event_key=f"k{i}",
            channel="sms",
            target=f"member:{cast.member.pk}",
            organization=cast.branch,
            recipient=cast.member,
            notification=notification,
            kind="test.where",
            title=f"通知{i}",
            state=Delivery.State.ACCEPTED,
            accepted_at=notification.created_at,
        )
    client = login("member")
    # session, user, the reader's member (with positions and unread badge), count, page, the
    # page's deliveries (one query however many)
    with django_assert_num_queries(6):
        response = client.get(reverse("members:inbox"))
    body = response.content.decode()
    assert body.count('data-testid="where-it-went"') == n
    assert body.count("✓") >= n
