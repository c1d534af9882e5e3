"""Every write of members/channels: configuring robots and a member's channel order, queueing
deliveries with the event that causes them, and the sender that works through what is due.

The sender (deliveries_send, run by the beat job and by a task queued when deliveries are
written) claims due rows with a conditional update (pending -> sending), sends them outside any
transaction with short timeouts - each endpoint in its own thread, so one that does not answer
never holds up the others - and records each answer: accepted; temporary (timeout, 5xx, a
rate-limit answer) -> pending again with backoff; permanent -> failed, the robot set aside and
the branch's secretary told. A claim left by a dead worker is released after CLAIM_TIMEOUT and
sent again: at least once, and again only when the service did not accept it.
"""

import logging
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import ACTIVE_STATUSES, COMMITTEE_ROLES, Member, Notification, Position, Role
from . import dingtalk, feishu, http, sms, webhook, wecom
from .models import (
    GROUP_KINDS,
    PERSONAL_KINDS,
    BranchChannel,
    ChannelKind,
    ChannelPreference,
    Delivery,
    RateWindow,
)

logger = logging.getLogger(__name__)

ROBOTS = {
    ChannelKind.WECOM: wecom,
    ChannelKind.DINGTALK: dingtalk,
    ChannelKind.FEISHU: feishu,
    ChannelKind.WEBHOOK: webhook,
}
# Notices whose subject must never leave the site in words: a group never gets them at all,
# and a member's SMS says only that there is something to read in the inbox.
CONFIDENTIAL_PREFIXES = ("protection.",)
KIND_TEST = "channels.test"
KIND_ROBOT_FAILED = "channels.robot_failed"

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds: 30, 60, 120 … after each temporary failure, at most BACKOFF_MAX
BACKOFF_MAX = 3600
UNREACHABLE_PAUSE = 60  # an endpoint that did not answer: its other messages wait this long
CLAIM_TIMEOUT = timedelta(minutes=15)
BATCH_SIZE = 100
MAX_THREADS = 8
RUN_SECONDS = 50  # one run stops claiming after this: beat starts the next each minute


class ChannelError(ValueError):
    """A channel setting refused: carries a translated message for the user."""


def _robot_target(channel_id):
    return f"robot:{channel_id}"


def _member_target(member_id):
    return f"member:{member_id}"


def event_key(kind: str, subject_type_id: int, subject_id, due_date: date) -> str:
    """The event part of a delivery's idempotency key (kind, subject, due date)."""
    return f"{kind}|{subject_type_id}:{subject_id}|{due_date.isoformat()}"


def is_confidential(kind: str) -> bool:
    return kind.startswith(CONFIDENTIAL_PREFIXES)


def url_prefixes(kind: str) -> list[str]:
    return list(settings.BRANCHSITE_CHANNEL_URL_PREFIXES.get(kind, ()))


def offered_group_kinds() -> list[str]:
    """The robot services this site offers (the others have no allowed address)."""
    return [k for k in GROUP_KINDS if url_prefixes(k)]


def offered_personal_kinds() -> list[str]:
    return [k for k in PERSONAL_KINDS if k == ChannelKind.EMAIL or sms.enabled()]


def _link(url: str) -> str:
    base = settings.BRANCHSITE_BASE_URL
    return f"{base}{url}" if base and url.startswith("/") else ""


# --- settings ------------------------------------------------------------------------------


