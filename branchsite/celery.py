"""The Celery app and every periodic job, in one place.

Beat must run as a single instance (two would duplicate every job). Jobs ask the database what
is due rather than scheduling long countdowns, and every reminder goes through
members.services.notify, whose unique key makes a re-run harmless.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "branchsite.settings")

app = Celery("branchsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every beat entry of every app is listed here, so that one file shows all that beat runs.
app.conf.beat_schedule = {
    # Organization figures: the rows above changed branches (writes queue the same task on
    # commit; this sweep catches a queue lost with a worker). Coalesced: a run takes every
    # dirty branch, a concurrent run returns at once.
    "members.propagate_member_figures": {
        "task": "members.tasks.propagate_member_figures",
        "schedule": crontab(),  # every minute
    },
    "education.propagate_study_figures": {
        "task": "education.tasks.propagate_study_figures",
        "schedule": crontab(),
    },
    "appraisal.propagate_appraisal_figures": {
        "task": "appraisal.tasks.propagate_appraisal_figures",
        "schedule": crontab(),
    },
    # Who is behind the pace and which meeting periods are over change when a month begins.
    "education.recompute_study_figures_for_month": {
        "task": "education.tasks.recompute_study_figures_for_month",
        "schedule": crontab(minute=1, hour=0, day_of_month=1),
    },
    # The sweep of pending e-mails: sends what a request could not queue (broker down) and
    # what a dead sender left claimed (released after BRANCHSITE_EMAIL_CLAIM_TIMEOUT). With
    # nothing pending it is one indexed query.
    "members.send_pending_emails": {
        "task": "members.tasks.send_pending_emails",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},  # after an outage, one sweep runs, not one per minute
    },
    "members.send_due_deliveries": {
        # group robots, the signed webhook and SMS: what is due, retries after their backoff
        "task": "members.tasks.send_due_deliveries",
        "schedule": crontab(minute="*"),
    },
    "education.send_checkin_open_notices": {
        "task": "education.tasks.send_checkin_open_notices",
        "schedule": crontab(minute="*/5"),
    },
    "education.send_session_reminders": {
        "task": "education.tasks.send_session_reminders",
        "schedule": crontab(minute=0),  # every hour, around the clock; the unique key dedupes
    },
    "education.send_hours_nudges": {
        "task": "education.tasks.send_hours_nudges",
        "schedule": crontab(minute=0, hour=9, day_of_month=1),
    },
    "education.send_meeting_digests": {
        "task": "education.tasks.send_meeting_digests",
        "schedule": crontab(minute=30, hour=9, day_of_month=15),
    },
    "appraisal.send_appraisal_reminders": {
        # self-assessments due, ballot closing, publicity ending, rectification items due
        "task": "appraisal.tasks.send_appraisal_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "appraisal.send_ballot_open_notices": {
        "task": "appraisal.tasks.send_ballot_open_notices",
        "schedule": crontab(minute="*/15"),
    },
    "appraisal.close_finished_publicity": {
        "task": "appraisal.tasks.close_finished_publicity",
        "schedule": crontab(hour=0, minute=20),
    },
    "appraisal.remind_commendation_approvers": {
        "task": "appraisal.commendations.tasks.remind_commendation_approvers",
        "schedule": crontab(minute=15, hour="8-18"),
    },
    "members.remind_case_follow_ups": {
        "task": "members.protection.tasks.remind_case_follow_ups",
        "schedule": crontab(minute=0, hour=8),
    },
    "members.remind_new_protection_cases": {
        "task": "members.protection.tasks.remind_new_protection_cases",
        "schedule": crontab(minute="*/30"),
    },
}
