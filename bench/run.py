"""The scale benchmark (issue 10): `python -m bench.run` (make bench), `--smoke` (make bench-smoke).

For each size (default N = 1 000, 100 000 and 1 000 000) it creates a PostgreSQL database,
migrates it and seeds it with `python -m bench.seed`. Then it serves every size at once the
way production runs the app (gunicorn on PostgreSQL, reads that tolerate lag on a streaming
replica made with pg_basebackup, DEBUG off), one port each, and measures the pages: their
queries and in-process time (bench.measure --phase pages), then requests per second and
latency over HTTP, page by page, each page's time split into rounds that visit every size in
turn. The sizes' figures for a page (and the floor's) are so taken side by side: a machine
that slows for a minute slows every size, not the one measured then. Then, one size at a
time with its Celery worker, the timed jobs (bench.measure --phase jobs). Last it compares
the sizes, checks the issue's targets, and writes bench/results/<date>.json and the table in
bench/README.md.

Needs PostgreSQL (trust auth for user postgres) and Redis on 127.0.0.1; talks to loopback
only. One heavy process at a time: seeding, then serving + measuring.
"""

# A developer tool that runs fixed local programs (psql, manage.py, gunicorn, celery).
# ruff: noqa: S603, S607

import argparse
import contextlib
import datetime as dt
import functools
import http.client
import json
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import httpload
from bench.standby import Standby

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Where the code under test runs from: the work tree, or a `git archive HEAD` copy (--snapshot)
# so that commits landing during a run cannot make the two sizes measure different code.
CODE = ROOT
PY = sys.executable
README = BENCH / "README.md"
START_MARK = "<!-- bench-results:start -->"
END_MARK = "<!-- bench-results:end -->"

# Issue 10's figures (at the largest size unless said otherwise).
MAX_QUERIES = 10  # member and branch pages (issue 10, item 3)
MAX_P95_RATIO = 1.5  # p95 at the largest N / p95 at the smallest
MIN_FLOOR_SHARE = 0.2  # member and branch pages: × the floor's req/s
MIN_ORGANIZER_FLOOR_SHARE = 0.1  # organizer pages at the root
CHECKIN_FLOOR_SHARE = 0.2  # check-ins at concurrency 8: × the floor's req/s
CHECKIN_P95_MS = 100
LOG_SESSION_MS = 150  # a held session with 30 attendees, in-process
IMPORT_SECONDS = 30
FANOUT_SECONDS = 300  # a reminder to every active member
WORKER_MB = 300
SEED_SECONDS = 900
SEED_MB = 1536


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def psql(sql, db="postgres", host="127.0.0.1", user="postgres"):
    return subprocess.run(
        ["psql", "-h", host, "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def base_env(args, db, replica_url=None):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": args.secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_STATIC_MANIFEST": "0",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"{args.pg_url}/{db}",
        "REDIS_URL": args.redis_url,
        # No mail leaves the machine: Django's dummy backend still renders every message.
        "EMAIL_URL": "dummymail://",
        # Many requests from one address must not trip the login throttle.
        "AXES_FAILURE_LIMIT": "1000",
        # The bench measures pages, not the two-step login its admin and handlers would need.
        "BRANCHSITE_2FA_REQUIRED_FOR": "",
        "PYTHONPATH": str(CODE),
    }
    env.pop("DJANGO_DEBUG_TOOLBAR", None)
    env.pop("DATABASE_REPLICA_URL", None)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    return env


def manage(env, *argv, debug=False, check=True, capture=False):
    run_env = {**env, "DJANGO_DEBUG": "1"} if debug else env
    return subprocess.run(
        [PY, "manage.py", *argv],
        cwd=CODE,
        env=run_env,
        check=check,
        capture_output=capture,
        text=True,
    )


def git_state():
    def git(*argv):
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_files": len(git("status", "--porcelain").splitlines()),
    }


def make_snapshot(workdir):
    """A copy of the committed tree (HEAD) to run from; returns its path and commit."""
    global CODE
    target = workdir / "snapshot"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    CODE = target
    return target