@transaction.atomic
def branch_channel_save(
    *, organization, kind: str, webhook_url: str, secret: str | None, is_enabled: bool, actor
) -> BranchChannel:
    """Set a branch's robot of this kind (secret None: keep the stored one). Saving clears a
    permanent failure: the secretary has looked at it."""
    if not organization.is_branch:
        raise ChannelError(_("Group robots are set per Party branch."))
    if kind not in offered_group_kinds():
        raise ChannelError(_("This service is not available on this site."))
    webhook_url = webhook_url.strip()
    if not any(webhook_url.startswith(p) for p in url_prefixes(kind)):
        raise ChannelError(
            _("The address must start with %(prefix)s.")
            % {"prefix": " / ".join(url_prefixes(kind))}
        )
    channel = BranchChannel.objects.select_for_update().filter(
        organization=organization, kind=kind
    ).first() or BranchChannel(organization=organization, kind=kind)
    if secret is not None:
        channel.secret = secret.strip()
    if kind == ChannelKind.WEBHOOK and not channel.secret:
        raise ChannelError(_("A signed webhook needs a secret to sign with."))
    channel.webhook_url = webhook_url
    channel.is_enabled = is_enabled
    channel.broken_at = None
    channel.broken_reason = ""
    channel.updated_by = actor if actor is not None and actor.is_authenticated else None
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def branch_channel_remove(*, channel: BranchChannel) -> None:
    """Forget a robot; what was queued for it fails with that reason, the log keeps it."""
    Delivery.objects.filter(
        branch_channel=channel, state__in=(Delivery.State.PENDING, Delivery.State.SENDING)
    ).update(state=Delivery.State.FAILED, last_error=_("The robot was removed."))
    channel.delete()


@transaction.atomic
def test_message_queue(*, channel: BranchChannel, actor) -> Delivery:
    """Queue a test message to this robot (sent by a worker, never by the request)."""
    with translation.override(settings.LANGUAGE_CODE):
        delivery = Delivery.objects.create(
            event_key=f"{KIND_TEST}|{channel.pk}|{uuid.uuid4().hex}",
            channel=channel.kind,
            target=_robot_target(channel.pk),
            organization_id=channel.organization_id,
            branch_channel=channel,
            kind=KIND_TEST,
            title=_("Test message from %(site)s") % {"site": _("branchsite")},
            body=_("This group will receive the notices of %(branch)s.")
            % {"branch": channel.organization.name},
            url=reverse("members:channel_settings", args=[channel.organization_id]),
        )
    transaction.on_commit(queue_delivery_sending)
    return delivery


@transaction.atomic
def channel_preference_save(*, member: Member, order: list[str]) -> ChannelPreference:
    """The member's own channels, first tried first; [] means the inbox only."""
    unknown = [c for c in order if c not in PERSONAL_KINDS]
    if unknown or len(set(order)) != len(order):
        raise ChannelError(_("Choose each channel at most once."))
    pref, _created = ChannelPreference.objects.update_or_create(
        member=member, defaults={"order": ",".join(order)}
    )
    return pref


# --- queueing ------------------------------------------------------------------------------


def queue_delivery_sending():
    """Ask a worker to send what is due now (call from transaction.on_commit). In the
    embedded default (tasks run in-process) nothing is sent here - that would be inside the
    web request - the periodic job does it."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from ..tasks import send_due_deliveries
    from ..tasks_queue import enqueue

    enqueue(send_due_deliveries)  # a broker outage is logged; the beat sweep runs it later


def group_notice(
    *, kind: str, subject, branch_ids, due_date: date, title: str, body: str = "", url: str = ""
) -> int:
    """One message per event to the group robots of these branches; returns how many were new.

    Keyed on (kind, subject, due date) per robot, so a re-run of the job adds nothing. Never
    for a confidential kind (protection cases): that would put a case in front of a group.
    """
    if is_confidential(kind):
        raise ValueError(f"{kind} is confidential: never sent to a group")
    kinds = offered_group_kinds()
    if not kinds:
        return 0
    key = event_key(kind, ContentType.objects.get_for_model(subject).pk, subject.pk, due_date)
    robots = list(
        BranchChannel.objects.filter(
            organization_id__in=list(branch_ids),
            kind__in=kinds,
            is_enabled=True,
            broken_at__isnull=True,
        ).values_list("pk", "kind", "organization_id")
    )
    if not robots:
        return 0
    return _insert(
        [
            Delivery(
                event_key=key,
                channel=robot_kind,
                target=_robot_target(pk),
                organization_id=org_id,
                branch_channel_id=pk,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
            )
            for pk, robot_kind, org_id in robots
        ]
    )


def _insert(rows: list[Delivery]) -> int:
    """Insert under the unique key (existing ones skipped); queue a sender at commit."""
    if not rows:
        return 0
    with transaction.atomic():
        existing = set(
            Delivery.objects.filter(
                event_key__in={r.event_key for r in rows},
                target__in={r.target for r in rows},
            ).values_list("event_key", "channel", "target")
        )
        new = [r for r in rows if (r.event_key, r.channel, r.target) not in existing]
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            transaction.on_commit(queue_delivery_sending)
    return len(new)


def channel_orders(member_ids) -> dict[int, list[str]]:
    """The chosen channel order of those of these members who chose one (others: e-mail)."""
    return {
        member_id: [c for c in order.split(",") if c]
        for member_id, order in ChannelPreference.objects.filter(
            member_id__in=list(member_ids)
        ).values_list("member_id", "order")
    }


def usable_channels(order: list[str] | None, *, email: str, phone: str) -> list[str]:
    """The member's channels, in their order, that can reach them on this site."""
    order = [ChannelKind.EMAIL.value] if order is None else order
    sms_on = sms.enabled()
    return [
        c
        for c in order
        if (c == ChannelKind.EMAIL and email) or (c == ChannelKind.SMS and sms_on and phone)
    ]


