"""Bulk seeding of the foundation for the scale benchmark (`python -m bench.seed`, bench/).

`seed(n_members=N, ...)` writes, with bulk inserts only (COPY on PostgreSQL), a realistic
organization of N members:

- a committee tree of three levels: one root committee (党委), committees below it, and
  general branches (党总支) under some committees; branches hang under committees or general
  branches, about one per 22 members (the national average, DESIGN.md "Scale"), sized
  log-normally (3 to 300 members); branches of 25 or more have Party groups;
- members with Chinese names, 6 % probationary, a few transferred out or deceased;
- positions: a secretary in every branch, a committee (支委会) in branches of 7 or more,
  group leaders, secretaries and organizers at every committee level;
- past transfers for about 1 % of members;
- the few login accounts the benchmark logs in as (BENCH_USERNAMES), hashed once.

It also exports the helpers every app's `<app>/scale.py` uses: `insert` (stream rows into a
table) and `allocate_ids` (ids known before the insert, so no round trip per row), and the
`ScaleContext` that seeders share. History tables (simple_history) are not filled: the
benchmarked pages do not read them, and a bulk load is not a change anyone made.
"""

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from members.demo import ETHNICITIES, GIVEN, SURNAMES
from members.forms import MemberAddForm
from members.models import (
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    Position,
    Role,
    Transfer,
)

STEPLEN = Organization.steplen
ALPHABET = Organization.alphabet
MEAN_BRANCH_SIZE = 22
# The branch the benchmark's secretary and member use: always the first, of exactly this size,
# so that branch-level pages show the same rows at every N (their ratio then measures scale).
BENCH_BRANCH_SIZE = 22
BRANCHES_PER_COMMITTEE = 40
BRANCHES_PER_GENERAL_BRANCH = 6
GROUP_THRESHOLD = 25
BENCH_USERNAMES = {
    "member": "bench_member",
    "secretary": "bench_secretary",
    "organizer": "bench_organizer",
    "admin": "bench_admin",
}
DEFAULT_BENCH_PASSWORD = "branchsite-bench"  # noqa: S105 - benchmark databases only

COMMITTEE_UNITS = (
    "教育局",
    "卫生健康委",
    "交通运输局",
    "财政局",
    "科技局",
    "住房城乡建设局",
    "农业农村局",
    "市场监管局",
    "生态环境局",
    "文化旅游局",
    "民政局",
    "人社局",
    "商务局",
    "水务局",
    "应急管理局",
    "国资委",
    "工业园区",
    "高新区",
    "经开区",
    "港务集团",
)
BRANCH_UNITS = (
    "机关",
    "办公室",
    "综合科",
    "财务科",
    "人事科",
    "信息中心",
    "服务中心",
    "第一车间",
    "第二车间",
    "研发部",
    "市场部",
    "社区",
    "离退休",
    "中学",
    "小学",
    "医院内科",
    "医院外科",
    "检验科",
    "项目部",
    "运维部",
)
CHINESE_ORDINALS = "一二三四五六七八九十"


# --- generic bulk helpers (used by every app's scale.py) -----------------------------------


def allocate_ids(model: type[models.Model], count: int) -> range:
    """`count` fresh primary keys for rows about to be inserted with explicit ids.

    Seeding runs alone on its database, so max(id) + 1 onwards is free; `reset_sequences`
    puts the database's id sequence past them afterwards.
    """
    start = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    return range(start, start + count)