def prepare_database(args, db, n, env, workdir):
    """Fresh database, migrated and seeded; returns bench.seed's report."""
    report = workdir / f"seed-{db}.json"
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"  # noqa: S608
    if args.reuse_db and exists and report.exists():
        data = json.loads(report.read_text("utf-8"))
        if data.get("n_members") == n:
            log(f"{db}: reusing (seeded with N = {n}); applying any newer migrations")
            # Migrations committed since the seed (an index, say) apply as a deployment would.
            manage(env, "migrate", "--noinput", debug=True, capture=True)
            data["reused"] = True
            return data
    log(f"{db}: creating")
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}"')
    if args.syncdb:
        # Every table straight from the models (bench.settings, BENCH_SYNCDB), as
        # `pytest --no-migrations` does: for a branch whose migrations are not written yet.
        syncdb_env = {**env, "BENCH_SYNCDB": "1"}
        manage(syncdb_env, "migrate", "--run-syncdb", "--noinput", debug=True, capture=True)
    else:
        # The repository's migrations, as a deployment builds the schema.
        manage(env, "migrate", "--noinput", debug=True, capture=True)
    log(f"{db}: python -m bench.seed --members {n}")
    subprocess.run(
        [
            PY,
            "-m",
            "bench.seed",
            "--members",
            str(n),
            "--force",
            "--password",
            args.password,
            "--report",
            str(report),
        ],
        cwd=CODE,
        env=env,
        check=True,
    )
    return json.loads(report.read_text("utf-8"))


class Services:
    """gunicorn (and, for the jobs, a Celery worker) for one database, stopped on exit."""

    def __init__(self, args, env, workdir, label, *, port, worker=True):
        self.args, self.env, self.workdir, self.label = args, env, workdir, label
        self.port, self.worker = port, worker
        self.procs = {}

    def __enter__(self):
        try:
            if self.worker:
                celery = str(Path(PY).with_name("celery"))
                subprocess.run(
                    [celery, "-A", "branchsite", "purge", "-f"],
                    cwd=CODE,
                    env=self.env,
                    check=True,
                    capture_output=True,
                )
                self._start(
                    "worker",
                    [
                        *(celery, "-A", "branchsite", "worker"),
                        *("-I", "bench.worker_tasks", "-l", "WARNING"),
                    ],
                )
            self._start(
                "gunicorn",
                [
                    str(Path(PY).with_name("gunicorn")),
                    "branchsite.wsgi",
                    *("--workers", str(self.args.workers)),
                    *("--bind", f"127.0.0.1:{self.port}"),
                    *("--timeout", "300"),
                ],
            )
            self._wait_healthy()
        except BaseException:
            self.__exit__()
            raise
        return self

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name, argv):
        logfile = open(self.workdir / f"{self.label}-{name}.log", "w")
        self.procs[name] = subprocess.Popen(
            argv, cwd=CODE, env=self.env, stdout=logfile, stderr=subprocess.STDOUT
        )

    def _wait_healthy(self, timeout=90):
        # /healthz asks for a worker too; without one, the login page says the app is up.
        path = "/healthz" if self.worker else "/accounts/login/"
        url = f"http://127.0.0.1:{self.port}{path}"
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.workdir}/{self.label}-{name}.log")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError as exc:
                last = exc
            time.sleep(1)
        raise RuntimeError(f"the app did not become healthy at {url}: {last}")

    def __exit__(self, *exc):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def check_connections(args, servers):
    """Every gunicorn worker of every size keeps a connection (and one to the standby): stop
    with a clear message where PostgreSQL would refuse them, rather than report the pages as
    broken."""
    limit = int(psql("SHOW max_connections"))
    used = int(psql("SELECT count(*) FROM pg_stat_activity"))
    # The standby's connections count against its own limit (the same setting, copied).
    wanted = servers * args.workers + 10
    if used + wanted > limit:
        raise SystemExit(
            f"PostgreSQL allows {limit} connections and {used} are open; serving "
            f"{servers} sizes with --workers {args.workers} needs about {wanted} more: raise "
            "max_connections or lower --workers"
        )