def personal_deliveries_queue(*, notifications: dict[int, tuple[int, str, str]]) -> int:
    """SMS deliveries for notifications whose recipient put SMS first.

    notifications: {notification id: (recipient id, recipient's branch id, fallback)}. The
    notification's own e-mail state covers e-mail; this covers the rest."""
    if not notifications:
        return 0
    rows = list(
        Notification.objects.filter(pk__in=list(notifications)).values_list(
            "pk", "kind", "subject_type_id", "subject_id", "due_date", "title"
        )
    )
    return _insert(
        [
            _sms_delivery(pk, kind, ct, sid, due, title, *notifications[pk])
            for pk, kind, ct, sid, due, title in rows
        ]
    )


def _sms_delivery(pk, kind, ct, sid, due, title, member_id, branch_id, fallback) -> Delivery:
    if is_confidential(kind):
        with translation.override(settings.LANGUAGE_CODE):
            title = _("You have a new notice: please sign in to read it.")
    return Delivery(
        event_key=event_key(kind, ct, sid, due),
        channel=ChannelKind.SMS,
        target=_member_target(member_id),
        organization_id=branch_id,
        recipient_id=member_id,
        notification_id=pk,
        kind=kind,
        title=title[:200],
        url=reverse("members:inbox"),
        fallback=fallback,
    )


def email_failed(notification_ids) -> int:
    """E-mail to these notifications failed for good: go on to each member's next channel."""
    rows = list(
        Notification.objects.filter(pk__in=list(notification_ids)).values_list(
            "pk", "recipient_id", "recipient__branch_id", "recipient__email", "recipient__phone"
        )
    )
    orders = channel_orders({r[1] for r in rows})
    plan = {}
    for pk, member_id, branch_id, _email, phone in rows:
        order = orders.get(member_id)
        if not order or ChannelKind.EMAIL not in order:
            continue
        after = usable_channels(order[order.index(ChannelKind.EMAIL) + 1 :], email="", phone=phone)
        if after and after[0] == ChannelKind.SMS:
            plan[pk] = (member_id, branch_id, ",".join(after[1:]))
    return personal_deliveries_queue(notifications=plan)


# --- sending -------------------------------------------------------------------------------


