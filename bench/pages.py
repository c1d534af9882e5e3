"""What the benchmark measures: the registry of pages and of timed jobs.

A page is a URL builder and the bench login that requests it. A builder receives the
`Facts` of the seeded database (bench users, their branch, the root of the tree) and may
query it (e.g. for the branch's appraisal cycle); it raises NotAvailable when the page is
not built yet (no such URL name, no seeded object), and the report says "not available"
instead of failing. When a feature lands, wire its page here: name its URL, say who opens
it and at which level.

Levels decide the targets (issue 6): "member" and "branch" pages need at least a quarter of
the floor's requests per second; "organizer" pages work over a whole subtree;
"reference" rows are what every page is compared with.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


class NotAvailable(Exception):
    """The page or job does not exist yet (feature in progress) or has nothing to show."""


@dataclass
class Facts:
    """What builders may use: ids of the seeded world, looked up once per database."""

    year: int
    today: object  # datetime.date, the site's local date
    root: object  # members.models.Organization
    bench_branch: object  # the branch of bench_member and bench_secretary
    users: dict  # role -> User
    members: dict  # role -> Member (member, secretary, organizer)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    level: str  # member | branch | organizer | reference
    user: str  # a key of bench.seed.members.BENCH_USERNAMES
    url: Callable[[Facts], str]


@dataclass(frozen=True)
class Download:
    """A file produced by a page (timed once per run, over HTTP)."""

    key: str
    title: str
    user: str
    url: Callable[[Facts], str]
    content_type: str
    target_seconds: float


def reverse_first(names, *, kwargs=None, query=""):
    """The URL of the first name that resolves; NotAvailable when none does."""
    for name in names:
        try:
            return reverse(name, kwargs=kwargs) + query
        except NoReverseMatch:
            continue
    raise NotAvailable("no URL named " + " / ".join(names))


def _model(dotted):
    from django.apps import apps

    app_label, name = dotted.split(".")
    try:
        return apps.get_model(app_label, name)
    except LookupError as exc:
        raise NotAvailable(f"no model {dotted}") from exc


def _latest_cycle(facts):
    """The bench branch's appraisal cycle: the one appraisal/scale.py names in
    context.extra["appraisal_cycle_id"], else the bench branch's latest."""
    cycle_id = facts.extra.get("appraisal_cycle_id")
    if cycle_id:
        return cycle_id
    Cycle = _model("appraisal.AppraisalCycle")
    cycle = Cycle.objects.filter(branch=facts.bench_branch).order_by("-year", "-pk").first()
    if cycle is None:
        raise NotAvailable("no appraisal cycle seeded for the bench branch")
    return cycle.pk


def _branch(facts, names):
    """A branch page for the bench branch (?branch=<pk>, as the branch picker links)."""
    return reverse_first(names, query=f"?branch={facts.bench_branch.pk}")


def _whole_tree(facts, names):
    """An organizer page over the whole tree (?org=<root>)."""
    return reverse_first(names, query=f"?org={facts.root.pk}")


