"""The national sizing of README "Scaling out", computed from a benchmark result:

    python -m bench.scaling bench/results/<date>.json

Inputs measured by `make bench` at its largest N: CPU per member check-in in gunicorn and in
PostgreSQL (bench.measure.job_checkins, from /proc), CPU per member and branch page (app and
database, bench.measure.count_queries), the reminder fan-out's rate through one worker. CPU
time, not wall time: it does not grow with the other load on the machine. Everything else is an
assumption, named below; change it and run again.
"""

import json
import math
import statistics
import sys

# The Party at the end of 2024 (DESIGN.md "Scale").
MEMBERS = 100_300_000
BRANCHES = 4_610_000
ORGANIZATIONS = 5_250_000
# One database shard per provincial-level committee (31) plus one for central organs.
SHARDS = 32
LARGEST_SHARD = 0.075  # share of all members in the largest province (about 7.5 million)

# The peak: a theme Party day (主题党日) in every branch on the same day.
ATTENDING = 0.8  # members who check in
IN_PEAK_HOUR = 0.7  # of them within the hour around the two usual start times (9:00, 14:30)
BURST = 3  # the minutes just before a start, over the peak hour's average
GETS_PER_CHECKIN = 3  # scan, confirm page, then the member's /me/
REMINDER_HOURS = 1  # a reminder to every member, delivered within this

CORES_PER_SERVER = 32
TARGET_UTILIZATION = 0.5  # plan to run at half of the measured capacity
WORKERS_PER_CORE = 2  # gunicorn sync workers (they wait on PostgreSQL half the time)


def plan(result):
    large = str(result["sizes"][-1])
    run = result["runs"][large]
    checkins = run["jobs"]["checkins"]
    app_ms = checkins["app_cpu_ms_per_request"]
    db_ms = checkins["db_cpu_ms_per_request"]
    whole_ms = app_ms + db_ms
    pages = [
        row["cpu_ms"]
        for row in run["pages"].values()
        if row.get("available") and row.get("level") in ("member", "branch") and row.get("cpu_ms")
    ]
    page_ms = statistics.median(pages)
    # The fan-out's rate at the largest N that measured it.
    fan_n, fan = next(
        (n, result["runs"][str(n)]["jobs"].get("fanout_everyone", {}))
        for n in reversed(result["sizes"])
        if result["runs"][str(n)]["jobs"].get("fanout_everyone", {}).get("created")
    )
    fan_per_core = fan["created"] / fan["seconds"] / result["machine"]["cpus"]

    checkins_day = MEMBERS * ATTENDING
    peak = checkins_day * IN_PEAK_HOUR / 3600
    burst = peak * BURST
    app_cores = burst * (app_ms + GETS_PER_CHECKIN * page_ms) / 1000 / TARGET_UTILIZATION
    db_cores_shard = burst * LARGEST_SHARD * db_ms / 1000 / TARGET_UTILIZATION
    reminder_rate = MEMBERS / (REMINDER_HOURS * 3600)
    celery_cores = reminder_rate / fan_per_core / TARGET_UTILIZATION
    return {
        "measured_at_N": int(large),
        "checkin_cpu_ms": {"gunicorn": app_ms, "postgresql": db_ms},
        "writes_per_second_per_core": round(1000 / whole_ms, 1),
        "writes_per_second_per_database_core": round(1000 / db_ms, 1),
        "member_page_cpu_ms_median": page_ms,
        "notifications_per_second_per_core": round(fan_per_core, 1),
        "fanout_measured_at_N": int(fan_n),
        "checkins_on_the_day": int(checkins_day),
        "checkins_per_second_peak_hour": round(peak),
        "checkins_per_second_burst": round(burst),
        "requests_per_second_burst": round(burst * (1 + GETS_PER_CHECKIN)),
        "app_cores": math.ceil(app_cores),
        "app_servers": math.ceil(app_cores / CORES_PER_SERVER),
        "gunicorn_workers": math.ceil(app_cores) * WORKERS_PER_CORE,
        "primaries": SHARDS,
        "largest_primary_cores_for_the_burst": math.ceil(db_cores_shard),
        "celery_cores_for_a_reminder_to_everyone_in_an_hour": math.ceil(celery_cores),
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        print(json.dumps(plan(json.load(fh)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