def measure(args, env, services, workdir, label, phase, seed_report):
    """bench.measure's --phase (pages or jobs) against one size's services."""
    out = workdir / f"measure-{label}-{phase}.json"
    argv = [
        *(PY, "-m", "bench.measure", "--phase", phase),
        *("--base-url", services.base_url, "--password", args.password, "--out", str(out)),
        *("--duration", str(args.duration), "--gunicorn-pid", str(services.procs["gunicorn"].pid)),
        *("--import-rows", str(args.import_rows), "--jobs", args.jobs),
        *("--checkins", str(args.checkins), "--email-wait", str(args.email_wait)),
        *("--concurrency", str(args.concurrency), "--max-requests", str(args.max_requests)),
        *("--rounds", str(args.rounds)),
    ]
    if "worker" in services.procs:
        argv += ["--worker-pid", str(services.procs["worker"].pid)]
    if seed_report and Path(seed_report).exists():
        argv += ["--seed-report", str(seed_report)]
    if args.pages:
        argv += ["--pages", args.pages]
    subprocess.run(argv, cwd=CODE, env=env, check=True)
    return json.loads(out.read_text("utf-8"))


def _answers(target, entry):
    """Whether the page answers 200 on this server, then warmed up (5 requests); else its
    entry is marked broken."""
    entry["loadavg_before"] = round(os.getloadavg()[0], 2)
    try:
        status, body, _seconds = httpload.fetch(target, entry["url"], entry["cookie"])
        entry["bytes"] = len(body)
        if status == 200:
            httpload.warm_up(target, entry["url"], entry["cookie"])
            return True
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    entry.update(available=False, reason=f"HTTP {status} from gunicorn", broken=True)
    return False


def load_pages(args, sizes, runs, base_urls):
    """Requests per second and latency over HTTP for every page at every size.

    A page's time (--duration, --max-requests) is split into --rounds rounds; each round
    loads every size in turn, starting one size further on than the last. Each size's
    latencies are the union of its rounds."""
    rounds = max(1, args.rounds)
    for key in runs[sizes[0]]["pages"]:
        entries = {n: runs[n]["pages"].get(key, {}) for n in sizes}
        targets = {n: httpload.Target.from_url(base_urls[n]) for n in sizes}
        live = [
            n for n in sizes if entries[n].get("available") and _answers(targets[n], entries[n])
        ]
        taken = {n: httpload.Rounds() for n in live}
        for r in range(rounds if live else 0):
            for n in live[r % len(live) :] + live[: r % len(live)]:
                taken[n].add(
                    *httpload.load_latencies(
                        targets[n],
                        entries[n]["url"],
                        entries[n]["cookie"],
                        concurrency=args.concurrency,
                        max_requests=httpload.round_share(args.max_requests, rounds, r),
                        duration=args.duration / rounds,
                    )
                )
        for n in live:
            entries[n].update(taken[n].summary(args.concurrency))
            entries[n]["rounds"] = rounds
        print(
            f"  {key}: "
            + "; ".join(
                f"N = {n} {entries[n]['rps']} req/s, p95 {entries[n]['p95_ms']} ms" for n in live
            ),
            flush=True,
        )
    for n in sizes:
        for entry in runs[n]["pages"].values():
            entry.pop("cookie", None)  # a live session: not for the results file


# --- comparing sizes and checking targets -------------------------------------------------


def _ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


PAGE_FIGURES = (
    "queries",
    "replica_queries",
    "rps",
    "p50_ms",
    "p95_ms",
    "inproc_ms",
    "cpu_ms",
    "db_cpu_ms",
    "errors",
)


def summarize(sizes, runs, seeds):
    """Page by page: every figure at every size, the p95 ratio (largest / smallest N) and
    the share of the floor's req/s (each size against the floor measured in the same run)."""
    small, large = sizes[0], sizes[-1]
    pages = {}
    for key in runs[large]["pages"]:
        at = {n: runs[n]["pages"].get(key, {}) for n in sizes}
        g = at[large]
        row = {"title": g.get("title"), "level": g.get("level")}
        row["available"] = all(r.get("available") for r in at.values())
        if not row["available"]:
            row["reason"] = next(
                (r.get("reason") for r in at.values() if not r.get("available")), None
            )
        else:
            for name in PAGE_FIGURES:
                row[name] = {str(n): at[n].get(name) for n in sizes}
            row["p95_ratio"] = _ratio(g.get("p95_ms"), at[small].get("p95_ms"))
            row["floor_share"] = {
                str(n): _ratio(at[n].get("rps"), runs[n]["pages"].get("floor", {}).get("rps"))
                for n in sizes
            }
        pages[key] = row
    return pages


