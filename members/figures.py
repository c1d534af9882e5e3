"""Organization figures: per-organization rows that organizer pages read instead of
aggregating over member rows (README, "Organization figures").

This module holds what every app's figures share, and the members app's own figures
(current and probationary members). Each app keeps its own table (a subclass of
members.models.OrganizationFigures) and calls three things from here:

- `write_branch_rows` from its services, inside the write's transaction: the branch rows
  are locked (created when missing), recomputed from the source rows, and their version
  raised. When a row was clean, the app's propagation task is queued on commit.
- `propagate` from that task (and from a beat sweep every minute): dirty branch rows are
  read, every ancestor is recomputed from its children's rows, deepest level first, and
  the versions included are recorded. Runs are serialized (an advisory lock on
  PostgreSQL), so an older computation never overwrites a newer one.
- `rebuild` from `manage.py rebuild_organization_figures`: every row from scratch, with one
  aggregate query over the source and sums level by level in memory.

No row is written by every write in the country: a write touches its branch's row only;
ancestors are written by the (coalesced) task, at most once per run.
"""

import threading
import zlib
from collections import defaultdict
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    PositiveBigIntegerField,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Length, Substr
from django.utils import timezone

from .models import Member, MemberStatus, Organization, OrganizationKind, OrganizationMemberFigures
from .signals import branches_changed

STEPLEN = Organization.steplen
BATCH = 1000
MAX_ROUNDS = 50  # a run handles at most this many batches; the beat sweep does the rest
_local_locks = defaultdict(threading.Lock)


def figure_fields(model):
    """Names of the figures a table keeps (its own concrete fields)."""
    base = {"id", "organization", "parent", "version", "propagated", "computed_at", "year"}
    return [f.name for f in model._meta.concrete_fields if f.name not in base]


def _key_field(model):
    return "year" if any(f.name == "year" for f in model._meta.concrete_fields) else None


def _zero(model, fields):
    return {name: model._meta.get_field(name).get_default() for name in fields}


def parent_ids(organization_ids):
    """{organization id: its parent's id (None for a root)}. One query."""
    parent = Organization.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - STEPLEN)
    ).values("pk")[:1]
    return dict(
        Organization.objects.filter(pk__in=list(organization_ids))
        .annotate(parent_pk=Subquery(parent))
        .values_list("pk", "parent_pk")
    )


# --- branch rows, in the write's transaction ------------------------------------------------


def write_branch_rows(model, branch_ids, compute, *, keys=(None,), queue=None):
    """Recompute the rows of these branches (for each key: a year, or None for a table
    without years) in the caller's transaction.

    compute(branch_ids, keys) -> {(branch_id, key): {figure: value}} from the source rows;
    a missing entry means zeros. The rows are locked first (sorted, missing ones created),
    so the computation sees every write committed before ours by a writer of the same
    branch: two concurrent writers cannot overwrite each other's figures. `queue` is called
    on commit when a row was clean before (its ancestors are then brought up to date).
    Two to four queries plus compute's. Returns the (branch, key) rows it had to create.
    """
    branch_ids = sorted({int(b) for b in branch_ids if b})
    keys = sorted(set(keys), key=lambda k: (k is None, k))
    if not branch_ids or not keys:
        return []
    key_field = _key_field(model)
    fields = figure_fields(model)

    def locked():
        qs = model.objects.select_for_update().filter(organization_id__in=branch_ids)
        if key_field:
            qs = qs.filter(**{f"{key_field}__in": keys})
        return {
            (r.organization_id, getattr(r, key_field) if key_field else None): r
            for r in qs.order_by("organization_id", *([key_field] if key_field else []))
        }

    with transaction.atomic(savepoint=False):  # the caller's transaction, when it has one
        rows = locked()
        missing = [(b, k) for b in branch_ids for k in keys if (b, k) not in rows]
        created = bool(missing)
        if missing:
            parents = parent_ids({b for b, _k in missing})
            model.objects.bulk_create(
                [
                    model(
                        organization_id=b,
                        parent_id=parents.get(b),
                        **({key_field: k} if key_field else {}),
                    )
                    for b, k in missing
                ],
                ignore_conflicts=True,
            )
            rows = locked()
        was_clean = created or any(r.version <= r.propagated for r in rows.values())
        values = compute(branch_ids, keys)
        zero = _zero(model, fields)
        now = timezone.now()
        for key, row in rows.items():
            for name, value in {**zero, **values.get(key, {})}.items():
                setattr(row, name, value)
            row.version += 1
            row.computed_at = now
        model.objects.bulk_update(list(rows.values()), [*fields, "version", "computed_at"])
    if was_clean and queue is not None:
        transaction.on_commit(queue)
    return missing


