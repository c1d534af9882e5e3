"""Deliveries to group robots, the signed webhook and SMS, against real local HTTP servers
that check each request as the service does (tests/members/channel_fakes.py)."""

import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from members import services as member_services
from members.channels import services
from members.channels.models import BranchChannel, ChannelKind, Delivery, RateWindow
from members.models import Notification
from tests.members.channel_fakes import (
    FakeDingTalk,
    FakeFeishu,
    FakeSmsGateway,
    FakeWebhook,
    FakeWeCom,
)

DUE = date(2026, 3, 1)


@pytest.fixture
def fakes(settings):
    wecom, dingtalk, feishu, hook, sms = (
        FakeWeCom(),
        FakeDingTalk(),
        FakeFeishu(),
        FakeWebhook(),
        FakeSmsGateway(),
    )
    settings.BRANCHSITE_CHANNEL_URL_PREFIXES = {
        "wecom": [f"{wecom.base}/cgi-bin/webhook/send?"],
        "dingtalk": [f"{dingtalk.base}/robot/send?"],
        "feishu": [f"{feishu.base}/open-apis/bot/v2/hook/"],
        "webhook": [f"{hook.base}/hook/"],
    }
    settings.BRANCHSITE_SMS_URL = sms.url()
    settings.BRANCHSITE_SMS_TEMPLATE_ID = sms.TEMPLATE
    settings.BRANCHSITE_SMS_KEY_ID = sms.KEY_ID
    settings.BRANCHSITE_SMS_SECRET = sms.SECRET
    settings.BRANCHSITE_CHANNEL_CONNECT_TIMEOUT = 1.0
    settings.BRANCHSITE_CHANNEL_READ_TIMEOUT = 1.0
    settings.BRANCHSITE_BASE_URL = "https://branch.example.org"
    yield SimpleNamespace(wecom=wecom, dingtalk=dingtalk, feishu=feishu, webhook=hook, sms=sms)
    for fake in (wecom, dingtalk, feishu, hook, sms):
        fake.stop()


def _robot(fake, branch, token="tok-1", secret="", *, register_secret=None, actor=None):
    fake.robots[token] = secret if register_secret is None else register_secret
    return services.branch_channel_save(
        organization=branch,
        kind=fake.name,
        webhook_url=fake.url(token),
        secret=secret,
        is_enabled=True,
        actor=actor,
    )


def _notice(branch, *, kind="education.session_reminder", title="明天 9:00 支部党员大会", n=0):
    return services.group_notice(
        kind=kind,
        subject=branch,
        branch_ids=[branch.pk],
        due_date=DUE + timedelta(days=n),
        title=title,
        body="地点：三楼会议室\n应到：12人",
        url="/education/sessions/1/",
    )


def _make_due():
    Delivery.objects.filter(state=Delivery.State.PENDING).update(next_attempt_at=timezone.now())


def test_wecom_accepts_one_markdown_message_per_event_and_a_rerun_sends_nothing(fakes, cast):
    robot = _robot(fakes.wecom, cast.branch)
    assert _notice(cast.branch) == 1
    counts = services.deliveries_send()
    assert counts["accepted"] == 1
    [body] = fakes.wecom.accepted
    assert body["msgtype"] == "markdown"
    assert "**明天 9:00 支部党员大会**" in body["markdown"]["content"]
    assert "> 应到：12人" in body["markdown"]["content"]
    assert "https://branch.example.org/education/sessions/1/" in body["markdown"]["content"]
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.ACCEPTED
    assert delivery.branch_channel == robot and delivery.accepted_at is not None
    # The job runs again (beat, a retry): same event, nothing new queued or sent.
    assert _notice(cast.branch) == 0
    services.deliveries_send()
    assert len(fakes.wecom.accepted) == 1
    assert fakes.wecom.requests == 1


def test_dingtalk_signed_request_is_accepted(fakes, cast):
    _robot(fakes.dingtalk, cast.branch, secret="SECabc123")
    _notice(cast.branch)
    assert services.deliveries_send()["accepted"] == 1
    [body] = fakes.dingtalk.accepted
    assert body["markdown"]["title"] == "明天 9:00 支部党员大会"