PAGES = [
    # --- references -----------------------------------------------------------------------
    Page(
        "floor",
        "Floor: minimal authenticated view",
        "reference",
        "secretary",
        lambda f: reverse_first(["bench_floor"]),
    ),
    Page(
        "admin_members",
        "Django admin: member list",
        "reference",
        "admin",
        lambda f: reverse_first(["admin:members_member_changelist"]),
    ),
    # --- member ---------------------------------------------------------------------------
    Page("me", "Member: /me/", "member", "member", lambda f: reverse_first(["my_record"])),
    # --- branch (the bench branch: 22 members at every N) ----------------------------------
    Page(
        "roster",
        "Branch roster",
        "branch",
        "secretary",
        lambda f: reverse_first(["members:roster"], query=f"?branch={f.bench_branch.pk}"),
    ),
    Page(
        "hours",
        "Branch hours table",
        "branch",
        "secretary",
        lambda f: _branch(f, ["education:hours_branch"]),
    ),
    Page(
        "compliance",
        "Compliance grid",
        "branch",
        "secretary",
        lambda f: _branch(f, ["education:compliance"]),
    ),
    Page(
        "tally",
        "Appraisal tally",
        "branch",
        "secretary",
        lambda f: reverse_first(["appraisal:tally"], kwargs={"pk": _latest_cycle(f)}),
    ),
    Page(
        "rating",
        "Appraisal rating",
        "branch",
        "secretary",
        lambda f: reverse_first(["appraisal:rating"], kwargs={"pk": _latest_cycle(f)}),
    ),
    Page(
        "commendations",
        "Commendation list (the bench branch)",
        "branch",
        "secretary",
        lambda f: reverse_first(
            ["appraisal:commendation_list"], query=f"?organization={f.bench_branch.pk}"
        ),
    ),
    Page(
        "cases",
        "Protection-case list (the secretary's cases)",
        "branch",
        "secretary",
        lambda f: reverse_first(["members:case_list"]),
    ),
    # --- organizer (the whole tree) --------------------------------------------------------
    Page(
        "rollup",
        "Organizer rollup: study hours (whole tree)",
        "organizer",
        "organizer",
        lambda f: _whole_tree(f, ["education:hours_rollup"]),
    ),
    Page(
        "compliance_rollup",
        "Organizer rollup: compliance (whole tree)",
        "organizer",
        "organizer",
        lambda f: _whole_tree(f, ["education:compliance_rollup"]),
    ),
    Page(
        "commendations_organizer",
        "Commendation list (whole tree)",
        "organizer",
        "organizer",
        lambda f: reverse_first(
            ["appraisal:commendation_list"], query=f"?organization={f.root.pk}"
        ),
    ),
    Page(
        "cases_organizer",
        "Protection-case list (the organizer's cases)",
        "organizer",
        "organizer",
        lambda f: reverse_first(["members:case_list"]),
    ),
    Page(
        "home_organizer",
        "Organizer home: organizations below (home/work/)",
        "organizer",
        "organizer",
        lambda f: reverse_first(["home_work", "home"]),
    ),
    Page(
        "tree",
        "Organization tree",
        "organizer",
        "organizer",
        lambda f: reverse_first(["members:tree"]),
    ),
]

DOWNLOADS = [
    Download(
        "rollup_xlsx",
        "Organizer rollup XLSX export",
        "organizer",
        lambda f: _whole_tree(f, ["education:hours_rollup_export"]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        target_seconds=20,
    ),
]


@dataclass(frozen=True)
class Fanout:
    """A monthly reminder sent through the real worker (bench.measure.job_fanout)."""

    task: str  # the Celery task name
    function: str  # its dotted path: the entry is used when this imports
    title: str
    kind: str  # the Notification.kind it creates
    kwargs: Callable[[Facts], dict]
    everyone: bool  # True: every active member is due; False: only those the task selects


# The first entry whose function imports is measured: the real monthly reminder (education's
# hours nudge: members behind the year's pace), else the stand-in (bench/worker_tasks.py:
# members.services.notify_many over every active member, the mechanism every monthly
# reminder uses), loaded into the bench worker only.
FANOUT_TASKS = [
    Fanout(
        "education.tasks.send_hours_nudges",
        "education.tasks.send_hours_nudges",
        "Monthly study-hours nudge (education.tasks.send_hours_nudges)",
        "education.hours_nudge",
        lambda facts: {"today": facts.today.isoformat()},
        everyone=False,
    ),
    Fanout(
        "bench.monthly_reminder_fanout",
        "bench.worker_tasks.monthly_reminder_fanout",
        "Stand-in monthly reminder to every active member (bench.worker_tasks)",
        "bench.monthly_reminder",
        lambda facts: {"due_date": facts.today.replace(day=1).isoformat()},
        everyone=True,
    ),
]


def fanout_task():
    """The first FANOUT_TASKS entry whose task exists in the code."""
    from django.utils.module_loading import import_string

    for entry in FANOUT_TASKS:
        try:
            import_string(entry.function)
        except ImportError:
            continue
        return entry
    raise NotAvailable("no monthly reminder task")
