"""A parent row's related rows read in the same query, as one JSON column.

`related_rows_json` is a correlated subquery that folds the matching rows (and, optionally,
one row each points to) into a JSON array; `instances_from_json` turns that array back into
model instances with the pointed-to row attached, as `select_related` would. It lets a
request's first read (the user's member with their positions) cost one query instead of two,
on SQLite and PostgreSQL alike.
"""

from functools import cache

from django.db import models
from django.db.models import Aggregate, OuterRef, Subquery
from django.db.models.functions import JSONObject


class JSONArrayAgg(Aggregate):
    """The aggregated values as a JSON array (SQLite json_group_array, PostgreSQL jsonb_agg)."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _columns(model, prefix=""):
    return {f"{prefix}{f.attname}": f"{prefix}{f.attname}" for f in model._meta.concrete_fields}


def related_rows_json(queryset, link, attach=None):
    """A subquery annotation: the rows of `queryset` whose `link` is the outer row's pk, each
    as a JSON object of its columns (plus the columns of its `attach` foreign key's row under
    "<attach>__<column>"). NULL when there are none."""
    model = queryset.model
    fields = _columns(model)
    if attach:
        fields |= _columns(model._meta.get_field(attach).related_model, f"{attach}__")
    rows = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(rows=JSONArrayAgg(JSONObject(**fields)))
        .values("rows")
    )
    return Subquery(rows, output_field=models.JSONField())


def row_json(queryset):
    """A subquery annotation: the first row of `queryset` (correlated by the caller with
    OuterRef) as a JSON object of its columns, or NULL; see `instance_from_json`."""
    row = queryset.values(row=JSONObject(**_columns(queryset.model)))[:1]
    return Subquery(row, output_field=models.JSONField())


def instance_from_json(model, row, db="default"):
    """The model instance `row_json` read, or None."""
    return None if row is None else _instance(model, row, db=db)


def _instance(model, row, prefix="", db="default"):
    fields = model._meta.concrete_fields
    values = [f.to_python(row[f"{prefix}{f.attname}"]) for f in fields]
    return model.from_db(db, [f.attname for f in fields], values)


def instances_from_json(model, rows, attach=None, db="default"):
    """Model instances from `related_rows_json`'s array (None -> []), each with its `attach`
    row set as that relation's cached object."""
    instances = []
    for row in rows or []:
        instance = _instance(model, row, db=db)
        if attach:
            related = model._meta.get_field(attach).related_model
            setattr(instance, attach, _instance(related, row, f"{attach}__", db=db))
        instances.append(instance)
    return instances


def set_prefetched(instance, related_name, objects):
    """Attach `objects` as `instance.<related_name>.all()`, as prefetch_related would."""
    queryset = getattr(instance, related_name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[related_name] = queryset


class AllRelatedRowsJSON(models.Expression):
    """`related_rows_json(model.objects.all(), link, attach)` with its SQL written straight from
    the models' columns, once per database: the ORM's JSONObject of every column costs
    milliseconds of compiling on each request, and the request's first read (the user's
    member with their positions, members.permissions) pays it on every page."""

    output_field = models.JSONField()

    def __init__(self, model, link, attach=None):
        super().__init__()
        self.model, self.link, self.attach = model, link, attach

    def as_sql(self, compiler, connection):
        sql = _all_related_rows_sql(
            connection.vendor, self.model, self.link, self.attach, compiler.query.base_table
        )
        return sql, ()


@cache
def _all_related_rows_sql(vendor, model, link, attach, outer):
    quote = '"{}"'.format
    if vendor == "postgresql":
        agg, obj = "JSONB_AGG", "JSONB_BUILD_OBJECT"
    else:
        agg, obj = "JSON_GROUP_ARRAY", "JSON_OBJECT"
    pairs = [f"'{f.attname}', c.{quote(f.column)}" for f in model._meta.concrete_fields]
    joins = ""
    if attach:
        field = model._meta.get_field(attach)
        related = field.related_model
        columns = related._meta.concrete_fields
        pairs += [f"'{attach}__{f.attname}', a.{quote(f.column)}" for f in columns]
        joins = (
            f" LEFT JOIN {quote(related._meta.db_table)} a"
            f" ON a.{quote(related._meta.pk.column)} = c.{quote(field.column)}"
        )
    link_field = model._meta.get_field(link)
    outer_pk = link_field.related_model._meta.pk.column
    # Names from the models only, no value: nothing to inject.
    return (
        f"(SELECT {agg}({obj}({', '.join(pairs)})) FROM {quote(model._meta.db_table)} c{joins}"  # noqa: S608
        f" WHERE c.{quote(link_field.column)} = {quote(outer)}.{quote(outer_pk)})"
    )