def check_targets(sizes, runs, seeds, pages):
    """[(target, value, ok or None when not measurable)]: issue 10's figures."""
    large = sizes[-1]
    targets = []

    def add(name, value, ok):
        targets.append({"target": name, "value": value, "ok": ok})

    for key, row in pages.items():
        if row["level"] == "reference":
            continue
        if not row["available"]:
            add(f"{key}: measured", "not available", None)
            continue
        q = row["queries"]
        counts = " / ".join(str(v) for v in q.values())
        if row["level"] in ("member", "branch"):
            add(
                f"{key}: queries equal at every size and ≤ {MAX_QUERIES}",
                counts,
                len(set(q.values())) == 1 and max(q.values()) <= MAX_QUERIES,
            )
        else:
            add(f"{key}: queries equal at every size", counts, len(set(q.values())) == 1)
        if len(sizes) > 1:
            add(
                f"{key}: p95 at {large} ≤ {MAX_P95_RATIO} × p95 at {sizes[0]}",
                row["p95_ratio"],
                row["p95_ratio"] is not None and row["p95_ratio"] <= MAX_P95_RATIO,
            )
        share = row["floor_share"][str(large)]
        minimum = MIN_FLOOR_SHARE if row["level"] in ("member", "branch") else None
        if row["level"] == "organizer":
            minimum = MIN_ORGANIZER_FLOOR_SHARE
        if minimum is not None:
            add(
                f"{key}: req/s at {large} ≥ {minimum} × floor",
                share,
                share is not None and share >= minimum,
            )
    run = runs[large]
    floor_rps = run["pages"].get("floor", {}).get("rps")
    for key, d in run.get("downloads", {}).items():
        if d.get("available"):
            add(
                f"{key}: < {d['target_seconds']} s",
                d["seconds"],
                d["seconds"] < d["target_seconds"],
            )
        else:
            add(f"{key}: < {d['target_seconds']} s", "not available", None)
    jobs = run.get("jobs", {})
    checkins = jobs.get("checkins", {})
    if checkins.get("available") and checkins.get("ok"):
        # Against the floor loaded beside the check-ins (same gunicorn, same minutes), where
        # the run has it.
        share = _ratio(checkins["rps"], checkins.get("floor_rps") or floor_rps)
        add(
            f"check-ins at concurrency {checkins['concurrency']}: req/s ≥ "
            f"{CHECKIN_FLOOR_SHARE} × floor",
            f"{checkins['rps']} req/s = {share} × floor",
            share is not None and share >= CHECKIN_FLOOR_SHARE,
        )
        add(
            f"check-ins: p95 < {CHECKIN_P95_MS} ms",
            checkins["p95_ms"],
            checkins["p95_ms"] < CHECKIN_P95_MS,
        )
        add(
            "check-ins: each success recorded once in the database, no errors",
            f"{checkins['verified_in_database']} of {checkins['ok']}, errors "
            f"{checkins['errors'] or 'none'}",
            not checkins.get("broken"),
        )
    else:
        add("check-ins", checkins.get("reason") or "not run", None)
    logged = jobs.get("log_session", {})
    if logged.get("available"):
        add(
            f"log a held session with {logged['attendees']} attendees: < {LOG_SESSION_MS} ms "
            "in-process (median)",
            logged["median_ms"],
            logged["median_ms"] < LOG_SESSION_MS,
        )
    else:
        add("log a held session", logged.get("reason") or "not run", None)
    imp = jobs.get("import", {})
    if imp.get("available"):
        complete = imp.get("created") == imp.get("rows") and not imp.get("rejected")
        add(
            f"import {imp['rows']} rows in one file: < {IMPORT_SECONDS} s",
            imp["seconds"]
            if complete
            else f"{imp.get('rejected') or 'incomplete'}: "
            f"{imp.get('created')} of {imp['rows']} created",
            complete and imp["seconds"] < IMPORT_SECONDS,
        )
    else:
        add(f"import: < {IMPORT_SECONDS} s", imp.get("reason") or "not run", None)
    fan = jobs.get("fanout_everyone", {})
    if fan.get("available"):
        add(
            f"reminder fan-out to {fan.get('distinct_recipients')} of "
            f"{fan['active_members']} active members: < {FANOUT_SECONDS} s",
            fan["seconds"],
            fan["seconds"] < FANOUT_SECONDS and not fan.get("timed_out"),
        )
        once = fan["each_once"]
        add("fan-out: each member once (and a re-run adds none)", once, once)
        mb = fan["worker_peak_rss_mb_largest_process"]
        add(
            f"fan-out: worker < {WORKER_MB} MB (largest process)",
            mb,
            mb is not None and mb < WORKER_MB,
        )
    else:
        add(f"fan-out: < {FANOUT_SECONDS} s", fan.get("reason") or "not run", None)
    seed = seeds[large]
    if not seed.get("reused"):
        seconds = seed["seconds"]
        add(f"seed N = {large}: < {SEED_SECONDS} s", seconds, seconds < SEED_SECONDS)
        add(
            f"seed N = {large}: peak < {SEED_MB} MB",
            seed["peak_rss_mb"],
            seed["peak_rss_mb"] < SEED_MB,
        )
    return targets


