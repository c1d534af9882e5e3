"""members.compiled: querysets built and compiled once, run with each call's values."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.db.models import CharField, Count, DateField, DateTimeField, OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.compiled import Param, compiled_queryset, params, year_last_day
from members.models import Member, Organization, Position


def _members_of_branch_orm(branch_id):
    """The same builder for values and for Params."""
    return (
        Member.objects.filter(branch_id=branch_id)
        .select_related("branch", "group")
        .annotate(
            n_positions=Subquery(
                Position.objects.filter(member=OuterRef("pk"))
                .order_by()
                .values("member")
                .annotate(n=Count("*"))
                .values("n")[:1]
            )
        )
        .order_by("full_name", "id")
    )


@compiled_queryset
def _members_of_branch():
    return _members_of_branch_orm(Param("branch"))


def _row(m):
    return (m.pk, m.full_name, m.branch.name, m.group and m.group.name, m.n_positions)


def test_rows_are_the_orms_for_each_value(cast):
    for branch in (cast.branch, cast.other_branch, cast.c2):
        compiled = list(_members_of_branch(branch=branch.pk))
        assert [_row(m) for m in compiled] == [_row(m) for m in _members_of_branch_orm(branch.pk)]
    assert list(_members_of_branch(branch=cast.branch.pk))  # the cast's branch has members


def test_one_query_per_run_and_the_same_sql_shape(cast):
    with CaptureQueriesContext(connection) as queries:
        list(_members_of_branch(branch=cast.branch.pk))
        list(_members_of_branch(branch=cast.other_branch.pk))
        list(_members_of_branch_orm(cast.branch.pk))
    assert len(queries) == 3
    compiled_sql = queries[0]["sql"].replace(f"({cast.branch.pk})", str(cast.branch.pk))
    assert compiled_sql == queries[2]["sql"]


@compiled_queryset
def _members_named(*, with_group):
    qs = Member.objects.filter(full_name__in=(Param("a", CharField()), Param("b", CharField())))
    if with_group:
        qs = qs.filter(group__isnull=False)
    return qs.order_by("full_name").values_list("full_name", flat=True)


def test_builder_arguments_choose_the_shape_and_values_lists_work(cast):
    names = ["张伟", "李娜"]
    everyone = list(_members_named(with_group=False, a=names[0], b=names[1]))
    assert everyone == sorted(names)
    grouped = list(_members_named(with_group=True, a=names[0], b=names[1]))
    assert grouped == sorted(
        Member.objects.filter(full_name__in=names, group__isnull=False).values_list(
            "full_name", flat=True
        )
    )


@compiled_queryset
def _joined_between():
    return Member.objects.filter(
        joined_on__gte=Param("since", DateField()), created_at__lt=Param("until", DateTimeField())
    ).values_list("pk", flat=True)


def test_dates_and_datetimes_are_bound_as_lookups_bind_them(cast):
    until = timezone.make_aware(datetime(2100, 1, 1))
    for since in (date(1900, 1, 1), date(2100, 1, 1)):
        assert set(_joined_between(since=since, until=until)) == set(
            Member.objects.filter(joined_on__gte=since, created_at__lt=until).values_list(
                "pk", flat=True
            )
        )


def test_values_are_checked_and_the_queryset_cannot_be_refined(cast):
    with pytest.raises(TypeError, match="missing"):
        list(_members_of_branch())
    # A value the shape has no place for is left unused.
    assert list(_members_of_branch(branch=cast.branch.pk, year=2))
    qs = _members_of_branch(branch=cast.branch.pk)
    for refine in (lambda: qs.filter(pk=1), lambda: qs[:1], lambda: qs.count(), qs.first):
        with pytest.raises(TypeError, match="runs as built"):
            refine()


@compiled_queryset
def _nothing():
    return Organization.objects.filter(pk__in=[])


def test_a_builder_that_matches_nothing_runs_no_query(db):
    with CaptureQueriesContext(connection) as queries:
        assert list(_nothing()) == []
    assert len(queries) == 0


@compiled_queryset
def _positions_of(*, n):
    return (
        Position.objects.filter(
            member_id__in=params("members", n), started_on__lte=year_last_day(Param("year"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_in_lists_of_params_and_derived_dates(cast):
    members = [cast.secretary.pk, cast.organizer.pk, cast.member.pk]
    expected = list(
        Position.objects.filter(member_id__in=members, started_on__lte=date(2100, 12, 31))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert expected
    assert list(_positions_of(n=3, members=members, year=2100)) == expected
    assert list(_positions_of(n=3, members=members, year=1900)) == []
    assert list(_positions_of(n=0, members=[], year=2100)) == []
    with pytest.raises(TypeError, match="takes 3 values"):
        list(_positions_of(n=3, members=members[:2], year=2100))


@compiled_queryset
def _member_timestamps():
    return (
        Member.objects.filter(branch_id=Param("branch"))
        .order_by("id")
        .values_list("id", "joined_on", "updated_at")
    )


def test_converted_columns_stay_right_on_every_run(cast):
    """The columns' converters are looked up once per connection: every run converts as the
    ORM does (dates, aware datetimes; on SQLite both come back as text without them)."""

    def orm():
        return list(
            Member.objects.filter(branch_id=cast.branch.pk)
            .order_by("id")
            .values_list("id", "joined_on", "updated_at")
        )

    expected = orm()
    assert expected and all(timezone.is_aware(row[2]) for row in expected)
    assert list(_member_timestamps(branch=cast.branch.pk)) == expected
    assert list(_member_timestamps(branch=cast.branch.pk)) == expected
