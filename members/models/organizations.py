"""The organization tree (materialized path) and its subtree filters."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node


class OrganizationKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General Party branch")
    BRANCH = "branch", _("Party branch")
    GROUP = "group", _("Party group")


STEPLEN = 4  # characters per level of Organization.path


class ParentPath(models.Func):
    """The path of an organization's parent: its own path less the last step, as the
    org_siblings index has it (its children are those with this parent path). The step
    length is written into the SQL, not bound as a value: a prepared statement must show
    PostgreSQL the index's own expression."""

    output_field = models.CharField()

    def __init__(self):
        super().__init__(F("path"), F("depth"))

    def as_sql(self, compiler, connection, **extra_context):
        (path, path_params), (depth, depth_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        length = f"({depth} - 1) * {STEPLEN}"
        sql = (
            f"SUBSTR({path}, 1, {length})"
            if connection.vendor == "sqlite"
            else f"LEFT({path}, {length})"
        )
        return sql, [*path_params, *depth_params]


class Organization(MP_Node):
    """One node of the organization tree (materialized path, see DESIGN.md "Known traps").

    Create children through members.services.organization_create, which locks the parent so
    that concurrent inserts cannot compute the same path.
    """

    # Four characters per level: 36**4 = 1.6 million children per node, paths stay short.
    steplen = STEPLEN

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    code = models.CharField(_("code"), max_length=40, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=["numchild"])

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            # Prefix (LIKE 'path%') queries on PostgreSQL need a pattern-ops index.
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "path"], name="org_kind_path"),
            # Direct children (depth = d + 1, path prefix) without reading the whole subtree.
            models.Index(
                fields=["depth", "path"],
                name="org_depth_path",
                opclasses=["int4_ops", "varchar_pattern_ops"],
            ),
            # The same in path order: the children of a node as a range of paths at one
            # depth (subtree_range_q), read in order and stopped at a page's end.
            models.Index(fields=["depth", "path"], name="org_children"),
            # A node's children as lists show them (kind, name), read in that order and
            # stopped at a page's end, however many children the node has.
            models.Index(ParentPath(), F("kind"), F("name"), F("path"), name="org_siblings"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self):
        return self.kind == OrganizationKind.BRANCH

    def subtree_q(self, prefix=""):
        """Q matching this organization and everything below it, on a field path prefix."""
        return Q(**{f"{prefix}path__startswith": self.path})


def subtree_range_q(path, field="path", *, upper=None):
    """Q matching the organization at `path` and everything below it as a range of paths
    (path >= '0001' AND path < '0002'), not a LIKE: an index on the path then reads the
    subtree in path order, so `ORDER BY path LIMIT n` stops after n rows whatever the
    collation (a LIKE prefix only uses the pattern-ops index, which does not sort).
    A compiled queryset's builder gives `path` as a Param and its `upper` bound (a Param
    deriving `subtree_upper_bound`, or False where there is none)."""
    if upper is None:
        upper = subtree_upper_bound(path) or False
    q = Q(**{f"{field}__gte": path})
    if upper is not False:
        q &= Q(**{f"{field}__lt": upper})
    return q


def subtree_upper_bound(path):
    """The first path after `path`'s subtree, or None when `path` is the last possible one
    of its length (nothing can follow it)."""
    alphabet = Organization.alphabet
    head = path
    while head and head[-1] == alphabet[-1]:
        head = head[:-1]
    if not head:
        return None
    return head[:-1] + alphabet[alphabet.index(head[-1]) + 1]