def reset_sequences(*model_list: type[models.Model]) -> None:
    """Move id sequences past explicitly inserted ids (no-op where the database does it)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _filler(model_field, now):
    """How to fill a column the caller left out: a constant, or a per-row callable."""
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return False, now if isinstance(model_field, models.DateTimeField) else now.date()
    if model_field.has_default():
        default = model_field.default
        return (True, default) if callable(default) else (False, default)
    if model_field.null:
        return False, None
    if model_field.blank and model_field.empty_strings_allowed:
        return False, ""  # Django's "no value" for a text or file column
    raise ValueError(
        f"{model_field.model.__name__}.{model_field.attname} has no default: give its value"
    )


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    batch_size: int = 5000,
) -> int:
    """Stream rows (tuples in the order of `fields`, attnames like "branch_id") into model's
    table; returns how many were written.

    PostgreSQL: one COPY, so 100 000 rows take about a second and memory stays flat (rows may
    be a generator). Elsewhere: bulk_create in batches. Columns left out get their default,
    auto_now / auto_now_add get "now", nullable ones NULL; an AutoField id left out is given
    by the database. JSONField values are Python objects; datetimes must be aware.
    No signals run and no history rows are written.
    """
    opts = model._meta
    by_attname = {f.attname: f for f in opts.concrete_fields}
    unknown = [name for name in fields if name not in by_attname]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {unknown}")
    now = timezone.now()
    fills = [
        (f, *_filler(f, now))
        for f in opts.concrete_fields
        if f.attname not in fields and not (f.primary_key and isinstance(f, models.AutoField))
    ]
    all_fields = [by_attname[name] for name in fields] + [f for f, _c, _v in fills]
    json_at = [i for i, f in enumerate(all_fields) if isinstance(f, models.JSONField)]

    def complete(row):
        values = list(row)
        values.extend(v() if is_callable else v for _f, is_callable, v in fills)
        for i in json_at:
            if values[i] is not None:
                values[i] = json.dumps(values[i], cls=all_fields[i].encoder)
        return values

    written = 0
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in all_fields)
        sql = f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(complete(row))
                written += 1
        return written

    attnames = [f.attname for f in all_fields]
    batch = []
    for row in rows:
        values = complete(row)
        for i in json_at:  # bulk_create encodes JSON itself
            if values[i] is not None:
                values[i] = json.loads(values[i])
        batch.append(model(**dict(zip(attnames, values, strict=True))))
        if len(batch) >= batch_size:
            model.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        written += len(batch)
    return written


def other_columns(model: type[models.Model], given: Sequence[str]) -> tuple[str, str, dict]:
    """For set-based SQL (INSERT ... SELECT) that names only `given` columns: the model's
    other columns (", col, col"), their placeholders (", %(_f0)s, ...") and values — each
    column's default (a callable called once), "now" for auto_now, NULL when nullable, as
    `insert` fills them. A column another branch adds later is filled without a change here.
    """
    opts = model._meta
    now = timezone.now()
    qn = connection.ops.quote_name
    names, holders, params = [], [], {}
    for f in opts.concrete_fields:
        if f.attname in given or f.column in given:
            continue
        if f.primary_key and isinstance(f, models.AutoField):
            continue
        is_callable, value = _filler(f, now)
        value = value() if is_callable else value
        if isinstance(f, models.JSONField) and value is not None:
            value = json.dumps(value, cls=f.encoder)
        key = f"_f{len(names)}"
        names.append(qn(f.column))
        holders.append(f"%({key})s")
        params[key] = value
    prefix = ", " if names else ""
    return prefix + ", ".join(names), prefix + ", ".join(holders), params


def aware(day, hour=10):
    """The day at the hour, in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def choose(rng, weighted):
    """One of the weighted tuples (each with its share last), drawn with one rng.random()."""
    roll, acc = rng.random(), 0.0
    for item in weighted:
        acc += item[-1]
        if roll < acc:
            return item
    return weighted[-1]


def tree_path(parent_path: str, index: int) -> str:
    """treebeard MP path of the index-th child (1-based) of parent_path ("" for a root)."""
    digits = []
    for _ in range(STEPLEN):
        index, rem = divmod(index, len(ALPHABET))
        digits.append(ALPHABET[rem])
    if index:
        raise ValueError("too many children for steplen")
    return parent_path + "".join(reversed(digits))


# --- the shared context ---------------------------------------------------------------------