def test_feishu_signed_body_is_accepted(fakes, cast):
    _robot(fakes.feishu, cast.branch, secret="feishu-secret")
    _notice(cast.branch)
    assert services.deliveries_send()["accepted"] == 1
    [body] = fakes.feishu.accepted
    assert body["content"]["post"]["zh_cn"]["title"] == "明天 9:00 支部党员大会"
    assert body["timestamp"].isdigit() and body["sign"]


@pytest.mark.parametrize("fake_name", ["dingtalk", "feishu"])
def test_a_bad_signature_stops_and_tells_the_secretary(fakes, cast, fake_name):
    fake = getattr(fakes, fake_name)
    robot = _robot(fake, cast.branch, secret="wrong-secret", register_secret="the-real-secret")
    _notice(cast.branch)
    _notice(cast.branch, title="第二条", n=1)
    services.deliveries_send()
    assert not fake.accepted
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.FAILED}
    # Only the first was tried: the second fails with the reason, without another request.
    assert fake.requests == 1
    errors = sorted(Delivery.objects.values_list("last_error", flat=True))
    assert any("310000" in e or "19021" in e for e in errors)
    robot.refresh_from_db()
    assert robot.broken_at is not None
    told = Notification.objects.get(kind=services.KIND_ROBOT_FAILED)
    assert told.recipient == cast.secretary
    # Set aside: a new event queues nothing for it, and nothing is retried.
    assert _notice(cast.branch, n=2) == 0
    _make_due()
    services.deliveries_send()
    assert fake.requests == 1


def test_a_dead_robot_is_a_permanent_error(fakes, cast):
    """The robot was removed from the group: WeCom answers 93000."""
    robot = _robot(fakes.wecom, cast.branch, token="gone")
    del fakes.wecom.robots["gone"]
    _notice(cast.branch)
    assert services.deliveries_send()["failed"] == 1
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED and "93000" in delivery.last_error
    robot.refresh_from_db()
    assert "93000" in robot.broken_reason
    assert Notification.objects.filter(
        kind=services.KIND_ROBOT_FAILED, recipient=cast.secretary
    ).exists()


def test_a_5xx_is_retried_with_backoff_then_accepted(fakes, cast):
    _robot(fakes.wecom, cast.branch)
    fakes.wecom.script.append((502, {"error": "bad gateway"}))
    _notice(cast.branch)
    before = timezone.now()
    assert services.deliveries_send()["retry"] == 1
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.PENDING and delivery.attempts == 1
    assert "502" in delivery.last_error
    assert delivery.next_attempt_at >= before + timedelta(seconds=services.BACKOFF_BASE)
    services.deliveries_send()  # not due yet: nothing sent
    assert fakes.wecom.requests == 1
    _make_due()
    assert services.deliveries_send()["accepted"] == 1
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.ACCEPTED and delivery.attempts == 2
    assert len(fakes.wecom.accepted) == 1


def test_temporary_failures_give_up_after_the_last_attempt_and_tell_the_secretary(fakes, cast):
    _robot(fakes.wecom, cast.branch)
    fakes.wecom.script.extend([(503, {})] * services.MAX_ATTEMPTS)
    _notice(cast.branch)
    for _i in range(services.MAX_ATTEMPTS):
        _make_due()
        services.deliveries_send()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert Notification.objects.filter(kind=services.KIND_ROBOT_FAILED).exists()


def test_the_rate_limit_queues_instead_of_dropping(fakes, cast):
    """25 notices to one WeCom robot: 20 go now, 5 wait for the window; none is lost and the
    service never had to refuse one."""
    _robot(fakes.wecom, cast.branch)
    for i in range(25):
        _notice(cast.branch, title=f"通知{i}", n=i)
    counts = services.deliveries_send()
    assert counts["accepted"] == 20 and counts["queued"] == 5
    waiting = Delivery.objects.filter(state=Delivery.State.PENDING)
    assert waiting.count() == 5
    assert all(d.attempts == 0 for d in waiting)
    assert min(d.next_attempt_at for d in waiting) > timezone.now() + timedelta(seconds=50)
    assert fakes.wecom.requests == 20
    # A minute later (the window and the service's own counter both moved on).
    window = RateWindow.objects.get()
    window.recent = [t - 61 for t in window.recent]
    window.save()
    fakes.wecom.sent_at.clear()
    _make_due()
    assert services.deliveries_send()["accepted"] == 5
    assert len(fakes.wecom.accepted) == 25
    assert len({b["markdown"]["content"] for b in fakes.wecom.accepted}) == 25