# --- report -------------------------------------------------------------------------------


def _fmt(value):
    if isinstance(value, str):
        return value.splitlines()[0].replace("|", "\\|")[:120] if value else value
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


PAIRS = ("queries", "rps", "p50_ms", "p95_ms", "inproc_ms", "cpu_ms")
PAIR_TITLES = {
    "queries": "queries",
    "rps": "req/s",
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
    "inproc_ms": "in-process ms",
    "cpu_ms": "CPU ms (app + db)",
}


def _when_available(cell):
    """A results cell that says "not available: <reason>" for a job that did not run."""

    @functools.wraps(cell)
    def wrapped(result):
        if not result.get("available"):
            return f"not available: {_fmt(result.get('reason'))}"
        return cell(result)

    return wrapped


@_when_available
def _fanout_cell(fan):
    return (
        f"`{fan.get('task')}`: {fan['created']} notifications "
        f"({fan.get('distinct_recipients')} of {fan['active_members']} active members) in "
        f"{fan['notifications_seconds']} s, e-mails done at {fan['seconds']} s"
        + (" (timed out)" if fan.get("timed_out") else "")
        + f"; re-run: {fan['rerun_created']} new in {fan['rerun_seconds']} s; "
        f"worker {fan['worker_peak_rss_mb_largest_process']} MB (largest process), "
        f"{fan['worker_peak_rss_mb_sum_sampled']} MB (all processes)"
    )


@_when_available
def _import_cell(imp):
    if "phases_seconds" in imp:  # results of the in-process import (earlier runs)
        phases = imp["phases_seconds"]
        return (
            f"{imp['created']} of {imp['rows']} rows in {imp['seconds']} s "
            f"({imp['files']} file(s) of ≤ {imp['max_rows_per_file']} rows; read "
            f"{phases['read']} s, validate {phases['validate']} s, create {phases['create']} s)"
        )
    text = (
        f"{imp['created']} of {imp['rows']} rows, one file, in {imp['seconds']} s over HTTP "
        f"(upload + preview {imp.get('upload_preview_seconds')} s, "
        f"confirm {imp.get('confirm_seconds', '—')} s)"
    )
    if imp.get("rejected"):
        errors = "; ".join(imp.get("errors") or [])
        text += f"; rejected: {imp['rejected']}" + (f" ({errors})" if errors else "")
    return text.replace("|", "\\|").replace("\n", " ")