@dataclass
class BranchInfo:
    """A seeded branch: its members have the consecutive ids first_member_id .. + size - 1."""

    id: int
    path: str
    size: int
    first_member_id: int
    group_ids: tuple = ()
    secretary_id: int = 0
    leader_ids: tuple = ()  # secretary and committee (支委会) members
    is_retired: bool = False

    @property
    def member_ids(self) -> range:
        return range(self.first_member_id, self.first_member_id + self.size)


@dataclass
class ScaleContext:
    """What seeders hand on to the seeders after them (members first, then each app)."""

    n_members: int
    today: date
    password: str = DEFAULT_BENCH_PASSWORD
    root_id: int = 0
    committee_ids: list = field(default_factory=list)
    general_branch_ids: list = field(default_factory=list)
    branches: list = field(default_factory=list)  # [BranchInfo], the bench branch first
    inactive_member_ids: set = field(default_factory=set)
    probationary_member_ids: set = field(default_factory=set)
    users: dict = field(default_factory=dict)  # role -> user id (BENCH_USERNAMES)
    members: dict = field(default_factory=dict)  # role -> member id of the bench logins
    extra: dict = field(default_factory=dict)  # anything later seeders want to pass on

    @property
    def bench_branch(self) -> BranchInfo:
        return self.branches[0]

    def active_member_ids(self, branch: BranchInfo):
        return [i for i in branch.member_ids if i not in self.inactive_member_ids]

    def summary(self) -> dict:
        return {
            "n_members": self.n_members,
            "today": self.today.isoformat(),
            "root_id": self.root_id,
            "n_committees": len(self.committee_ids),
            "n_general_branches": len(self.general_branch_ids),
            "n_branches": len(self.branches),
            "bench_branch_id": self.bench_branch.id if self.branches else None,
            "users": dict(self.users),
            "members": dict(self.members),
            "extra": {k: v for k, v in self.extra.items() if _jsonable(v)},
        }


def _jsonable(value):
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


# --- the foundation -------------------------------------------------------------------------


def branch_sizes(n_members: int, rng) -> list[int]:
    """Branch sizes summing to n_members: the first BENCH_BRANCH_SIZE, the rest log-normal
    with mean MEAN_BRANCH_SIZE, clamped to 3..300."""
    sigma = 0.75
    mu = math.log(MEAN_BRANCH_SIZE) - sigma * sigma / 2
    sizes = [min(BENCH_BRANCH_SIZE, n_members)]
    left = n_members - sizes[0]
    while left > 0:
        size = max(3, min(300, round(rng.lognormvariate(mu, sigma))))
        if left - size < 3:
            size = left
        sizes.append(size)
        left -= size
    return sizes


def _ordinal(n):
    return CHINESE_ORDINALS[n - 1] if n <= len(CHINESE_ORDINALS) else str(n)


@dataclass
class _Org:
    id: int
    path: str
    name: str
    kind: str
    numchild: int = 0


def _add_child(parent, ids, name, kind):
    """A new organization under parent, at the parent's next child path (numchild counted)."""
    parent.numchild += 1
    return _Org(next(ids), tree_path(parent.path, parent.numchild), name, kind)