def test_a_rate_limit_answer_waits_without_spending_an_attempt(fakes, cast):
    """Someone else's script used the robot: WeCom answers 45009; the message waits a minute."""
    _robot(fakes.wecom, cast.branch)
    fakes.wecom.script.append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    _notice(cast.branch)
    assert services.deliveries_send()["retry"] == 1
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.PENDING and delivery.attempts == 0
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=55)
    _make_due()
    assert services.deliveries_send()["accepted"] == 1


def test_an_unreachable_robot_never_delays_the_others(fakes, cast):
    """One branch's robot hangs; another branch's robot is answered at once, and the hung
    robot's other messages are left for later instead of each waiting for a timeout."""
    _robot(fakes.feishu, cast.branch, token="hangs")
    _robot(fakes.wecom, cast.other_branch)
    fakes.feishu.script.extend(["hang"] * 3)
    for i in range(3):
        _notice(cast.branch, n=i)
    _notice(cast.other_branch)
    started = time.monotonic()
    counts = services.deliveries_send()
    elapsed = time.monotonic() - started
    assert counts["accepted"] == 1 and len(fakes.wecom.accepted) == 1
    assert elapsed < 3  # one read timeout (1 s), not three
    assert fakes.feishu.requests == 1
    hung = Delivery.objects.filter(organization=cast.branch)
    assert {d.state for d in hung} == {Delivery.State.PENDING}
    assert sorted(d.attempts for d in hung) == [0, 0, 1]
    assert "timeout" in hung.get(attempts=1).last_error


def test_a_claim_left_by_a_dead_worker_is_sent_again(fakes, cast):
    _robot(fakes.wecom, cast.branch)
    _notice(cast.branch)
    Delivery.objects.update(
        state=Delivery.State.SENDING,
        claimed_at=timezone.now() - services.CLAIM_TIMEOUT - timedelta(minutes=1),
        attempts=1,
    )
    counts = services.deliveries_send()
    assert counts["released"] == 1 and counts["accepted"] == 1
    assert len(fakes.wecom.accepted) == 1


def test_a_fresh_claim_is_left_alone(fakes, cast):
    """Another worker holds it right now: this run neither sends nor releases it."""
    _robot(fakes.wecom, cast.branch)
    _notice(cast.branch)
    Delivery.objects.update(state=Delivery.State.SENDING, claimed_at=timezone.now(), attempts=1)
    assert services.deliveries_send().get("accepted", 0) == 0
    assert fakes.wecom.requests == 0


def test_the_signed_webhook_carries_the_idempotency_key(fakes, cast):
    _robot(fakes.webhook, cast.branch, token="h1", secret="hook-secret")
    _notice(cast.branch)
    assert services.deliveries_send()["accepted"] == 1
    [body] = fakes.webhook.accepted
    assert body["title"] == "明天 9:00 支部党员大会"
    assert body["_delivery"] == Delivery.objects.get().event_key
    assert body["organization"] == cast.branch.name


def test_a_webhook_with_the_wrong_secret_is_refused_for_good(fakes, cast):
    _robot(fakes.webhook, cast.branch, token="h1", secret="mine", register_secret="theirs")
    _notice(cast.branch)
    assert services.deliveries_send()["failed"] == 1
    assert "401" in Delivery.objects.get().last_error


def test_protection_notices_never_go_to_a_group(fakes, cast):
    _robot(fakes.wecom, cast.branch)
    with pytest.raises(ValueError):
        _notice(cast.branch, kind="protection.case_opened_for")
    assert not Delivery.objects.exists()


def test_a_test_message_is_queued_not_sent_by_the_caller(fakes, cast):
    robot = _robot(fakes.dingtalk, cast.branch, secret="SECx")
    delivery = services.test_message_queue(channel=robot, actor=cast.secretary.account)
    assert fakes.dingtalk.requests == 0
    assert delivery.state == Delivery.State.PENDING
    services.deliveries_send()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.ACCEPTED


def test_an_accepted_test_message_brings_a_stopped_robot_back(fakes, cast):
    robot = _robot(fakes.wecom, cast.branch)
    BranchChannel.objects.filter(pk=robot.pk).update(broken_at=timezone.now(), broken_reason="x")
    robot.refresh_from_db()
    services.test_message_queue(channel=robot, actor=None)
    services.deliveries_send()
    robot.refresh_from_db()
    assert robot.broken_at is None
    assert _notice(cast.branch) == 1


