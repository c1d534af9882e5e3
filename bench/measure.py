"""Measure one seeded database: `python -m bench.measure --phase pages|jobs --base-url ...`.

bench/run.py starts it with the same environment as the gunicorn it measures (the seeded
database, Redis, production settings), so Django here reads that database.

--phase pages, for each page of bench.pages.PAGES: its URL, a logged-in session for its user
and the queries per request, counted in this process with Django's test client and
CaptureQueriesContext against the same database (the second of two requests, so caches
warmed by the first do not count; gunicorn's own processes cannot be instrumented without a
middleware in settings), with the in-process time. Requests per second and p50/p95 latency
over real HTTP are then measured by bench/run.py, every size's gunicorn in turn (page by
page, in rounds), so that a drift of the machine's speed falls on every size alike.

--phase jobs, after the pages of every size: the timed jobs: downloads (the rollup XLSX),
check-ins and logging a session, the reminder fan-out through the real Celery worker (with
the worker's peak memory) and the 10 000-row roster import.
"""

import argparse
import io
import itertools
import json
import os
import random
import re
import threading
import time
import traceback
from datetime import date
from typing import NamedTuple

from django.db.models import Q


def _proc_children(pid):
    children = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                children.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return children


def proc_tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(_proc_children(p))
    return pids