def _build_tree(n_branches: int, rng, ids):
    """Organizations (as _Org, in path order per level) for n_branches branches."""
    root = _Org(next(ids), tree_path("", 1), "中共规模测试市委员会", OrganizationKind.COMMITTEE)
    n_committees = max(2, round(n_branches / BRANCHES_PER_COMMITTEE))
    committees = []
    for i in range(n_committees):
        unit = COMMITTEE_UNITS[i % len(COMMITTEE_UNITS)]
        suffix = "" if i < len(COMMITTEE_UNITS) else f"第{i // len(COMMITTEE_UNITS) + 1}"
        committees.append(
            _add_child(root, ids, f"中共市{unit}{suffix}委员会", OrganizationKind.COMMITTEE)
        )
    # Spread branches over committees; a quarter of them sit under general branches.
    parents_of_branches = []
    general_branches = []
    per_committee = [n_branches // n_committees] * n_committees
    for i in range(n_branches % n_committees):
        per_committee[i] += 1
    for committee, count in zip(committees, per_committee, strict=True):
        under_general = count // 4 if count >= 8 else 0
        n_general = math.ceil(under_general / BRANCHES_PER_GENERAL_BRANCH) if under_general else 0
        generals = []
        for g in range(n_general):
            org = _add_child(
                committee,
                ids,
                f"{committee.name[3:-3]}{BRANCH_UNITS[g % len(BRANCH_UNITS)]}党总支",
                OrganizationKind.GENERAL_BRANCH,
            )
            generals.append(org)
        general_branches.extend(generals)
        for k in range(count):
            parents_of_branches.append(generals[k % n_general] if k < under_general else committee)
    return root, committees, general_branches, parents_of_branches


def _name(rng):
    given = rng.choice(GIVEN)
    if len(given) == 1 and rng.random() < 0.6:
        given += rng.choice(GIVEN)[0]
    return rng.choice(SURNAMES) + given


def _member_rows(ctx, sizes, branch_infos, rng, today):
    """Member tuples (generated lazily) and the statuses recorded in ctx as they go."""
    for info, size in zip(branch_infos, sizes, strict=True):
        retired = info.is_retired
        for offset in range(size):
            member_id = info.first_member_id + offset
            age = rng.randint(61, 88) if retired else rng.randint(23, 60)
            birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            earliest = birth + timedelta(days=365 * 18 + 30)
            latest = today - timedelta(days=400)
            joined = earliest + timedelta(
                days=rng.randint(0, max(0, (latest - earliest).days)) // 3
            )
            status = MemberStatus.FULL
            # Leaders (the first few of each branch) are always current full members.
            if offset >= 7 and not retired:
                roll = rng.random()
                if roll < 0.06:
                    status = MemberStatus.PROBATIONARY
                elif roll < 0.065:
                    status = MemberStatus.TRANSFERRED_OUT
            if retired and offset >= 7 and rng.random() < 0.02:
                status = MemberStatus.DECEASED
            if status == MemberStatus.PROBATIONARY:
                joined = today - timedelta(days=rng.randint(30, 360))
                full_on = None
                ctx.probationary_member_ids.add(member_id)
            else:
                full_on = joined + timedelta(days=365)
            if status in (MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED):
                ctx.inactive_member_ids.add(member_id)
            group_id = info.group_ids[offset % len(info.group_ids)] if info.group_ids else None
            yield (  # the member's id, then MEMBER_FIELDS' order: branch, details, group
                member_id,
                info.id,
                _name(rng),
                "female" if rng.random() < 0.42 else "male",
                birth,
                rng.choice(ETHNICITIES),
                rng.choice(("bachelor", "bachelor", "master", "vocational", "secondary"))
                if not retired
                else rng.choice(("secondary", "vocational", "bachelor")),
                f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"
                if rng.random() < 0.95
                else "",
                f"m{member_id}@scale.branchsite.local" if rng.random() < 0.85 else "",
                joined,
                full_on,
                status,
                group_id,
            )


def form_columns(form_class) -> tuple[str, ...]:
    """The columns a model form fills, in the form's order (a foreign key by its column):
    a seeder writes what a person would enter there, in the same order."""
    opts = form_class._meta
    return tuple(opts.model._meta.get_field(name).attname for name in opts.fields)


# A member row: its id, then what adding a member records (the branch first).
MEMBER_FIELDS = ("id", *form_columns(MemberAddForm))


def _branch_leadership(size):
    """Roles held by the first members of a branch of this size (支部工作条例 Art. 9-10)."""
    if size < 7:
        return [Role.SECRETARY]
    if size < 15:
        return [Role.SECRETARY, Role.ORGANIZATION_OFFICER, Role.PUBLICITY_OFFICER]
    return [
        Role.SECRETARY,
        Role.DEPUTY_SECRETARY,
        Role.ORGANIZATION_OFFICER,
        Role.PUBLICITY_OFFICER,
        Role.DISCIPLINE_OFFICER,
    ]


@transaction.atomic
def seed(*, n_members: int, rng, today: date, context: ScaleContext, **_options) -> dict:
    """Write the foundation for n_members members; fill `context`; return rows per table.

    Expects an empty database (bench.seed checks). Deterministic for a given rng seed.
    """
    if n_members < 10:
        raise ValueError("bench.seed needs at least 10 members")
    sizes = branch_sizes(n_members, rng)
    n_branches = len(sizes)
    org_ids = iter(allocate_ids(Organization, n_branches * 3 + 1000))
    root, committees, generals, branch_parents = _build_tree(n_branches, rng, org_ids)

    branches, groups = [], []
    branch_infos = []
    first_member = allocate_ids(Member, n_members).start
    next_member = first_member
    unit_counter = {}
    for index, (parent, size) in enumerate(zip(branch_parents, sizes, strict=True)):
        unit = BRANCH_UNITS[index % len(BRANCH_UNITS)] if index else "机关"
        unit_counter[(parent.id, unit)] = unit_counter.get((parent.id, unit), 0) + 1
        number = unit_counter[(parent.id, unit)]
        prefix = parent.name[3:-3] if parent.kind == OrganizationKind.COMMITTEE else ""
        name = f"{prefix}{unit}第{_ordinal(number)}党支部"
        branch = _add_child(parent, org_ids, name, "branch")
        branches.append(branch)
        n_groups = 0 if size < GROUP_THRESHOLD else max(2, min(6, size // 12))
        group_ids = []
        for g in range(n_groups):
            group = _add_child(
                branch, org_ids, f"第{_ordinal(g + 1)}党小组", OrganizationKind.GROUP
            )
            groups.append(group)
            group_ids.append(group.id)
        info = BranchInfo(
            id=branch.id,
            path=branch.path,
            size=size,
            first_member_id=next_member,
            group_ids=tuple(group_ids),
            is_retired=unit == "离退休",
        )
        branch_infos.append(info)
        next_member += size

    all_orgs = [root, *committees, *generals, *branches, *groups]
    established = date(1990, 7, 1)
    counts = {}
    counts["organization"] = insert(
        Organization,
        ("id", "path", "depth", "numchild", "name", "kind", "code", "established_on"),
        (
            (
                o.id,
                o.path,
                len(o.path) // STEPLEN,
                o.numchild,
                o.name,
                o.kind,
                f"S{o.id:06d}",
                established + timedelta(days=(o.id * 37) % 9000),
            )
            for o in all_orgs
        ),
    )

    context.root_id = root.id
    context.committee_ids = [root.id] + [c.id for c in committees]
    context.general_branch_ids = [g.id for g in generals]
    context.branches = branch_infos

    counts["member"] = insert(
        Member, MEMBER_FIELDS, _member_rows(context, sizes, branch_infos, rng, today)
    )

    # Positions: branch leadership, group leaders, and secretaries/organizers above.
    started = date(today.year - 2, 3, 1)
    positions = []
    for info in branch_infos:
        roles = _branch_leadership(info.size)
        info.secretary_id = info.first_member_id
        info.leader_ids = tuple(info.first_member_id + i for i in range(len(roles)))
        for offset, role in enumerate(roles):
            positions.append((info.first_member_id + offset, info.id, role, started))
        for g, group_id in enumerate(info.group_ids):
            # Group leaders: ordinary members right after the branch committee.
            positions.append(
                (info.first_member_id + len(roles) + g, group_id, "group_leader", started)
            )

    # Members who serve above their branch: taken from the first branch under each parent,
    # past its own leadership (offsets 5.. are never branch leaders of a branch of 22 or less;
    # for smaller branches, any member works: a position above is not a branch role).
    def staff(parent, count):
        infos = (
            [i for i, p in zip(branch_infos[1:], branch_parents[1:], strict=True) if p is parent]
            or branch_infos[1:]
            or branch_infos
        )
        chosen = []
        for k in range(count):
            info = infos[k % len(infos)]
            chosen.append(info.first_member_id + min(info.size - 1, 5 + k // len(infos)))
        return chosen

    for committee in [root, *committees]:
        secretary, deputy, organizer_a, organizer_b = staff(committee, 4)
        positions += [
            (secretary, committee.id, Role.SECRETARY, started),
            (deputy, committee.id, Role.DEPUTY_SECRETARY, started),
            (organizer_a, committee.id, Role.ORGANIZER, started),
            (organizer_b, committee.id, Role.ORGANIZER, started),
        ]
    for general in generals:
        secretary, member_id = staff(general, 2)
        positions += [
            (secretary, general.id, Role.SECRETARY, started),
            (member_id, general.id, Role.COMMITTEE_MEMBER, started),
        ]
    # Staff picked twice for the same role and organization would break the "one open
    # position per role" constraint; keep the first.
    seen, unique_positions = set(), []
    for row in positions:
        key = row[:3]
        if key not in seen and row[0] not in context.inactive_member_ids:
            seen.add(key)
            unique_positions.append(row)
    counts["position"] = insert(
        Position, ("member_id", "organization_id", "role", "started_on"), unique_positions
    )

    # Past transfers: ~1 % of members came from another branch last year.
    transfers = []
    if n_branches > 1:
        for _ in range(n_members // 100):
            info = branch_infos[rng.randrange(1, n_branches)]
            frm = branch_infos[rng.randrange(n_branches)]
            if frm.id == info.id:
                continue
            moved_on = date(today.year - 1, rng.randint(1, 12), rng.randint(1, 28))
            member_id = info.first_member_id + rng.randrange(info.size)
            transfers.append((member_id, frm.id, info.id, moved_on, "工作调动"))
        for member_id in sorted(context.inactive_member_ids):
            info = branch_of(branch_infos, member_id)
            moved_on = date(today.year - 1, rng.randint(1, 12), rng.randint(1, 28))
            transfers.append((member_id, info.id, None, moved_on, "转出本系统"))
    counts["transfer"] = insert(
        Transfer,
        ("member_id", "from_organization_id", "to_organization_id", "transferred_on", "note"),
        transfers,
    )

    # The benchmark's logins. One hash, copied: PBKDF2 is deliberately slow.
    bench = context.bench_branch
    organizer_member = next(
        row[0] for row in unique_positions if row[1] == root.id and row[2] == Role.ORGANIZER
    )
    context.members = {
        "secretary": bench.secretary_id,
        "member": bench.first_member_id + len(bench.leader_ids),  # no position at all
        "organizer": organizer_member,
    }
    counts["user"] = _create_bench_users(context)
    reset_sequences(Organization, Member, Position, Transfer, get_user_model())
    return counts


def branch_of(branch_infos, member_id):
    """The branch (of branch_infos, in id order) whose id range holds member_id."""
    lo, hi = 0, len(branch_infos) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if branch_infos[mid].first_member_id <= member_id:
            lo = mid
        else:
            hi = mid - 1
    return branch_infos[lo]


def _create_bench_users(context: ScaleContext) -> int:
    User = get_user_model()
    hashed = make_password(context.password)
    now = timezone.now()
    users = [
        User(
            username=username,
            password=hashed,
            is_staff=role == "admin",
            is_superuser=role == "admin",
            date_joined=now,
        )
        for role, username in BENCH_USERNAMES.items()
    ]
    User.objects.bulk_create(users)
    by_name = dict(
        User.objects.filter(username__in=BENCH_USERNAMES.values()).values_list("username", "pk")
    )
    context.users = {role: by_name[name] for role, name in BENCH_USERNAMES.items()}
    for role, member_id in context.members.items():
        Member.objects.filter(pk=member_id).update(account_id=context.users[role])
    return len(users)
