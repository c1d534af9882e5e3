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


def build_facts():
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
    return Facts(
        year=timezone.localdate().year,
        root=Organization.objects.filter(depth=1).order_by("path").first(),
        bench_branch=members["secretary"].branch,
        users=users,
        members=members,
    )


IMPORT_BRANCH_PREFIX = "基准导入党支部"


def cleanup_earlier_runs():
    """Undo what an earlier run's jobs wrote, so a reused database measures the same world."""
    from members.models import Member, Notification, Organization

    Notification.objects.filter(kind="bench.monthly_reminder").delete()
    imported = Organization.objects.filter(name__startswith=IMPORT_BRANCH_PREFIX)
    Member.objects.filter(branch__in=imported).delete()
    for branch in imported:
        branch.delete()


def count_queries(url, user, *, timed=5):
    """(status, queries, median ms) of in-process requests for url as user.

    Queries are those of the second request (caches warmed by the first do not count); the
    median of `timed` more requests is the page's cost without HTTP or other clients.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(url)
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


# --- jobs ----------------------------------------------------------------------------------


def job_fanout(facts, *, worker_pid, timeout):
    from django.db.models import Count
    from django.utils import timezone

    from bench.pages import FANOUT_TASKS
    from branchsite.celery import app
    from members.models import Member, Notification

    name, kwargs_for = FANOUT_TASKS[0]
    due = facts.extra.get("due_date") or timezone.localdate().replace(day=1)
    since = timezone.now()
    active = Member.objects.active().count()
    result = {"task": name, "active_members": active}
    with TreeMemorySampler(worker_pid) as sampler:
        started = time.perf_counter()
        created = app.send_task(name, kwargs=kwargs_for(facts, due)).get(timeout=timeout)
        result["notifications_seconds"] = round(time.perf_counter() - started, 2)
        result["created"] = created
        ours = Notification.objects.filter(created_at__gte=since)
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
        result["distinct_recipients"] = per_recipient.count()
        result["max_per_recipient"] = max(
            (r["n"] for r in per_recipient.order_by("-n")[:1]), default=0
        )
        result["emails_sent"] = ours.filter(email_state=Notification.EmailState.SENT).count()
        result["emails_failed"] = ours.filter(email_state=Notification.EmailState.FAILED).count()
        rerun_started = time.perf_counter()
        result["rerun_created"] = app.send_task(name, kwargs=kwargs_for(facts, due)).get(
            timeout=timeout
        )
        result["rerun_seconds"] = round(time.perf_counter() - rerun_started, 2)
    result.update(sampler.report())
    result["each_once"] = (
        result["created"] == result["distinct_recipients"] == active
        and result["max_per_recipient"] == 1
        and result["rerun_created"] == 0
    )
    return result


def _import_workbook(roster_io, rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.zh for c in roster_io.COLUMNS if c.key != "group"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def job_roster_import(facts, *, rows=10_000):
    """Import `rows` new members into a fresh branch through members.roster_io, in-process
    (read the .xlsx, validate every row, create) — the same calls the import view makes."""
    try:
        from members import roster_io
    except ImportError as exc:
        from bench.pages import NotAvailable

        raise NotAvailable("members.roster_io is not there") from exc
    from members import services
    from members.models import Organization, OrganizationKind
    from members.scale import _name

    rng = random.Random(6)  # noqa: S311 - made-up names
    names = set()
    while len(names) < rows:
        names.add(_name(rng))
    names = sorted(names)
    rng.shuffle(names)
    committee = Organization.objects.get_children(facts.root).filter(kind="committee").first()
    branch = services.organization_create(
        parent=committee,
        name=f"{IMPORT_BRANCH_PREFIX}{int(time.time())}",
        kind=OrganizationKind.BRANCH,
    )
    lines = []
    for i in range(rows):
        joined = date(1990 + i % 30, 1 + i % 12, 1 + i % 28)
        lines.append(
            [
                names[i],
                "男" if i % 2 else "女",
                date(joined.year - 25, joined.month, joined.day).isoformat(),
                "汉族",
                "本科",
                f"139{i:08d}",
                f"import{i}@scale.branchsite.local",
                joined.isoformat(),
                date(joined.year + 1, joined.month, joined.day).isoformat(),
                "正式党员",
            ]
        )
    per_file = min(rows, getattr(roster_io, "MAX_ROWS", rows))
    files = [_import_workbook(roster_io, lines[i : i + per_file]) for i in range(0, rows, per_file)]
    result = {"rows": rows, "files": len(files), "max_rows_per_file": per_file}
    timings = {"read": 0.0, "validate": 0.0, "create": 0.0}
    created = 0
    started = time.perf_counter()
    for content in files:
        t0 = time.perf_counter()
        headers, data, _ignored = roster_io.read_table("roster.xlsx", content)
        t1 = time.perf_counter()
        checked = roster_io.validate_rows(branch=branch, headers=headers, rows=data)
        t2 = time.perf_counter()
        bad = [r for r in checked if not r.ok]
        if bad:
            result["invalid_rows"] = len(bad)
            result["first_errors"] = [str(e) for e in bad[0].errors[:3]]
            break
        created += roster_io.import_members(branch=branch, rows=checked, actor=facts.users["admin"])
        t3 = time.perf_counter()
        timings["read"] += t1 - t0
        timings["validate"] += t2 - t1
        timings["create"] += t3 - t2
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["created"] = created
    result["phases_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    return result


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
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import httpload
    from bench.pages import DOWNLOADS, PAGES, NotAvailable

    cleanup_earlier_runs()
    facts = build_facts()
    target = httpload.Target.from_url(args.base_url)
    cookies = {}

    def cookie(role):
        if role not in cookies:
            cookies[role] = httpload.login(target, facts.users[role].username, args.password)
        return cookies[role]

    out = {"pages": {}, "downloads": {}, "jobs": {}}
    wanted = set(args.pages.split(",")) if args.pages else None
    for page in PAGES:
        if wanted and page.key not in wanted:
            continue
        entry = {"title": page.title, "level": page.level, "user": page.user}
        out["pages"][page.key] = entry
        try:
            url = page.url(facts)
            entry["url"] = url
            status, sql, inproc_ms = count_queries(url, facts.users[page.user])
            queries = len(sql)
        except NotAvailable as exc:
            entry.update(available=False, reason=str(exc))
            print(f"  {page.key}: not available ({exc})", flush=True)
            continue
        except Exception as exc:
            # A page (or its builder) that breaks is reported, not allowed to stop the run.
            entry.update(available=False, reason=f"{type(exc).__name__}: {exc}"[:300])
            entry["traceback"] = traceback.format_exc(limit=6)
            print(f"  {page.key}: ERROR {entry['reason']}", flush=True)
            continue
        if status != 200:
            entry.update(available=False, reason=f"HTTP {status} in-process")
            print(f"  {page.key}: HTTP {status}, left out", flush=True)
            continue
        entry.update(available=True, queries=queries, inproc_ms=inproc_ms, sql=sql)
        entry["loadavg_before"] = round(os.getloadavg()[0], 2)
        status, body, _seconds = httpload.fetch(target, url, cookie(page.user))
        entry["bytes"] = len(body)
        if status != 200:
            entry.update(available=False, reason=f"HTTP {status} from gunicorn")
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
            f"p95 {entry['p95_ms']} ms, {queries} queries, in-process {inproc_ms} ms",
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
            status, sql, _ms = count_queries(url, facts.users[download.user], timed=0)
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

    for key, run in (
        (
            "fanout",
            lambda: job_fanout(facts, worker_pid=args.worker_pid, timeout=args.job_timeout),
        ),
        ("import", lambda: job_roster_import(facts, rows=args.import_rows)),
    ):
        if key not in jobs:
            continue
        if key == "fanout" and not args.worker_pid:
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
            }
        print(f"  job {key}: {json.dumps(out['jobs'][key], ensure_ascii=False)[:300]}", flush=True)

    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