def proc_status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def cpu_seconds(pids):
    """{pid: user + system CPU seconds so far} from /proc (gone processes are left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def database_backend_pids():
    """The PostgreSQL backends connected to this database (gunicorn's, the worker's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by gunicorn's processes and by this database's PostgreSQL backends
    while the block runs (backends that connect meanwhile count from zero)."""

    def __init__(self, app_pid):
        self.app_pid = app_pid

    def __enter__(self):
        self.app = cpu_seconds(proc_tree(self.app_pid)) if self.app_pid else {}
        self.db = cpu_seconds(database_backend_pids())
        return self

    def __exit__(self, *exc):
        app = cpu_seconds(proc_tree(self.app_pid)) if self.app_pid else {}
        db = cpu_seconds(database_backend_pids())
        self.app_seconds = sum(v - self.app.get(pid, 0) for pid, v in app.items())
        self.db_seconds = sum(v - self.db.get(pid, 0) for pid, v in db.items())


class TreeMemorySampler:
    """Samples the summed RSS of a process tree (e.g. the Celery worker and its children)."""

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval = pid, interval
        self.peak_sum_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            total = sum(proc_status_kb(p, "VmRSS") for p in proc_tree(self.pid))
            self.peak_sum_kb = max(self.peak_sum_kb, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self):
        per_process = {p: proc_status_kb(p, "VmHWM") for p in proc_tree(self.pid)}
        return {
            "worker_peak_rss_mb_largest_process": round(max(per_process.values()) / 1024, 1)
            if per_process
            else None,
            "worker_peak_rss_mb_sum_sampled": round(self.peak_sum_kb / 1024, 1),
            "worker_processes": len(per_process),
        }


# --- facts, queries ------------------------------------------------------------------------


def build_facts(extra=None):
    """The Facts of the seeded database; `extra` is bench.seed's context.extra (the
    seeders' hints, e.g. appraisal_cycle_id), read from its --report file."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.pages import Facts
    from bench.seed.members import BENCH_USERNAMES
    from members.models import Member, Organization

    User = get_user_model()
    users = {role: User.objects.get(username=name) for role, name in BENCH_USERNAMES.items()}
    members = {
        role: Member.objects.select_related("branch").get(account=user)
        for role, user in users.items()
        if role != "admin"
    }
    today = timezone.localdate()
    return Facts(
        year=today.year,
        today=today,
        root=Organization.objects.filter(depth=1).order_by("path").first(),
        bench_branch=members["secretary"].branch,
        users=users,
        members=members,
        extra=dict(extra or {}),
    )


IMPORT_BRANCH_PREFIX = "基准导入党支部"


def cleanup_earlier_runs():
    """Undo what an earlier run's jobs wrote, so a reused database measures the same world."""
    from bench.pages import FANOUT_TASKS
    from education.models import Attendance, Session
    from members.models import Member, Notification, Organization

    Notification.objects.filter(kind__in=[f.kind for f in FANOUT_TASKS]).delete()
    # The bench's own sessions (a benchmark database: deleted, not voided as the site would).
    ours = Session.objects.filter(title__in=[CHECKIN_TITLE, LOG_TITLE])
    Attendance.objects.filter(session__in=ours).delete()
    ours.delete()
    imported = Organization.objects.filter(name__startswith=IMPORT_BRANCH_PREFIX)
    Member.objects.filter(branch__in=imported).delete()
    for branch in imported:
        branch.delete()


def settle_database():
    """VACUUM (ANALYZE) and CHECKPOINT before measuring; returns the seconds taken.

    What a production server's autovacuum would have done by now to the freshly seeded (or,
    reused, freshly cleaned) tables: visibility map and statistics up to date, no dead rows
    of the last run's jobs, and no checkpoint of the seed's writes running while pages are
    measured. (This machine's PostgreSQL runs with autovacuum off.)"""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    return round(time.perf_counter() - started, 1)


def count_queries(url, user, *, timed=5):
    """In-process figures for url as user: {status, sql, inproc_ms}.

    Every page is built on every request (nothing is kept between requests), so these are
    what every view costs. Queries are those of one request after a first one (per-process
    caches warmed by it do not count); the time is the median of `timed` more requests, free
    of HTTP and of other processes on the machine.
    """
    from contextlib import ExitStack

    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from members.dbrouting import REPLICA, replica_configured

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(url)
    with ExitStack() as stack:
        primary = stack.enter_context(CaptureQueriesContext(connections["default"]))
        replica = (
            stack.enter_context(CaptureQueriesContext(connections[REPLICA]))
            if replica_configured()
            else None
        )
        response = client.get(url)
    # Read now: every request (request_started) empties the connection's query log.
    sql = [q["sql"][:160] for q in primary.captured_queries]
    replica_sql = ["[replica] " + q["sql"][:150] for q in (replica or [])]
    # CPU, not wall time, for the capacity plan (bench.scaling): this process's and that of
    # its PostgreSQL backends (the primary's and the standby's, on this machine).
    backends = []
    for alias in ("default", REPLICA) if replica_configured() else ("default",):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.append(cursor.fetchone()[0])
    durations = []
    runs = timed if response.status_code == 200 else 0
    cpu_app, cpu_db = time.process_time(), cpu_seconds(backends)
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        durations.append(time.perf_counter() - started)
    cpu_app = time.process_time() - cpu_app
    cpu_db = sum(v - cpu_db.get(pid, 0) for pid, v in cpu_seconds(backends).items())
    durations.sort()
    median = round(durations[len(durations) // 2] * 1000, 1) if durations else None
    return {
        "status": response.status_code,
        "sql": sql + replica_sql,
        "replica_queries": len(replica_sql),
        "inproc_ms": median,
        "cpu_ms": round((cpu_app + cpu_db) * 1000 / runs, 1) if runs else None,
        "db_cpu_ms": round(cpu_db * 1000 / runs, 1) if runs else None,
    }


# --- writes --------------------------------------------------------------------------------

CHECKIN_TITLE = "基准签到测试"


def _checkin_world(facts, count):
    """`count` members who can check in now, each logged in (a session made directly in the
    session store: a login per member would time PBKDF2, not the check-in), each holding a
    fresh check-in pass (what scanning the room's QR code leaves), spread over planned
    sessions of many branches starting in 10 minutes (the check-in window is open).
    Returns [(cookie header, path, csrf token, session id, member id)]."""
    from datetime import timedelta
    from types import SimpleNamespace

    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from branchsite.second_factor import decide_at_login
    from education.models import SessionKind
    from education.services.sessions import session_plan
    from education.views.checkin import _CHECKIN_SESSION_KEY
    from members.models import Member, Organization, OrganizationKind

    User = get_user_model()
    starts = timezone.now() + timedelta(minutes=10)
    branches = (
        Organization.objects.filter(kind=OrganizationKind.BRANCH)
        .exclude(pk=facts.bench_branch.pk)
        .order_by("path")
    )
    world, users = [], {}
    for branch in branches.iterator(chunk_size=200):
        session = session_plan(
            organization=branch,
            kind=SessionKind.THEME_DAY,
            title=CHECKIN_TITLE,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            hours="2.0",
        )
        members = list(Member.objects.active().filter(branch=branch).order_by("pk"))
        for member in members:
            if member.account_id is None:
                user = User.objects.create(username=f"bench_checkin_{member.pk}")
                Member.objects.filter(pk=member.pk).update(account=user)
            else:
                user = User.objects.get(pk=member.account_id)
            users[member.pk] = user
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store[_CHECKIN_SESSION_KEY] = {"session": session.pk, "at": time.time()}
            # What logging in leaves in the session besides the user: the second-factor
            # decision (branchsite.second_factor), which a check-in then only reads.
            decide_at_login(sender=User, request=SimpleNamespace(session=store), user=user)
            store.create()
            csrf = get_random_string(32)
            world.append(
                (
                    f"sessionid={store.session_key}; csrftoken={csrf}",
                    reverse("education:checkin_confirm", args=[session.pk]),
                    csrf,
                    session.pk,
                    member.pk,
                )
            )
        if len(world) >= count:
            break
    # Interleave the sessions, so that concurrent clients check in to different ones.
    by_session = {}
    for item in world[:count]:
        by_session.setdefault(item[3], []).append(item)
    interleaved = []
    for row in itertools.zip_longest(*by_session.values()):
        interleaved.extend(item for item in row if item is not None)
    return interleaved


class FloorLoad(NamedTuple):
    """The floor view as job_checkins loads it beside the check-ins."""

    path: str
    cookie: str
    concurrency: int
    max_requests: int


def job_checkins(
    facts, target, *, count, concurrency, duration, app_pid=None, floor=None, rounds=1
):
    """Members checking themselves in (POST, the real view) at `concurrency` clients, each
    request a different member: requests per second, p50/p95, and every success verified in
    the database (present, checked in, once).

    The prepared check-ins and `duration` are split into `rounds`. With `floor` (a
    FloorLoad), the floor view is loaded before each round on the same gunicorn, so the
    check-ins' share of its req/s compares the same minutes ("floor_rps"); the CPU per
    check-in counts the check-in rounds only."""
    from bench import httpload
    from education.models import Attendance, AttendanceStatus

    world = _checkin_world(facts, count)
    todo = list(world)
    rounds = max(1, rounds)
    checkins, floor_rounds, done = httpload.Rounds(), httpload.Rounds(), []
    app_seconds = db_seconds = 0.0
    if floor:
        httpload.warm_up(target, floor.path, floor.cookie)

    def send_one(conn, item):
        cookie, path, csrf, _session_id, _member_id = item
        body = f"csrfmiddlewaretoken={csrf}".encode()
        return httpload.send(
            conn, target, "POST", path, cookie, body=body, content_type=httpload.FORM_CONTENT_TYPE
        )

    for r in range(rounds):
        if floor:
            floor_rounds.add(
                *httpload.load_latencies(
                    target,
                    floor.path,
                    floor.cookie,
                    concurrency=floor.concurrency,
                    max_requests=httpload.round_share(floor.max_requests, rounds, r),
                    duration=duration / rounds,
                )
            )
        take = httpload.budgeted(
            lambda: todo.pop() if todo else None,
            httpload.round_share(len(world), rounds, r),
            duration / rounds,
        )
        with CpuMeter(app_pid) as cpu:
            latencies, errors, answered, elapsed = httpload.run_clients(
                target, concurrency=concurrency, take=take, send_one=send_one
            )
        app_seconds += cpu.app_seconds
        db_seconds += cpu.db_seconds
        checkins.add(latencies, errors, elapsed)
        done += answered
    ok = len(checkins.latencies)
    checked = Attendance.objects.filter(
        session_id__in={item[3] for item in done},
        status=AttendanceStatus.PRESENT,
        checked_in_at__isnull=False,
    ).count()
    result = {
        "path": "HTTP POST education:checkin_confirm, a different member each request",
        "prepared": len(world),
        **checkins.summary(concurrency),
        "rounds": rounds,
        "verified_in_database": checked,
        # Where a check-in's cost goes: CPU per check-in in gunicorn and in PostgreSQL.
        "app_cpu_ms_per_request": round(app_seconds * 1000 / ok, 2) if ok and app_pid else None,
        "db_cpu_ms_per_request": round(db_seconds * 1000 / ok, 2) if ok else None,
        "broken": bool(checkins.errors) or checked != ok,
    }
    if floor:
        result["floor"] = floor_rounds.summary(floor.concurrency)
        result["floor_rps"] = result["floor"]["rps"]
    return result


LOG_TITLE = "基准补录会议"


def job_log_session(facts, *, attendees=30, runs=5):
    """A secretary logs a held session with `attendees` marked
    (education.services.attendance.session_log, in-process, one transaction): the median and max
    of `runs`, each a new session in a branch of at least `attendees` active members."""
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from education.models import SessionKind
    from education.services.attendance import session_log
    from members.models import ACTIVE_STATUSES, Member, Organization, OrganizationKind

    branch = (
        Organization.objects.filter(kind=OrganizationKind.BRANCH)
        .annotate(n=Count("members", filter=Q(members__status__in=ACTIVE_STATUSES)))
        .filter(n__gte=attendees)
        .order_by("path")
        .first()
    )
    if branch is None:
        branch = (
            Organization.objects.filter(kind=OrganizationKind.BRANCH)
            .annotate(n=Count("members", filter=Q(members__status__in=ACTIVE_STATUSES)))
            .order_by("-n")
            .first()
        )
    member_ids = list(
        Member.objects.active().filter(branch=branch).order_by("pk").values_list("pk", flat=True)
    )[:attendees]
    marks = ("present", "present", "present", "late", "excused", "absent")
    attendance = {mid: (marks[i % len(marks)], None) for i, mid in enumerate(member_ids)}
    actor = facts.users["secretary"]
    durations, queries = [], None
    for k in range(runs):
        starts = timezone.now() - timedelta(days=1, hours=k)
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            session_log(
                organization=branch,
                attendance=attendance,
                actor=actor,
                kind=SessionKind.THEME_DAY,
                title=LOG_TITLE,
                topics=[],
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                hours="2.0",
                minutes="会议按议程进行。",
            )
            durations.append(time.perf_counter() - t0)
        queries = len(captured.captured_queries)
    durations.sort()
    return {
        "path": "education.services.session_log, in-process",
        "attendees": len(attendance),
        "runs": runs,
        "median_ms": round(durations[len(durations) // 2] * 1000, 1),
        "max_ms": round(durations[-1] * 1000, 1),
        "queries": queries,
    }


# --- jobs ----------------------------------------------------------------------------------


def job_fanout(facts, *, worker_pid, timeout, entry=None, email_wait=600):
    """A monthly reminder through the real worker: time until every notification exists,
    time until every e-mail is sent, a re-run that must add none, the worker's memory."""
    from django.db.models import Count
    from django.utils import timezone

    from bench.pages import fanout_task
    from branchsite.celery import app
    from members.models import ACTIVE_STATUSES, Member, Notification

    entry = entry or fanout_task()
    kwargs = entry.kwargs(facts)
    since = timezone.now()
    active = Member.objects.active().count()
    result = {
        "task": entry.task,
        "title": entry.title,
        "kwargs": kwargs,
        "everyone_due": entry.everyone,
        "active_members": active,
    }
    with TreeMemorySampler(worker_pid) as sampler:
        started = time.perf_counter()
        created = app.send_task(entry.task, kwargs=kwargs).get(timeout=timeout)
        result["notifications_seconds"] = round(time.perf_counter() - started, 2)
        result["created"] = created
        ours = Notification.objects.filter(kind=entry.kind, created_at__gte=since)
        waiting = ours.filter(
            email_state__in=[Notification.EmailState.PENDING, Notification.EmailState.SENDING]
        )
        while waiting.exists():
            if time.perf_counter() - started > min(timeout, email_wait):
                # Past the wait (twice the 5 minutes by default): the e-mails left
                # are dropped from the queue, so that the jobs after do not wait behind them.
                result["timed_out"] = True
                result["emails_pending_at_timeout"] = waiting.count()
                app.control.purge()
                # The senders already running would go on with the rest for minutes and hold
                # the worker's processes from the jobs after: take the rest off the outbox, so
                # that each stops after the batch in hand.
                ours.filter(email_state=Notification.EmailState.PENDING).update(
                    email_state=Notification.EmailState.NONE
                )
                stop_by = time.perf_counter() + 60
                sending = ours.filter(email_state=Notification.EmailState.SENDING)
                while sending.exists() and time.perf_counter() < stop_by:
                    time.sleep(0.5)
                break
            time.sleep(0.5)
        result["seconds"] = round(time.perf_counter() - started, 2)
        per_recipient = ours.values("recipient_id").annotate(n=Count("id"))
        result["notifications"] = ours.count()
        result["distinct_recipients"] = per_recipient.count()
        result["max_per_recipient"] = max(
            (r["n"] for r in per_recipient.order_by("-n")[:1]), default=0
        )
        # A join, not NOT IN (SELECT ...): at a million members that subquery does not fit
        # in work_mem and PostgreSQL re-scans it for every notification.
        result["inactive_recipients"] = ours.exclude(recipient__status__in=ACTIVE_STATUSES).count()
        result["emails_sent"] = ours.filter(email_state=Notification.EmailState.SENT).count()
        result["emails_failed"] = ours.filter(email_state=Notification.EmailState.FAILED).count()
        result["without_email"] = ours.filter(email_state=Notification.EmailState.NONE).count()
        rerun_started = time.perf_counter()
        try:
            result["rerun_created"] = app.send_task(entry.task, kwargs=kwargs).get(timeout=timeout)
        except Exception as exc:  # e.g. still busy with the e-mails of the first run
            result["rerun_created"] = f"{type(exc).__name__}"
        result["rerun_seconds"] = round(time.perf_counter() - rerun_started, 2)
    result.update(sampler.report())
    # Each due member exactly once: as many notifications as distinct recipients, none twice,
    # nobody inactive, a re-run adds none; the stand-in must also reach every active member.
    result["each_once"] = (
        result["created"] == result["notifications"] == result["distinct_recipients"]
        and result["max_per_recipient"] == 1
        and result["inactive_recipients"] == 0
        and result["rerun_created"] == 0
        and (not entry.everyone or result["distinct_recipients"] == active)
    )
    return result


def import_rows(roster_io, rows):
    """`rows` new members as {column key: cell}, unique names and e-mails, valid dates."""
    from bench.seed.members import _name

    rng = random.Random(6)  # noqa: S311 - made-up names
    names = set()
    while len(names) < rows:
        names.add(_name(rng))
    names = sorted(names)
    rng.shuffle(names)
    for i in range(rows):
        joined = date(1990 + i % 30, 1 + i % 12, 1 + i % 28)
        yield {
            "full_name": names[i],
            "gender": "男" if i % 2 else "女",
            "birth_date": date(joined.year - 25, joined.month, joined.day).isoformat(),
            "ethnicity": "汉族",
            "education": "本科",
            "phone": f"139{i:08d}",
            "email": f"import{i}@scale.branchsite.local",
            "joined_on": joined.isoformat(),
            "full_member_on": date(joined.year + 1, joined.month, joined.day).isoformat(),
            "status": "正式党员",
        }


def import_workbook(roster_io, rows):
    """One .xlsx of `rows` rows with the Chinese headers of roster_io.COLUMNS (no groups)."""
    from openpyxl import Workbook

    columns = [c for c in roster_io.COLUMNS if c.key != "group"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.zh for c in columns])
    for row in import_rows(roster_io, rows):
        sheet.append([row.get(c.key, "") for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TOKEN_INPUT = re.compile(rb'name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"')


def _form_errors(body):
    """The error texts of a re-shown form (invalid-feedback blocks, alerts), for the report."""
    text = body.decode("utf-8", "replace")
    found = re.findall(
        r'class="[^"]*(?:invalid-feedback|alert-danger|errorlist)[^"]*"[^>]*>(.*?)</', text, re.S
    )
    return [re.sub(r"<[^>]+>|\s+", " ", f).strip()[:200] for f in found if f.strip()][:3]


def job_roster_import(facts, target, cookie, *, rows=10_000):
    """Import `rows` new members into a fresh branch in ONE file, over HTTP through gunicorn,
    the way a secretary does: upload (read, check every row, preview) then confirm (check
    again, create). Timed from the upload's first byte to the confirm's redirect."""
    from bench import httpload

    try:
        from members import roster_io
    except ImportError as exc:
        from bench.pages import NotAvailable

        raise NotAvailable("members.roster_io is not there") from exc
    from django.urls import reverse

    from members import services
    from members.models import Member, Organization, OrganizationKind

    committee = Organization.objects.get_children(facts.root).filter(kind="committee").first()
    branch = services.organization_create(
        parent=committee,
        name=f"{IMPORT_BRANCH_PREFIX}{int(time.time())}",
        kind=OrganizationKind.BRANCH,
    )
    t0 = time.perf_counter()
    content = import_workbook(roster_io, rows)
    result = {
        "rows": rows,
        "files": 1,
        "file_bytes": len(content),
        "max_rows": getattr(roster_io, "MAX_ROWS", None),
        "build_file_seconds": round(time.perf_counter() - t0, 2),
        "user": facts.users["organizer"].username,
        "path": "HTTP: upload + preview, then confirm (members:roster_import)",
    }
    url = reverse("members:roster_import")
    # The form page: its CSRF token (and cookie) for the upload.
    status, body, _s = httpload.fetch(target, f"{url}?branch={branch.pk}", cookie)
    match = httpload.CSRF_INPUT.search(body)
    if status != 200 or not match:
        raise RuntimeError(f"import form: HTTP {status}")
    csrf = match.group(1).decode()
    started = time.perf_counter()
    status, body, seconds = httpload.post(
        target,
        url,
        cookie,
        fields={"csrfmiddlewaretoken": csrf, "branch": str(branch.pk)},
        files={"file": ("roster.xlsx", content, roster_io_xlsx_type())},
        timeout=900,
    )
    result["upload_preview_seconds"] = round(seconds, 2)
    result["preview_bytes"] = len(body)
    match = TOKEN_INPUT.search(body)
    if status != 200 or not match:
        result.update(
            seconds=round(time.perf_counter() - started, 2),
            created=0,
            rejected=f"HTTP {status}, no confirm token",
            errors=_form_errors(body),
        )
        return result
    token = (match.group(1) or match.group(2)).decode()
    status, body, seconds = httpload.post(
        target, url, cookie, fields={"csrfmiddlewaretoken": csrf, "token": token}, timeout=900
    )
    result["confirm_seconds"] = round(seconds, 2)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["created"] = Member.objects.filter(branch=branch).count()
    if status != 302:
        result["rejected"] = f"confirm: HTTP {status}"
        result["errors"] = _form_errors(body)
    return result


def roster_io_xlsx_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- main ----------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=("pages", "jobs"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--pages", help="comma-separated page keys (default: all)")
    parser.add_argument(
        "--jobs", default="downloads,writes,fanout,import", help="which jobs to run"
    )
    parser.add_argument("--checkins", type=int, default=1000, help="check-ins prepared")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="clients loading the floor beside check-ins"
    )
    parser.add_argument("--max-requests", type=int, default=1000, help="floor requests, at most")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of check-ins and floor")
    parser.add_argument("--checkin-concurrency", type=int, default=8)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--worker-pid", type=int)
    parser.add_argument("--gunicorn-pid", type=int)
    parser.add_argument("--job-timeout", type=float, default=900)
    parser.add_argument(
        "--email-wait", type=float, default=600, help="seconds to wait for a fan-out's e-mails"
    )
    parser.add_argument("--seed-report", help="bench.seed's --report (context.extra: hints)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import httpload

    extra = {}
    if args.seed_report:
        with open(args.seed_report, encoding="utf-8") as fh:
            extra = json.load(fh).get("context", {}).get("extra", {})
    facts = build_facts(extra)
    target = httpload.Target.from_url(args.base_url)
    cookies = {}

    def cookie(role):
        if role not in cookies:
            cookies[role] = httpload.login(target, facts.users[role].username, args.password)
        return cookies[role]

    if args.phase == "pages":
        # What an earlier run's jobs wrote is undone, then the database settled, before pages.
        cleanup_earlier_runs()
        out = {"vacuum_seconds": settle_database(), "extra": facts.extra}
        out["pages"] = measure_pages(args, facts, cookie)
    else:
        out = {"downloads": {}, "jobs": {}}
        run_jobs(args, facts, target, cookie, out)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)


def measure_pages(args, facts, cookie):
    """{page key: entry}: URL, queries and in-process figures, and the session cookie that
    bench/run.py's HTTP load uses (it removes it from the results)."""
    from bench.pages import PAGES, NotAvailable

    pages = {}
    wanted = set(args.pages.split(",")) if args.pages else None
    for page in PAGES:
        if wanted and page.key not in wanted:
            continue
        entry = {"title": page.title, "level": page.level, "user": page.user}
        pages[page.key] = entry
        try:
            url = page.url(facts)
            entry["url"] = url
            figures = count_queries(url, facts.users[page.user])
            status, sql = figures["status"], figures["sql"]
            queries = len(sql)
        except NotAvailable as exc:
            entry.update(available=False, reason=str(exc))
            print(f"  {page.key}: not available ({exc})", flush=True)
            continue
        except Exception as exc:
            # A page (or its builder) that breaks is reported, not allowed to stop the run.
            entry.update(available=False, reason=f"{type(exc).__name__}: {exc}"[:300])
            entry["traceback"] = traceback.format_exc(limit=6)
            entry["broken"] = True
            print(f"  {page.key}: ERROR {entry['reason']}", flush=True)
            continue
        if status != 200:
            entry.update(available=False, reason=f"HTTP {status} in-process", broken=True)
            print(f"  {page.key}: HTTP {status}, left out", flush=True)
            continue
        entry.update(
            available=True,
            queries=queries,
            inproc_ms=figures["inproc_ms"],
            replica_queries=figures["replica_queries"],
            cpu_ms=figures["cpu_ms"],
            db_cpu_ms=figures["db_cpu_ms"],
            sql=sql,
            cookie=cookie(page.user),
        )
        print(
            f"  {page.key}: {queries} queries ({entry['replica_queries']} on the replica), "
            f"in-process {entry['inproc_ms']} ms",
            flush=True,
        )
    return pages


def floor_beside(facts, cookie, args):
    """The FloorLoad loaded beside the check-ins (job_checkins); None where this server has
    no floor view (bench.settings)."""
    from bench.pages import PAGES, NotAvailable

    page = next(page for page in PAGES if page.key == "floor")
    try:
        path = page.url(facts)
    except NotAvailable:
        return None
    return FloorLoad(path, cookie(page.user), args.concurrency, args.max_requests)


def run_jobs(args, facts, target, cookie, out):
    from bench import httpload
    from bench.pages import DOWNLOADS, NotAvailable

    jobs = set(args.jobs.split(",")) if args.jobs else set()
    if "downloads" in jobs:
        for download in DOWNLOADS:
            entry = {"title": download.title, "target_seconds": download.target_seconds}
            out["downloads"][download.key] = entry
            try:
                url = download.url(facts)
            except NotAvailable as exc:
                entry.update(available=False, reason=str(exc))
                print(f"  {download.key}: not available ({exc})", flush=True)
                continue
            figures = count_queries(url, facts.users[download.user], timed=0)
            status, sql = figures["status"], figures["sql"]
            queries = len(sql)
            status, body, seconds = httpload.fetch(target, url, cookie(download.user))
            entry.update(
                available=status == 200,
                url=url,
                status=status,
                queries=queries,
                seconds=round(seconds, 2),
                bytes=len(body),
            )
            print(f"  {download.key}: HTTP {status}, {entry['seconds']} s", flush=True)

    from bench.pages import FANOUT_TASKS

    everyone = next(f for f in FANOUT_TASKS if f.everyone)
    for family, key, run in (
        (
            "writes",
            "checkins",
            lambda: job_checkins(
                facts,
                target,
                count=args.checkins,
                concurrency=args.checkin_concurrency,
                duration=max(args.duration, 5),
                app_pid=args.gunicorn_pid,
                floor=floor_beside(facts, cookie, args),
                rounds=args.rounds,
            ),
        ),
        ("writes", "log_session", lambda: job_log_session(facts)),
        (
            "fanout",
            "fanout",
            lambda: job_fanout(
                facts,
                worker_pid=args.worker_pid,
                timeout=args.job_timeout,
                email_wait=args.email_wait,
            ),
        ),
        (
            # The figure: a monthly reminder to every active member.
            "fanout",
            "fanout_everyone",
            lambda: job_fanout(
                facts,
                worker_pid=args.worker_pid,
                timeout=args.job_timeout,
                entry=everyone,
                email_wait=args.email_wait,
            ),
        ),
        (
            "import",
            "import",
            lambda: job_roster_import(facts, target, cookie("organizer"), rows=args.import_rows),
        ),
    ):
        if family not in jobs:
            continue
        if key.startswith("fanout") and not args.worker_pid:
            out["jobs"][key] = {"available": False, "reason": "no worker"}
            continue
        try:
            out["jobs"][key] = {"available": True, **run()}
        except NotAvailable as exc:
            out["jobs"][key] = {"available": False, "reason": str(exc)}
        except Exception as exc:
            out["jobs"][key] = {
                "available": False,
                "reason": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=5),
                "broken": True,
            }
        print(f"  job {key}: {json.dumps(out['jobs'][key], ensure_ascii=False)[:300]}", flush=True)


if __name__ == "__main__":
    main()