def deliveries_send(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> dict:
    """Send every due delivery; returns counts by outcome. Safe to run any number at once."""
    released = _release_stale_claims()
    counts = defaultdict(int, released=released)
    started = time.monotonic()
    batches = 0
    while max_batches is None or batches < max_batches:
        if time.monotonic() - started > RUN_SECONDS:
            break
        batch = _claim_batch(batch_size)
        if not batch:
            break
        batches += 1
        for outcome, n in _send_batch(batch).items():
            counts[outcome] += n
    return dict(counts)


def _release_stale_claims() -> int:
    """Claims older than CLAIM_TIMEOUT belong to a worker that died: send them again."""
    return Delivery.objects.filter(
        state=Delivery.State.SENDING, claimed_at__lt=timezone.now() - CLAIM_TIMEOUT
    ).update(state=Delivery.State.PENDING, next_attempt_at=timezone.now())


def _claim_batch(batch_size: int) -> list[Delivery]:
    """Up to batch_size due deliveries, now "sending" and owned by the caller (FOR UPDATE
    SKIP LOCKED where the database has it; the UPDATE re-checks the state either way)."""
    now = timezone.now()
    with transaction.atomic():
        qs = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, state=Delivery.State.PENDING).update(
            state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    # Only rows this claim changed (claimed_at is ours to the microsecond).
    return list(
        Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENDING, claimed_at=now)
        .select_related("branch_channel", "recipient", "organization")
        .order_by("pk")
    )


def _endpoint(delivery: Delivery) -> str:
    return "sms" if delivery.channel == ChannelKind.SMS else delivery.target


def _limits(delivery: Delivery):
    if delivery.channel == ChannelKind.SMS:
        return sms.limits()
    return ROBOTS[delivery.channel].LIMITS


def _send_batch(batch: list[Delivery]) -> dict:
    now = timezone.now()
    results = {}  # delivery id -> Outcome, or None for "not tried now" (rate window, pause)
    later = {}  # delivery id -> when to try again without counting an attempt
    by_endpoint = defaultdict(list)
    for delivery in batch:
        refusal = _refusal(delivery)
        if refusal is not None:
            results[delivery.pk] = refusal
        else:
            by_endpoint[_endpoint(delivery)].append(delivery)
    jobs = {}
    grants = _acquire_many(
        {endpoint: (_limits(ds[0]), len(ds)) for endpoint, ds in by_endpoint.items()}
    )
    for endpoint, deliveries in by_endpoint.items():
        granted, retry_at = grants[endpoint]
        for delivery in deliveries[granted:]:
            later[delivery.pk] = retry_at
        if granted:
            jobs[endpoint] = deliveries[:granted]
    if jobs:
        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(jobs))) as pool:
            for outcomes in pool.map(_send_endpoint, jobs.values()):
                results.update(outcomes)
    return _record(batch, results, later, now)


def _refusal(delivery: Delivery) -> http.Outcome | None:
    """Why this delivery cannot be sent at all now, or None."""
    if delivery.channel == ChannelKind.SMS:
        if not sms.enabled():
            return http.Outcome(permanent=True, error=_("The SMS gateway is not configured."))
        if delivery.recipient is None or not delivery.recipient.phone:
            return http.Outcome(permanent=True, error=_("The member has no phone number."))
        return None
    robot = delivery.branch_channel
    if robot is None:
        return http.Outcome(permanent=True, error=_("The robot was removed."))
    if not robot.is_enabled:
        return http.Outcome(permanent=True, error=_("The robot is turned off."))
    if robot.broken_at is not None and delivery.kind != KIND_TEST:
        return http.Outcome(
            permanent=True,
            error=_("Not sent: the robot failed earlier (%(reason)s).")
            % {"reason": robot.broken_reason},
        )
    return None


def _message(delivery: Delivery) -> http.Message:
    return http.Message(
        title=delivery.title,
        body=delivery.body,
        link=_link(delivery.url),
        event_key=delivery.event_key,
        kind=delivery.kind,
        delivery_id=delivery.pk,
        organization=delivery.organization.name,
    )


