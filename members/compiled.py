"""Querysets built and compiled once per process, run with each request's values.

Building a page's queryset (filters, annotations, subqueries) and compiling it to SQL costs
more Python than running it: on a member's or a branch's page it was about half of the
request's CPU. A page's reads have the same shape on every request; only the values differ
(the member, the year, the branch). So a hot read is declared once with `Param` placeholders
where those values go:

    @compiled_queryset
    def _attendance_rows():
        return Attendance.objects.filter(member_id=Param("member"), session__year=Param("year"))

    rows = list(_attendance_rows(member=member.pk, year=2025))

The builder runs once, its queryset is compiled once per database alias, and each call runs
that SQL with the values bound in place of the placeholders: the same SQL, the same rows, the
same model instances (select_related, annotations, values(), prefetch_related) as the ORM's.
Keyword-only arguments of the builder choose a shape instead of a value (a flag that adds a
filter, the length of a list): each distinct set of them is built and compiled once.

What a call returns is a QuerySet to evaluate (iterate, list, len, bool), not to refine: any
further filter, slice, count or get() raises TypeError, as its SQL is fixed. Put those in the
builder. This caches SQL text, never data: every call reads the database.
"""

import copy
import functools
import inspect
from types import MethodType

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression, IntegerField


class Param(Expression):
    """A value given at each run of a compiled queryset (`compiled_queryset`).

    `output_field` converts the value as a lookup on such a field would (dates and datetimes
    for the database, text); the default suits ids, years and counts."""

    def __init__(self, name, output_field=None):
        super().__init__(output_field=output_field or IntegerField())
        self.name = name

    def __repr__(self):
        return f"Param({self.name!r})"

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, self.output_field)]

    def get_group_by_cols(self):
        return []


class _Slot:
    """Where a Param's value goes in the compiled SQL's parameters."""

    __slots__ = ("field", "name")

    def __init__(self, name, field):
        self.name, self.field = name, field

    def __repr__(self):
        return f"<value of {self.name}>"


class _Compiled:
    """One shape's SQL on one database: the compiler as compiling left it (its select, the
    model and annotation columns the iterables read) and the parameters with their slots."""

    def __init__(self, queryset, alias):
        query = queryset.query.chain()
        self.compiler = query.get_compiler(using=alias)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # e.g. an `__in` of nothing in the builder: never any row
            self.sql, params = None, ()
        self.params = tuple(params)
        self.slots = {p.name for p in self.params if isinstance(p, _Slot)}

    def bind(self, values, connection):
        missing = self.slots - values.keys()
        extra = values.keys() - self.slots
        if missing or extra:
            raise TypeError(
                f"compiled queryset takes values {sorted(self.slots)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return tuple(
            p.field.get_db_prep_value(values[p.name], connection, prepared=False)
            if isinstance(p, _Slot)
            else p
            for p in self.params
        )


class _BoundQuery:
    """The query of one call: reads come from the built query, compiling from the cached SQL
    with this call's values. Refining it is refused: its SQL would not change."""

    def __init__(self, shape, values):
        self._shape, self._values = shape, values

    def __getattr__(self, name):
        # What the iterables and QuerySet properties read (values' names, ordering, model);
        # the query's methods would compile or run the built query itself: refused.
        value = getattr(self._shape.queryset.query, name)
        if isinstance(value, MethodType) and name != "get_meta":
            self._refuse()
        return value

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        connection = connection or connections[using]
        compiled = self._shape.compiled(connection.alias)
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        result = (compiled.sql, compiled.bind(self._values, connection))

        def as_sql(*args, **kwargs):
            if result[0] is None:
                raise EmptyResultSet
            return result

        compiler.as_sql = as_sql
        return compiler

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            "a compiled queryset runs as built: filter, slice, count or get() in its builder"
        )

    chain = clone = __deepcopy__ = _refuse


class _Shape:
    def __init__(self, queryset):
        self.queryset = queryset
        self._by_alias = {}

    def compiled(self, alias):
        compiled = self._by_alias.get(alias)
        if compiled is None:
            compiled = self._by_alias[alias] = _Compiled(self.queryset, alias)
        return compiled


def compiled_queryset(build):
    """Decorate a builder returning a queryset with `Param`s: calling the result with the
    Params' values (and the builder's own keyword arguments, which choose the shape) returns
    the queryset to evaluate, compiled once per shape and database."""
    shape_names = frozenset(inspect.signature(build).parameters)
    shapes = {}

    @functools.wraps(build)
    def run(**kwargs):
        shape_args = {k: kwargs.pop(k) for k in shape_names & kwargs.keys()}
        key = tuple(sorted(shape_args.items()))
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = _Shape(build(**shape_args))
        template = shape.queryset
        queryset = template.__class__.__new__(template.__class__)
        queryset.__dict__ = {
            **template.__dict__,
            "_query": _BoundQuery(shape, kwargs),
            "_result_cache": None,
            "_prefetch_done": False,
        }
        return queryset

    return run