@_when_available
def _checkin_cell(c):
    return (
        f"{c['ok']} check-ins (POST, each a different member) at concurrency "
        f"{c['concurrency']}: {c['rps']} req/s, p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms; "
        f"{c['verified_in_database']} verified in the database; CPU per check-in: gunicorn "
        f"{_fmt(c.get('app_cpu_ms_per_request'))} ms, PostgreSQL "
        f"{_fmt(c.get('db_cpu_ms_per_request'))} ms"
        + (
            f"; the floor beside them {c['floor_rps']} req/s (× {_ratio(c['rps'], c['floor_rps'])})"
            if c.get("floor_rps")
            else ""
        )
        + (f"; errors {c['errors']}" if c.get("errors") else "")
    )


@_when_available
def _log_cell(c):
    return (
        f"{c['attendees']} attendees: median {c['median_ms']} ms, max {c['max_ms']} ms "
        f"of {c['runs']}, {c['queries']} queries"
    )


def markdown(result):
    sizes = [str(n) for n in result["sizes"]]
    head = " / ".join(f"{int(n):,}".replace(",", " ") for n in sizes)
    replica = result.get("replica") or {}
    lines = [
        f"Run of {result['date']} on {result['machine']['cpus']} CPUs "
        f"({result['machine']['postgres']}), gunicorn --workers {result['settings']['workers']}, "
        f"{result['settings']['concurrency']} concurrent clients, "
        f"≤ {result['settings']['max_requests']} requests or {result['settings']['duration']} s "
        f"per page and N"
        + (
            f", in {result['settings']['rounds']} rounds that visit every N in turn"
            if result["settings"].get("rounds")
            else ""
        )
        + "; every page built on every request (no page cache). Organizer pages: "
        + (
            f"reads from a streaming replica (pg_basebackup, port {replica['port']})"
            if replica.get("port")
            else "no replica"
        )
        + f". Command: `{result['command']}`. Code: "
        + ", ".join(
            f"N = {n}: {c['commit']}"
            + (f" + {c['dirty_files']} uncommitted" if c["dirty_files"] else "")
            for n, c in result.get("code", {}).items()
        )
        + (" (committed tree, `--snapshot`)." if result.get("snapshot") else ".")
        + (f" {result['note']}" if result.get("note") else ""),
        "",
        "| page | level | "
        + " | ".join(f"{PAIR_TITLES[name]} {head}" for name in PAIRS)
        + f" | × floor req/s {head} | p95 ratio {sizes[-1]} / {sizes[0]} |",
        "| --- | --- |" + " --- |" * (len(PAIRS) + 2),
    ]
    for key, row in result["pages"].items():
        title = f"| {row['title']} (`{key}`) | {row['level']} |"
        if not row["available"]:
            lines.append(
                f"{title} not available: {_fmt(row.get('reason'))} |" + " |" * (len(PAIRS) + 1)
            )
            continue
        cells = [" / ".join(_fmt(row[name].get(n)) for n in sizes) for name in PAIRS]
        if row.get("replica_queries") and any(row["replica_queries"].values()):
            cells[0] += (
                " (replica: " + " / ".join(_fmt(row["replica_queries"].get(n)) for n in sizes) + ")"
            )
        cells.append(" / ".join(_fmt(row["floor_share"].get(n)) for n in sizes))
        cells.append(_fmt(row["p95_ratio"]))
        lines.append(title + " " + " | ".join(cells) + " |")
    lines += [
        "",
        "| job | " + " | ".join(f"N = {n}" for n in sizes) + " |",
        "| --- |" + " --- |" * len(sizes),
    ]
    job_rows = {}
    for n in sizes:
        run = result["runs"][n]
        seed = result["seed"][n]
        job_rows.setdefault("seed (`python -m bench.seed`)", []).append(
            "reused"
            if seed.get("reused")
            else f"{seed['seconds']} s, peak {seed['peak_rss_mb']} MB"
        )
        for key, d in run.get("downloads", {}).items():
            job_rows.setdefault(key, []).append(
                f"{d['seconds']} s, {d['bytes']} bytes, {d['queries']} queries"
                if d.get("available")
                else "not available"
            )
        jobs = run.get("jobs", {})
        job_rows.setdefault("member check-ins (HTTP)", []).append(
            _checkin_cell(jobs.get("checkins", {}))
        )
        job_rows.setdefault("log a held session (in-process)", []).append(
            _log_cell(jobs.get("log_session", {}))
        )
        job_rows.setdefault("reminder fan-out (worker)", []).append(
            _fanout_cell(jobs.get("fanout", {}))
        )
        job_rows.setdefault("reminder fan-out to every active member (worker)", []).append(
            _fanout_cell(jobs.get("fanout_everyone", {}))
        )
        job_rows.setdefault("roster import", []).append(_import_cell(jobs.get("import", {})))
    for name, cells in job_rows.items():
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"| target (issue 10; at N = {sizes[-1]} unless said) | value | |",
        "| --- | --- | --- |",
    ]
    for t in result["targets"]:
        mark = {True: "pass", False: "**FAIL**", None: "not measured"}[t["ok"]]
        lines.append(f"| {t['target']} | {_fmt(t['value'])} | {mark} |")
    return "\n".join(lines)


