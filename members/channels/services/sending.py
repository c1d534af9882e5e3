"""The sender: claims due deliveries (pending -> sending), sends them outside any transaction
with short timeouts - each endpoint in its own thread, so one that does not answer never holds
up the others - and records each answer: accepted; temporary (timeout, 5xx, a rate-limit
answer) -> pending again with backoff; permanent -> failed (members.channels.services.failures).
A claim left by a dead worker is released after CLAIM_TIMEOUT and sent again.
"""

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import http, sms
from ..models import BranchChannel, ChannelKind, Delivery
from .common import KIND_TEST, ROBOTS, _link
from .failures import _after_failure
from .rate_window import _acquire_many

# --- sending -------------------------------------------------------------------------------

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds: 30, 60, 120 … after each temporary failure, at most BACKOFF_MAX
BACKOFF_MAX = 3600
UNREACHABLE_PAUSE = 60  # an endpoint that did not answer: its other messages wait this long
CLAIM_TIMEOUT = timedelta(minutes=15)
BATCH_SIZE = 100
MAX_THREADS = 8
RUN_SECONDS = 50  # one run stops claiming after this: beat starts the next each minute


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