def _send_endpoint(deliveries: list[Delivery]) -> dict:
    """Send one endpoint's deliveries in order (in a worker thread: no database here). After
    the endpoint did not answer, or refused for good, the rest are not tried in this run: left
    for later, or (refused) failed with the same reason once the answer is recorded."""
    outcomes = {}
    for delivery in deliveries:
        if any(o is not None and (o.unreachable or o.permanent) for o in outcomes.values()):
            outcomes[delivery.pk] = None
            continue
        now = time.time()
        try:
            if delivery.channel == ChannelKind.SMS:
                url, body, headers = sms.request(
                    phone=delivery.recipient.phone, message=_message(delivery), now=now
                )
                outcome = http.call(url, body, headers, sms.interpret)
            else:
                module = ROBOTS[delivery.channel]
                robot = delivery.branch_channel
                url, body, headers = module.request(
                    url=robot.webhook_url, secret=robot.secret, message=_message(delivery), now=now
                )
                outcome = http.call(url, body, headers, module.interpret)
        except Exception as exc:  # a bug must not lose the batch: retried with backoff
            logger.exception("Sending delivery %s failed", delivery.pk)
            outcome = http.Outcome(error=f"error: {exc}"[:300])
        outcomes[delivery.pk] = outcome
    return outcomes


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


def _record(batch, results, later, now) -> dict:
    """Write each delivery's outcome (one UPDATE per delivery, conditional on our claim)."""
    counts = defaultdict(int)
    failed = []
    claim = batch[0].claimed_at  # one claim, one time: "ours" in every UPDATE below
    accepted, waiting = [], defaultdict(list)
    for delivery in batch:
        outcome = results.get(delivery.pk)
        mine = Delivery.objects.filter(
            pk=delivery.pk, state=Delivery.State.SENDING, claimed_at=delivery.claimed_at
        )
        if delivery.pk in later or outcome is None:
            # Not tried (rate window full, endpoint paused): no attempt spent.
            retry_at = later.get(delivery.pk) or now + timedelta(seconds=UNREACHABLE_PAUSE)
            waiting[retry_at].append(delivery.pk)
            counts["queued"] += 1
        elif outcome.accepted:
            accepted.append(delivery.pk)
            counts["accepted"] += 1
            if delivery.branch_channel is not None and delivery.branch_channel.broken_at:
                # A test message got through: the robot works again.
                BranchChannel.objects.filter(pk=delivery.branch_channel_id).update(
                    broken_at=None, broken_reason=""
                )
        elif outcome.permanent or (not outcome.rate_limited and delivery.attempts >= MAX_ATTEMPTS):
            error = outcome.error
            if not outcome.permanent:
                error = _("Gave up after %(n)d attempts: %(error)s") % {
                    "n": delivery.attempts,
                    "error": outcome.error,
                }
            mine.update(state=Delivery.State.FAILED, last_error=error[:300])
            failed.append((delivery, outcome, error))
            counts["failed"] += 1
        else:
            if outcome.rate_limited:
                retry_at = now + timedelta(seconds=outcome.retry_after or 60)
                attempts = F("attempts") - 1  # the service's pace, not a failure
            else:
                retry_at = now + _backoff(delivery.attempts)
                attempts = F("attempts")
            mine.update(
                state=Delivery.State.PENDING,
                next_attempt_at=retry_at,
                attempts=attempts,
                last_error=outcome.error[:300],
            )
            counts["retry"] += 1
    ours = Delivery.objects.filter(state=Delivery.State.SENDING, claimed_at=claim)
    if accepted:
        ours.filter(pk__in=accepted).update(
            state=Delivery.State.ACCEPTED, accepted_at=timezone.now(), last_error=""
        )
    for retry_at, ids in waiting.items():
        ours.filter(pk__in=ids).update(
            state=Delivery.State.PENDING, attempts=F("attempts") - 1, next_attempt_at=retry_at
        )
    for delivery, outcome, error in failed:
        _after_failure(delivery, outcome, error)
    return counts


def _after_failure(delivery: Delivery, outcome: http.Outcome, error: str):
    """A delivery failed for good: a member's next channel, or the secretary told."""
    if delivery.recipient_id is not None:
        _next_personal_channel(delivery)
        return
    robot = delivery.branch_channel
    if robot is None or not robot.is_enabled:
        return  # removed or turned off by the secretary: nothing to tell them
    if robot.broken_at is not None and delivery.kind != KIND_TEST:
        return  # already set aside and told
    if outcome.permanent:
        BranchChannel.objects.filter(pk=robot.pk).update(
            broken_at=timezone.now(), broken_reason=error[:300]
        )
        # What was queued for it would fail the same way: say so in the log now.
        Delivery.objects.filter(branch_channel=robot, state=Delivery.State.PENDING).update(
            state=Delivery.State.FAILED,
            last_error=(_("Not sent: the robot failed earlier (%(reason)s).") % {"reason": error})[
                :300
            ],
        )
    _tell_secretaries(robot, error)