def write_readme(text):
    content = README.read_text("utf-8")
    pattern = re.compile(re.escape(START_MARK) + ".*?" + re.escape(END_MARK), re.S)
    block = f"{START_MARK}\n{text}\n{END_MARK}"
    if pattern.search(content):
        content = pattern.sub(lambda _m: block, content)
    else:
        content += "\n" + block + "\n"
    README.write_text(content, "utf-8")


# --- main ---------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description="branchsite scale benchmark (issue 10)")
    parser.add_argument(
        "--sizes", default="1000,100000,1000000", help="comma-separated N values (members)"
    )
    parser.add_argument("--smoke", action="store_true", help="N = 500, short: CI's version")
    parser.add_argument("--duration", type=float, default=10, help="seconds per page")
    parser.add_argument("--max-requests", type=int, default=1000, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds over the sizes each page's time is split in"
    )
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pages", help="only these page keys")
    parser.add_argument("--jobs", default="downloads,writes,fanout,import")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=1000, help="check-ins prepared")
    parser.add_argument(
        "--email-wait", type=float, default=600, help="seconds a fan-out waits for its e-mails"
    )
    parser.add_argument(
        "--no-replica",
        action="store_true",
        help="serve every read from the primary (default: organizer pages from a streaming "
        "replica made with pg_basebackup, bench/standby.py)",
    )
    parser.add_argument("--replica-port", type=int, help="the standby's port (5442-5449)")
    parser.add_argument(
        "--syncdb",
        action="store_true",
        help="build the schema straight from the models (default: the repository's migrations)",
    )
    parser.add_argument("--migrations", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="run the committed code (git archive HEAD) rather than the live work tree",
    )
    parser.add_argument("--reuse-db", action="store_true", help="keep a database seeded earlier")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--out", help="results file (default bench/results/<date>.json)")
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes = "500"
        args.duration, args.max_requests, args.concurrency = 2, 40, 2
        args.import_rows = min(args.import_rows, 500)
        args.checkins = min(args.checkins, 100)
        args.no_readme = True
    sizes = [int(s) for s in args.sizes.split(",")]
    args.secret_key = secrets.token_urlsafe(48)
    # The bench logins' password (bench.seed.members): the databases are local and served on
    # loopback only, and a fixed one lets --reuse-db log in to a database seeded earlier.
    args.password = "branchsite-bench"  # noqa: S105 - bench.seed.members.DEFAULT_BENCH_PASSWORD

    workdir = Path(tempfile.gettempdir()) / "branchsite-bench"
    workdir.mkdir(exist_ok=True)
    names = {n: f"branchsite_bench_{n}" for n in sizes}
    if args.smoke:
        names = {sizes[0]: "branchsite_bench_smoke"}
    started = time.time()
    code_state = git_state()
    if args.snapshot:
        code_state["dirty_files"] = 0  # the snapshot is exactly the commit
        log(f"running the committed code {code_state['commit']} from {make_snapshot(workdir)}")
    seeds, runs, replica = {}, {}, {}
    with contextlib.ExitStack() as stack:
        standby = None
        if not args.no_replica:
            # Started before seeding, so that it streams every database as it is written.
            standby = stack.enter_context(Standby(args.replica_port, label="branchsite_bench"))
            replica = {"port": standby.port}
            log(f"streaming replica (pg_basebackup) on 127.0.0.1:{standby.port}")
        envs, reports = {}, {n: workdir / f"seed-{names[n]}.json" for n in sizes}

        def keep_partial():
            # Kept after the pages and as each size's jobs finish: an interrupted run keeps
            # what it measured.
            (workdir / "partial.json").write_text(
                json.dumps({"seed": seeds, "runs": runs, "replica": replica}, default=str),
                "utf-8",
            )

        for n in sizes:
            db = names[n]
            envs[n] = base_env(args, db)
            seeds[n] = prepare_database(args, db, n, envs[n], workdir)
            if standby:
                t0 = time.time()
                standby.wait_until_caught_up(timeout=3600)
                replica[f"caught_up_seconds_{n}"] = round(time.time() - t0, 1)
                envs[n] = base_env(args, db, replica_url=standby.url(db))
        # The pages: every size served at once, one port each (Services without a worker).
        check_connections(args, len(sizes))
        with contextlib.ExitStack() as serving:
            servers = {}
            for i, n in enumerate(sizes):
                log(f"N = {n}: serving {names[n]} on 127.0.0.1:{args.port + i}")
                servers[n] = serving.enter_context(
                    Services(args, envs[n], workdir, f"n{n}", port=args.port + i, worker=False)
                )
            for n in sizes:
                log(f"N = {n}: queries and in-process time of every page")
                runs[n] = measure(args, envs[n], servers[n], workdir, f"n{n}", "pages", reports[n])
            log(f"requests per second and latency: {args.rounds} rounds over the sizes per page")
            load_pages(args, sizes, runs, {n: servers[n].base_url for n in sizes})
        keep_partial()
        # The jobs write (check-ins, a fan-out, an import): after every page, one size at a
        # time, with its Celery worker.
        for n in sizes:
            if args.jobs:
                log(f"N = {n}: jobs ({args.jobs})")
                with Services(args, envs[n], workdir, f"n{n}-jobs", port=args.port) as services:
                    runs[n].update(
                        measure(args, envs[n], services, workdir, f"n{n}", "jobs", reports[n])
                    )
            runs[n]["code"] = code_state if args.snapshot else git_state()
            keep_partial()

    pages = summarize(sizes, runs, seeds)
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": "PostgreSQL " + psql("SHOW server_version").split()[0],
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "workers": args.workers,
            "concurrency": args.concurrency,
            "duration": args.duration,
            "max_requests": args.max_requests,
            "rounds": args.rounds,
        },
        "sizes": sizes,
        "replica": replica,
        "code": {str(n): runs[n]["code"] for n in sizes},
        "snapshot": args.snapshot,
        "seed": {str(n): seeds[n] for n in sizes},
        "runs": {str(n): runs[n] for n in sizes},
        "pages": pages,
        "minutes": round((time.time() - started) / 60, 1),
    }
    result["targets"] = check_targets(sizes, runs, seeds, pages)
    out = (
        Path(args.out)
        if args.out
        else (
            workdir / "smoke.json"
            if args.smoke
            else BENCH / "results" / f"{dt.date.today().isoformat()}.json"
        )
    )
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    text = markdown(result)
    print(text)
    if not args.no_readme:
        write_readme(text)
    log(f"results: {out} ({result['minutes']} min)")
    broken = sorted(set(broken_parts(runs)))
    if broken:
        log(f"broken (an exception, an error status, or a failed job): {', '.join(broken)}")
        return 1
    return 0


def broken_parts(runs):
    """Keys of the pages, downloads and jobs that crashed or answered errors at any size: the
    run (and CI's smoke) fails on them. "Not available" (not built yet) is not broken."""
    for run in runs.values():
        for key, row in run["pages"].items():
            if row.get("broken") or (row.get("available") and row.get("errors")):
                yield key
        for key, row in run.get("downloads", {}).items():
            if "status" in row and row["status"] != 200:
                yield key
        for key, row in run.get("jobs", {}).items():
            # A fan-out slower than its wait is a missed target (the report says so), not a
            # crash.
            if row.get("broken") or row.get("rejected"):
                yield key


if __name__ == "__main__":
    sys.exit(main())
