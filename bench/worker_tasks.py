"""The stand-in monthly reminder the benchmark sends through the real worker.

Loaded into the worker with `celery -A branchsite worker -I bench.worker_tasks` (bench/run.py),
so nothing of it ships with the app. It does what a feature's monthly reminder does: ask the
database who is due (every active member), then one members.services.notify_many over their
ids, streamed in chunks; the e-mails follow through members.tasks.send_pending_emails.
bench/measure.py times both: the real monthly reminder (education.tasks.send_hours_nudges, to
the members behind on study hours) and this one, which reaches every active member (the
issue's figure for the fan-out).
"""

from datetime import date

from celery import shared_task


@shared_task(name="bench.monthly_reminder_fanout", acks_late=True)
def monthly_reminder_fanout(*, due_date: str, kind: str = "bench.monthly_reminder"):
    from members.models import Member, Organization
    from members.services import notify_many

    root = Organization.objects.filter(depth=1).order_by("path").first()
    recipient_ids = (
        Member.objects.active()
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=2000)
    )
    return notify_many(
        kind=kind,
        subject=root,
        recipient_ids=recipient_ids,
        due_date=date.fromisoformat(due_date),
        title="本月学习提醒",
        body="请按时参加本月主题党日和支部学习，并在系统中签到。",
        url="/me/",
    )