# --- ancestors, by the coalesced task -------------------------------------------------------


@contextmanager
def _exclusive(model):
    """One propagation of a table at a time (PostgreSQL: an advisory lock held by this
    connection; elsewhere a lock in this process). Yields whether it was won."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(model._meta.db_table.encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            won = cursor.fetchone()[0]
        try:
            yield won
        finally:
            if won:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    lock = _local_locks[model._meta.db_table]
    won = lock.acquire(blocking=False)
    try:
        yield won
    finally:
        if won:
            lock.release()


def _dirty(model):
    return model.objects.filter(version__gt=F("propagated"))


def propagate(model, *, batch=BATCH, max_rounds=MAX_ROUNDS):
    """Bring the ancestors of every dirty branch row up to date; returns how many branch
    rows were included, or None when another run holds the table (that run, or the next
    beat sweep, takes the rest).

    Per round: one query for a batch of dirty rows, one for their ancestors, two per tree
    level (the children's sums, the upsert), one to record the versions included. An
    ancestor costs what its children's rows cost, whatever the size of its subtree.
    """
    key_field = _key_field(model)
    fields = figure_fields(model)
    zero = _zero(model, fields)
    done = 0
    with _exclusive(model) as won:
        if not won:
            return None
        for _round in range(max_rounds):
            dirty = list(
                _dirty(model).values_list("pk", "organization__path", "version", key_field or "pk")[
                    :batch
                ]
            )
            if not dirty:
                break
            now = timezone.now()
            wanted = defaultdict(set)  # ancestor path -> keys
            for _pk, path, _version, key in dirty:
                for end in range(STEPLEN, len(path), STEPLEN):
                    wanted[path[:end]].add(key if key_field else None)
            orgs = {
                path: (pk, depth)
                for pk, path, depth in Organization.objects.filter(
                    path__in=list(wanted)
                ).values_list("pk", "path", "depth")
            }
            by_depth = defaultdict(list)
            for path, (_pk, depth) in orgs.items():
                by_depth[depth].append(path)
            with transaction.atomic():
                for depth in sorted(by_depth, reverse=True):
                    _recompute_level(
                        model, key_field, fields, zero, orgs, by_depth[depth], wanted, now
                    )
                _record_propagated(model, [(pk, version) for pk, _p, version, _k in dirty])
            done += len(dirty)
    return done


def _recompute_level(model, key_field, fields, zero, orgs, paths, wanted, now):
    ids = [orgs[p][0] for p in paths]
    keys = {k for p in paths for k in wanted[p]}
    children = model.objects.filter(parent_id__in=ids)
    group = ["parent_id"]
    if key_field:
        children = children.filter(**{f"{key_field}__in": list(keys)})
        group.append(key_field)
    sums = {
        tuple(r[g] for g in group): r
        for r in children.values(*group).annotate(**{f"s_{f}": Sum(f) for f in fields}).order_by()
    }
    objs = []
    for path in paths:
        pk = orgs[path][0]
        parent = orgs.get(path[:-STEPLEN], (None,))[0] if len(path) > STEPLEN else None
        for key in wanted[path]:
            r = sums.get((pk, key) if key_field else (pk,), {})
            values = {
                f: (r.get(f"s_{f}") if r.get(f"s_{f}") is not None else zero[f]) for f in fields
            }
            objs.append(
                model(
                    organization_id=pk,
                    parent_id=parent,
                    computed_at=now,
                    **({key_field: key} if key_field else {}),
                    **values,
                )
            )
    model.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=["organization", *([key_field] if key_field else [])],
        update_fields=[*fields, "parent", "computed_at"],
    )


def _record_propagated(model, pairs):
    by_version = defaultdict(list)
    for pk, version in pairs:
        by_version[version].append(pk)
    if len(by_version) == 1:
        ((version, pks),) = by_version.items()
        model.objects.filter(pk__in=pks).update(propagated=version)
        return
    model.objects.filter(pk__in=[pk for pk, _v in pairs]).update(
        propagated=Case(
            *(When(pk=pk, then=Value(v)) for pk, v in pairs),
            default=F("propagated"),
            output_field=PositiveBigIntegerField(),
        )
    )


def lag(model):
    """Whether any branch row is not yet included above (one query, on a partial index)."""
    return _dirty(model).exists()


# --- rebuild from scratch -------------------------------------------------------------------


def rebuild(model, branch_values, *, keys=(None,), branch_ids=None):
    """Replace every row of `model`: branch rows from branch_values
    ({(branch_id, key): {figure: value}}, from one aggregate query over the source), then
    each level's rows summed from the level below, in memory. Every branch gets a row for
    every key (zeros when it has nothing). Returns the number of rows written."""
    key_field = _key_field(model)
    fields = figure_fields(model)
    zero = _zero(model, fields)
    orgs = list(Organization.objects.values_list("pk", "path", "depth", "kind"))
    pk_of = {path: pk for pk, path, _d, _k in orgs}
    if branch_ids is None:
        branch_ids = [pk for pk, _p, _d, kind in orgs if kind == OrganizationKind.BRANCH]
    branch_ids = set(branch_ids)
    totals = {}  # (org pk, key) -> {figure: value}
    for pk, path, _depth, _kind in orgs:
        if pk not in branch_ids:
            continue
        for key in keys:
            values = {**zero, **branch_values.get((pk, key), {})}
            totals[(pk, key)] = dict(values)
            for end in range(STEPLEN, len(path), STEPLEN):
                above = totals.setdefault((pk_of[path[:end]], key), dict(zero))
                for f in fields:
                    above[f] += values[f]
    path_of = {pk: path for pk, path, _d, _k in orgs}
    now = timezone.now()
    with transaction.atomic():
        old = model.objects.all()
        if key_field:
            old = old.filter(**{f"{key_field}__in": list(keys)})
        old.delete()
        objs = []
        for (pk, key), values in totals.items():
            path = path_of[pk]
            objs.append(
                model(
                    organization_id=pk,
                    parent_id=pk_of.get(path[:-STEPLEN]) if len(path) > STEPLEN else None,
                    computed_at=now,
                    **({key_field: key} if key_field else {}),
                    **values,
                )
            )
            if len(objs) >= 5000:
                model.objects.bulk_create(objs)
                objs = []
        model.objects.bulk_create(objs)
    return len(totals)


# --- the members app's own figures -----------------------------------------------------------


def _member_counts(branch_ids=None):
    qs = Member.objects.active()
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=list(branch_ids))
    return {
        (r["branch_id"], None): {"members": r["n"], "probationary": r["p"]}
        for r in qs.values("branch_id")
        .annotate(n=Count("pk"), p=Count("pk", filter=Q(status=MemberStatus.PROBATIONARY)))
        .order_by()
    }


def _queue_members_propagation():
    from .tasks import propagate_member_figures
    from .tasks_queue import enqueue

    enqueue(propagate_member_figures)  # a broker outage is logged; the beat sweep runs it later


def refresh_branches(branch_ids):
    """After members of these branches were added, moved or changed status: their rows,
    and (through branches_changed) every other app's figures of these branches."""
    branch_ids = sorted({int(b) for b in branch_ids if b})
    if not branch_ids:
        return
    write_branch_rows(
        OrganizationMemberFigures,
        branch_ids,
        lambda ids, _keys: _member_counts(ids),
        queue=_queue_members_propagation,
    )
    branches_changed.send(sender=OrganizationMemberFigures, branch_ids=branch_ids)


def propagate_members():
    return propagate(OrganizationMemberFigures)


def rebuild_members():
    return rebuild(OrganizationMemberFigures, _member_counts())
