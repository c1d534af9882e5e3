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
from datetime import date
from types import MethodType

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DateField, Expression, IntegerField
from django.db.models.expressions import ExpressionList
from django.db.models.sql.compiler import SQLCompiler

# The shapes one builder keeps compiled; past this they are dropped and compiled again.
MAX_SHAPES = 64


class Param(Expression):
    """A value given at each run of a compiled queryset (`compiled_queryset`).

    `output_field` converts the value as a lookup on such a field would (dates and datetimes
    for the database, text); the default suits ids, years and counts. With `index`, the
    value is that item of a sequence given under `name` (see `params`); with `derive`, it is
    derive(value given) (see `derived`). A value of None is bound as NULL, which `=` never
    matches: filter on None in the builder instead."""

    def __init__(self, name, output_field=None, *, index=None, derive=None):
        super().__init__(output_field=output_field or IntegerField())
        self.name, self.index, self.derive = name, index, derive

    def __repr__(self):
        item = "" if self.index is None else f"[{self.index}]"
        return f"Param({self.name!r}{item})"

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self)]

    def get_group_by_cols(self):
        return []


def derived(value, derive, output_field):
    """derive(value); for a Param, a Param taking derive(its value): a builder shared by
    compiled and plain querysets computes a value from another (a year's first day) once."""
    if not isinstance(value, Param):
        return derive(value)
    if value.derive is not None:
        derive = (lambda first, then: lambda v: then(first(v)))(value.derive, derive)
    return Param(value.name, output_field, index=value.index, derive=derive)


def _first_day(year):
    return date(year, 1, 1)


def _last_day(year):
    return date(year, 12, 31)


def year_first_day(year):
    """1 January of `year`, a year or a Param of one."""
    return derived(year, _first_day, DateField())


def year_last_day(year):
    """31 December of `year`, a year or a Param of one."""
    return derived(year, _last_day, DateField())


def param_items(name, length, output_field=None):
    """`length` Params taking the items of the sequence given under `name` (the builder takes
    the length as a shape argument)."""
    return tuple(Param(name, output_field, index=i) for i in range(length))


def params(name, length, output_field=None):
    """The right side of an `__in` taking the `length` items of the sequence given under
    `name` (the builder takes the length as a shape argument): one expression, so that a
    foreign key's `__in` takes it too. Of no items, an empty tuple (the queryset never has a
    row, and runs no query)."""
    if not length:
        return ()
    return ExpressionList(*param_items(name, length, output_field))


class _Slot:
    """Where a Param's value goes in the compiled SQL's parameters."""

    __slots__ = ("derive", "field", "index", "name")

    def __init__(self, param):
        self.name, self.index, self.field = param.name, param.index, param.output_field
        self.derive = param.derive

    def value(self, values):
        value = values[self.name]
        if self.index is not None:
            value = value[self.index]
        return value if self.derive is None else self.derive(value)


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
        slots = [p for p in self.params if isinstance(p, _Slot)]
        self.slots = {p.name for p in slots}
        # name -> length of the sequence it takes (for the Params of `params`)
        self.lengths = {p.name: 0 for p in slots if p.index is not None}
        for p in slots:
            if p.index is not None:
                self.lengths[p.name] = max(self.lengths[p.name], p.index + 1)
        # The columns' converters, looked up once per connection (Django does it on each run).
        self._converters_of, self._converters = None, {}

    def converters(self, compiler, expressions):
        if self._converters_of is not compiler.connection:
            self._converters_of, self._converters = compiler.connection, {}
        key = tuple(map(id, expressions))
        found = self._converters.get(key)
        if found is None:
            found = self._converters[key] = SQLCompiler.get_converters(compiler, expressions)
        return found

    def bind(self, values, connection):
        # A value this shape has no place for is left unused (a scope's paths where the
        # builder reads none); a value it needs and lacks is the caller's mistake.
        missing = self.slots - values.keys()
        if missing:
            raise TypeError(
                f"compiled queryset takes values {sorted(self.slots)}; missing {sorted(missing)}"
            )
        for name, length in self.lengths.items():
            if len(values[name]) != length:
                raise TypeError(f"compiled queryset takes {length} values in {name}")
        return tuple(
            p.field.get_db_prep_value(p.value(values), connection, prepared=False)
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
        compiler.get_converters = functools.partial(compiled.converters, compiler)
        # A shape that never has a row (no SQL) takes whatever values it is given.
        result = compiled.sql and (compiled.sql, compiled.bind(self._values, connection))

        def as_sql(*args, **kwargs):
            if result is None:
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
            if len(shapes) >= MAX_SHAPES:  # shape arguments that vary without bound
                shapes.clear()
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