# --- a member's own channels -----------------------------------------------------------------


def _personal(cast, kind="education.hours_nudge", title="您的学时落后于进度"):
    return member_services.notify(
        kind=kind, subject=cast.member, recipient=cast.member, due_date=DUE, title=title
    )


def test_sms_first_goes_by_sms_and_not_by_email(fakes, cast):
    cast.member.phone = "13800138000"
    cast.member.save()
    services.channel_preference_save(member=cast.member, order=["sms", "email"])
    notification = _personal(cast)
    assert notification.email_state == Notification.EmailState.NONE
    delivery = Delivery.objects.get()
    assert delivery.channel == ChannelKind.SMS and delivery.fallback == "email"
    assert services.deliveries_send()["accepted"] == 1
    [body] = fakes.sms.accepted
    assert body["phone"] == "13800138000"
    assert body["params"]["title"] == "您的学时落后于进度"
    assert _personal(cast) is None  # a re-run: no new notification, no new SMS
    assert Delivery.objects.count() == 1


def test_an_sms_refused_for_good_falls_back_to_email(fakes, cast):
    cast.member.phone = "not-a-number"
    cast.member.save()
    services.channel_preference_save(member=cast.member, order=["sms", "email"])
    notification = _personal(cast)
    services.deliveries_send()
    assert Delivery.objects.get().state == Delivery.State.FAILED
    notification.refresh_from_db()
    assert notification.email_state == Notification.EmailState.PENDING


def test_email_first_falls_back_to_sms_when_email_fails(fakes, cast, settings):
    settings.EMAIL_BACKEND = "tests.members.test_channel_delivery.RefusingBackend"
    cast.member.phone = "13800138000"
    cast.member.save()
    services.channel_preference_save(member=cast.member, order=["email", "sms"])
    notification = _personal(cast)
    assert notification.email_state == Notification.EmailState.PENDING
    for _i in range(3):
        member_services.pending_emails_send()
    notification.refresh_from_db()
    assert notification.email_state == Notification.EmailState.FAILED
    assert services.deliveries_send()["accepted"] == 1
    assert len(fakes.sms.accepted) == 1


def test_a_protection_notice_by_sms_says_only_that_there_is_something_to_read(fakes, cast):
    cast.member.phone = "13800138000"
    cast.member.save()
    services.channel_preference_save(member=cast.member, order=["sms"])
    _personal(cast, kind="protection.case_opened_for", title="关于网络暴力案件的处理")
    services.deliveries_send()
    [body] = fakes.sms.accepted
    assert "网络暴力" not in body["params"]["title"]
    assert "网络暴力" not in Delivery.objects.get().title


def test_inbox_only_sends_nothing_beyond_the_inbox(fakes, cast):
    services.channel_preference_save(member=cast.member, order=[])
    notification = _personal(cast)
    assert notification.email_state == Notification.EmailState.NONE
    assert not Delivery.objects.exists()


def test_without_an_sms_gateway_sms_first_falls_to_email(cast, settings):
    settings.BRANCHSITE_SMS_URL = ""
    cast.member.phone = "13800138000"
    cast.member.save()
    services.channel_preference_save(member=cast.member, order=["sms", "email"])
    assert _personal(cast).email_state == Notification.EmailState.PENDING
    assert not Delivery.objects.exists()


class RefusingBackend:
    """A mail server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        return 0


# --- through the real broker -----------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_group_notice_travels_through_the_real_broker_once(celery_worker_thread, fakes, cast):
    """The PostgreSQL/Redis run: the notice's commit queues the sender through Redis; the
    worker sends it to the robot; a second beat run sends nothing new."""
    from django.db import transaction

    from members.tasks import send_due_deliveries

    _robot(fakes.wecom, cast.branch)
    with transaction.atomic():
        _notice(cast.branch)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not fakes.wecom.accepted:
        time.sleep(0.2)
    assert len(fakes.wecom.accepted) == 1
    deadline = time.monotonic() + 10
    delivery = Delivery.objects.get()
    while time.monotonic() < deadline and delivery.state != Delivery.State.ACCEPTED:
        time.sleep(0.2)
        delivery.refresh_from_db()
    assert delivery.state == Delivery.State.ACCEPTED
    send_due_deliveries.delay()
    time.sleep(1.5)
    assert fakes.wecom.requests == 1
