"""The standing cast (tests/conftest.py), built through the app once per test process and
written back row for row in every later test.

Built through the services, the cast costs some 200 queries (each organization, member and
position refreshes the figures above it), a fifth of a second a test on SQLite and more on
PostgreSQL: most of what the suite's typical test costs. So the first test that asks for it in
a process builds it as before and keeps what that wrote: every new row of every table. Each
later test inserts those rows again (one INSERT a table, no signals: the rows already hold
what the signals wrote, history and figures included) and reads the cast's objects back.
The test sees the same database either way; times are moved on by the time since the build,
so nothing in the cast looks older than it did when each test built its own.
"""

from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from members.models import Member, Organization, OrganizationKind, Role
from tests.factories import make_member, make_org, make_position, make_user, propagate_figures

ORGANIZATIONS = ("root", "c1", "c2", "branch", "group", "other_branch", "far_branch")
MEMBERS = (
    "member",
    "peer",
    "secretary",
    "committee_member",
    "other_secretary",
    "other_member",
    "organizer",
    "other_organizer",
    "far_member",
)


class Kept(NamedTuple):
    """What the first build in a process wrote, to write back in every later test."""

    built_at: datetime
    rows: dict  # {model: [row values]}
    names: dict  # {cast name: pk}
    users: dict  # {role: user pk, or None for anonymous}


_kept: Kept | None = None


def _build():
    root = make_org("测试市委", OrganizationKind.COMMITTEE)
    c1 = make_org("第一党委", OrganizationKind.COMMITTEE, parent=root)
    c2 = make_org("第二党委", OrganizationKind.COMMITTEE, parent=root)
    branch = make_org("第一支部", OrganizationKind.BRANCH, parent=c1)
    group = make_org("第一党小组", OrganizationKind.GROUP, parent=branch)
    other_branch = make_org("第二支部", OrganizationKind.BRANCH, parent=c1)
    far_branch = make_org("远方支部", OrganizationKind.BRANCH, parent=c2)

    member = make_member(branch, "张伟", account="member", group=group)
    peer = make_member(branch, "王芳", account="peer", group=group)
    secretary = make_member(branch, "李娜", account="secretary")
    committee_member = make_member(branch, "刘洋", account="committee_member")
    other_secretary = make_member(other_branch, "陈静", account="other_secretary")
    other_member = make_member(other_branch, "杨磊")
    organizer = make_member(other_branch, "赵敏", account="organizer")
    other_organizer = make_member(far_branch, "黄强", account="other_organizer")
    far_member = make_member(far_branch, "周杰")

    make_position(secretary, branch, Role.SECRETARY)
    make_position(committee_member, branch, Role.COMMITTEE_MEMBER)
    make_position(other_secretary, other_branch, Role.SECRETARY)
    make_position(organizer, c1, Role.ORGANIZER)
    make_position(other_organizer, c2, Role.ORGANIZER)

    outsider = make_user("outsider")
    admin = make_user("admin", is_staff=True, is_superuser=True)
    propagate_figures()  # the rows above the branches (a task on commit in the app)
    users = {
        "anonymous": None,
        "outsider": outsider,
        "member": member.account,
        "peer": peer.account,
        "secretary": secretary.account,
        "committee_member": committee_member.account,
        "other_secretary": other_secretary.account,
        "organizer": organizer.account,
        "other_organizer": other_organizer.account,
        "admin": admin,
    }
    return SimpleNamespace(
        root=root,
        c1=c1,
        c2=c2,
        branch=branch,
        group=group,
        other_branch=other_branch,
        far_branch=far_branch,
        member=member,
        peer=peer,
        secretary=secretary,
        committee_member=committee_member,
        other_secretary=other_secretary,
        other_member=other_member,
        organizer=organizer,
        other_organizer=other_organizer,
        far_member=far_member,
        users=users,
    )


def _tables():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _rows(model, exclude=()):
    return [
        row
        for row in model._base_manager.using("default").values()
        if row[model._meta.pk.attname] not in exclude
    ]


def _keep(before, built):
    rows = {}
    for model in _tables():
        new = _rows(model, exclude=before.get(model, ()))
        if new:
            rows[model] = new
    names = {name: getattr(built, name).pk for name in ORGANIZATIONS + MEMBERS}
    users = {role: (u.pk if u else None) for role, u in built.users.items()}
    return Kept(timezone.now(), rows, names, users)


@transaction.atomic  # a transactional test's foreign keys are checked once, at the end
def _write_back(built_at, rows):
    later = timezone.now() - built_at
    for model, values in rows.items():
        moved = [f.attname for f in model._meta.concrete_fields if type(f) is models.DateTimeField]
        objs = []
        for row in values:
            row = dict(row)
            for name in moved:
                if isinstance(row[name], datetime):
                    row[name] += later
            objs.append(model(**row))
        model._base_manager.using("default").bulk_create(objs)
    if connection.vendor == "postgresql":
        _sequences_past(rows)


def _sequences_past(rows):
    """Move each table's id sequence past the rows written back (PostgreSQL): an insert with
    its own id leaves the sequence alone, and a test that rebuilt tables (a migration test)
    starts them again at 1. Never backwards: an id is not handed out twice in a run."""
    calls, params = [], []
    q = connection.ops.quote_name
    for model in rows:
        pk = model._meta.pk
        if not isinstance(pk, AutoFieldMixin):
            continue
        table, column = model._meta.db_table, pk.column
        seq = "pg_get_serial_sequence(%s, %s)"
        highest = f"(SELECT MAX({q(column)}) + 1 FROM {q(table)})"  # noqa: S608 (model names)
        calls.append(f"setval({seq}, GREATEST(nextval({seq}), {highest}), false)")
        params += [table, column, table, column]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(calls), params)


def _read_back(names, user_pks):
    orgs = Organization.objects.in_bulk([names[n] for n in ORGANIZATIONS])
    people = Member.objects.in_bulk([names[n] for n in MEMBERS])
    accounts = get_user_model().objects.in_bulk([pk for pk in user_pks.values() if pk])
    for m in people.values():
        # As the factories left them: branch, group and account are the cast's own objects.
        m.branch = orgs[m.branch_id]
        if m.group_id:
            m.group = orgs[m.group_id]
        if m.account_id:
            m.account = accounts[m.account_id]
    fields = {n: orgs[names[n]] for n in ORGANIZATIONS}
    fields |= {n: people[names[n]] for n in MEMBERS}
    users = {role: (accounts[pk] if pk else None) for role, pk in user_pks.items()}
    return SimpleNamespace(**fields, users=users)


def cast():
    """The cast in this test's database: built the first time in this process, written back
    from the kept rows after that."""
    global _kept
    if _kept is None:
        before = {m: {r[m._meta.pk.attname] for r in _rows(m)} for m in _tables()}
        _kept = _keep(before, _build())
    else:
        _write_back(_kept.built_at, _kept.rows)
    # Read back in every test, the first too: the factories' objects differ from rows read
    # (a parent's numchild is stale in them), and a test must not depend on running first.
    return _read_back(_kept.names, _kept.users)