def _tell_secretaries(robot: BranchChannel, error: str):
    from ..services import notify_many

    with translation.override(settings.LANGUAGE_CODE):
        notify_many(
            kind=KIND_ROBOT_FAILED,
            subject=robot,
            recipient_ids=branch_secretary_ids(robot.organization_id),
            due_date=timezone.localdate(),
            title=_("The %(service)s of your branch could not deliver a notice")
            % {"service": robot.get_kind_display()},
            body=_(
                "The service answered: %(error)s\nCheck the robot in the branch's channel "
                "settings, save it again and send a test message."
            )
            % {"error": error},
            url=reverse("members:channel_settings", args=[robot.organization_id]),
        )


def branch_secretary_ids(branch_id) -> list[int]:
    """The branch's current secretaries and deputies; without one, its committee members."""
    rows = list(
        Position.objects.current()
        .filter(
            organization_id=branch_id,
            role__in=COMMITTEE_ROLES,
            member__status__in=ACTIVE_STATUSES,
        )
        .order_by("member_id")
        .values_list("role", "member_id")
    )
    secretaries = [m for r, m in rows if r in (Role.SECRETARY, Role.DEPUTY_SECRETARY)]
    return sorted(set(secretaries or [m for _r, m in rows]))


def _next_personal_channel(delivery: Delivery):
    rest = [c for c in delivery.fallback.split(",") if c]
    if not rest or delivery.notification_id is None:
        return
    member = delivery.recipient
    if rest[0] == ChannelKind.EMAIL and member.email:
        updated = Notification.objects.filter(
            pk=delivery.notification_id, email_state=Notification.EmailState.NONE
        ).update(email_state=Notification.EmailState.PENDING)
        if updated:
            from ..services import queue_email_sending

            transaction.on_commit(partial(queue_email_sending, 1))


# --- the rate window -------------------------------------------------------------------------


def _acquire_many(wanted: dict) -> dict:
    """Take send slots from each endpoint's sliding window: wanted {endpoint: (limits, n)} ->
    {endpoint: (slots granted, when the next slot frees or None)}. The windows are locked
    together (in name order, so two senders never deadlock): every worker shares them."""
    if not wanted:
        return {}
    names = sorted(wanted)
    RateWindow.objects.bulk_create([RateWindow(name=name) for name in names], ignore_conflicts=True)
    grants = {}
    with transaction.atomic():
        rows = list(RateWindow.objects.select_for_update().filter(name__in=names).order_by("name"))
        now = time.time()
        for row in rows:
            limits, n = wanted[row.name]
            row.recent, grants[row.name] = _take(row.recent, limits, n, now)
        RateWindow.objects.bulk_update(rows, ["recent"])
    return grants


def _take(recent, limits, wanted, now):
    """(the window's new send times, (granted, retry_at)) for `wanted` sends at `now`."""
    longest = max(seconds for seconds, _n in limits)
    recent = [t for t in recent if t > now - longest]
    granted = 0
    while granted < wanted and all(
        sum(1 for t in recent if t > now - seconds) < n for seconds, n in limits
    ):
        recent.append(now)
        granted += 1
    retry_at = None
    if granted < wanted:
        frees = [
            sorted(t for t in recent if t > now - seconds)[-n] + seconds
            for seconds, n in limits
            if sum(1 for t in recent if t > now - seconds) >= n
        ]
        wait = max(frees) - now if frees else 1
        retry_at = timezone.now() + timedelta(seconds=max(wait, 0.5))
    return recent, (granted, retry_at)
