"""Measure one seeded database: `python -m bench.measure --base-url ... --out ...`.

bench/run.py starts it with the same environment as the gunicorn it measures (the seeded
database, Redis, production settings), so Django here reads that database. For each page of
bench.pages.PAGES:

- queries per request: counted in this process with Django's test client and
  CaptureQueriesContext against the same database (the second of two requests, so caches
  warmed by the first do not count) — gunicorn's own processes cannot be instrumented
  without a middleware in settings;
- requests per second and p50/p95 latency: over real HTTP against gunicorn, with
  concurrent keep-alive clients (bench.httpload).

Then the timed jobs: downloads (the rollup XLSX), the reminder fan-out through the real
Celery worker (with the worker's peak memory) and the 10 000-row roster import.
"""

import argparse
import io
import json
import os
import random
import re
import threading
import time
import traceback
from datetime import date


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
    """The Facts of the seeded database; `extra` is seed_scale's context.extra (the
    seeders' hints, e.g. appraisal_cycle_id), read from its --report file."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.pages import Facts
    from members.models import Member, Organization
    from members.scale import BENCH_USERNAMES

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
    from members.models import Member, Notification, Organization

    Notification.objects.filter(kind__in=[f.kind for f in FANOUT_TASKS]).delete()
    imported = Organization.objects.filter(name__startswith=IMPORT_BRANCH_PREFIX)
    Member.objects.filter(branch__in=imported).delete()
    for branch in imported:
        branch.delete()


def count_queries(url, user, *, timed=5):
    """In-process figures for url as user: {status, sql, inproc_ms, queries_kept,
    inproc_kept_ms}.

    `sql` and `inproc_ms` are the page doing its work: every kept page is made out of date
    before each of these requests (branchsite.pagecache), so they are what the first view
    after a write costs. `queries_kept` and `inproc_kept_ms` are the same page served kept,
    as a repeated view with no write in between is. Queries are those of one request after a
    first one (caches warmed by it do not count); times are the median of `timed` requests,
    free of HTTP and of other processes on the machine.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(url)

    def measure(rebuilt):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        # Read now: every request (request_started) empties the connection's query log.
        sql = [q["sql"][:160] for q in captured.captured_queries]
        durations = []
        for _ in range(timed if response.status_code == 200 else 0):
            started = time.perf_counter()
            client.get(url)
            durations.append(time.perf_counter() - started)
        durations.sort()
        median = round(durations[len(durations) // 2] * 1000, 1) if durations else None
        return response.status_code, sql, median

    status, sql, median = measure(rebuilt=True)
    kept_status, kept_sql, kept_median = measure(rebuilt=False)
    return {
        "status": status if status != 200 else kept_status,
        "sql": sql,
        "inproc_ms": median,
        "queries_kept": len(kept_sql),
        "inproc_kept_ms": kept_median,
    }


# --- jobs ----------------------------------------------------------------------------------


def job_fanout(facts, *, worker_pid, timeout, entry=None):
    """A monthly reminder through the real worker: time until every notification exists,
    time until every e-mail is sent, a re-run that must add none, the worker's memory."""
    from django.db.models import Count
    from django.utils import timezone

    from bench.pages import fanout_task
    from branchsite.celery import app
    from members.models import Member, Notification

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
            if time.perf_counter() - started > timeout:
                result["timed_out"] = True
                break
            time.sleep(0.5)
        result["seconds"] = round(time.perf_counter() - started, 2)
        per_recipient = ours.values("recipient_id").annotate(n=Count("id"))
        result["notifications"] = ours.count()
        result["distinct_recipients"] = per_recipient.count()
        result["max_per_recipient"] = max(
            (r["n"] for r in per_recipient.order_by("-n")[:1]), default=0
        )
        result["inactive_recipients"] = (
            ours.exclude(recipient__in=Member.objects.active()).values("recipient_id").count()
        )
        result["emails_sent"] = ours.filter(email_state=Notification.EmailState.SENT).count()
        result["emails_failed"] = ours.filter(email_state=Notification.EmailState.FAILED).count()
        result["without_email"] = ours.filter(email_state=Notification.EmailState.NONE).count()
        rerun_started = time.perf_counter()
        result["rerun_created"] = app.send_task(entry.task, kwargs=kwargs).get(timeout=timeout)
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
    from members.scale import _name

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
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pages", help="comma-separated page keys (default: all)")
    parser.add_argument("--jobs", default="downloads,fanout,import", help="which jobs to run")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--worker-pid", type=int)
    parser.add_argument("--job-timeout", type=float, default=900)
    parser.add_argument("--seed-report", help="seed_scale's --report (context.extra: hints)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import httpload
    from bench.pages import DOWNLOADS, PAGES, NotAvailable

    cleanup_earlier_runs()
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

    out = {"pages": {}, "downloads": {}, "jobs": {}, "extra": facts.extra}
    wanted = set(args.pages.split(",")) if args.pages else None
    for page in PAGES:
        if wanted and page.key not in wanted:
            continue
        entry = {"title": page.title, "level": page.level, "user": page.user}
        out["pages"][page.key] = entry
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
            queries_kept=figures["queries_kept"],
            inproc_kept_ms=figures["inproc_kept_ms"],
            sql=sql,
        )
        entry["loadavg_before"] = round(os.getloadavg()[0], 2)
        status, body, _seconds = httpload.fetch(target, url, cookie(page.user))
        entry["bytes"] = len(body)
        if status != 200:
            entry.update(available=False, reason=f"HTTP {status} from gunicorn", broken=True)
            continue
        entry.update(
            httpload.run_load(
                target,
                url,
                cookie(page.user),
                concurrency=args.concurrency,
                max_requests=args.max_requests,
                duration=args.duration,
                warmup=args.warmup,
            )
        )
        print(
            f"  {page.key}: {entry['rps']} req/s, p50 {entry['p50_ms']} ms, "
            f"p95 {entry['p95_ms']} ms, {queries} queries, in-process {entry['inproc_ms']} ms "
            f"(kept: {entry['queries_kept']} queries, {entry['inproc_kept_ms']} ms)",
            flush=True,
        )

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
    for key, run in (
        (
            "fanout",
            lambda: job_fanout(facts, worker_pid=args.worker_pid, timeout=args.job_timeout),
        ),
        (
            # The figure: a monthly reminder to every active member.
            "fanout_everyone",
            lambda: job_fanout(
                facts, worker_pid=args.worker_pid, timeout=args.job_timeout, entry=everyone
            ),
        ),
        (
            "import",
            lambda: job_roster_import(facts, target, cookie("organizer"), rows=args.import_rows),
        ),
    ):
        if key.split("_")[0] not in jobs:
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

    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
