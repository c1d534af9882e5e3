"""Settings that walk up the tree: the nearest organization above a branch that sets the hours
requirement, a field of the meeting cadence, or the reminders, wins."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, F, Q

from members.compiled import Param, compiled_queryset, params
from members.models import Organization

from ..models.org_settings import (
    DEFAULT_CADENCE,
    ComplianceCadence,
    HoursRequirement,
    ReminderSettings,
)
from ..models.sessions import REGULAR_KINDS

DEFAULT_MEMBER_HOURS = Decimal("32.0")


DEFAULT_LEADER_HOURS = Decimal("56.0")


STEPLEN = Organization.steplen


def path_prefixes(path):
    """The paths of an organization and all its ancestors, nearest first."""
    return [path[:n] for n in range(len(path), 0, -STEPLEN)]


def _rows_by_path(queryset, roots, *, below=True):
    """{organization path: row} for rows on or above any of the root paths (and below them
    when `below`: pass below=False when the roots are the branches themselves)."""
    roots = list(roots)
    if not roots:
        return {}
    q = Q(organization__path__in={p for r in roots for p in path_prefixes(r)})
    if below:
        for r in roots:
            q |= Q(organization__path__startswith=r)
    rows = queryset.filter(q).annotate(org_path=F("organization__path"))
    return {row.org_path: row for row in rows}


def _nearest(rows_by_path, path):
    for prefix in path_prefixes(path):
        row = rows_by_path.get(prefix)
        if row is not None:
            return row
    return None


@dataclass(frozen=True)
class Requirement:
    member_hours: Decimal = DEFAULT_MEMBER_HOURS
    leader_hours: Decimal = DEFAULT_LEADER_HOURS


@compiled_queryset
def _requirements_at(*, n):
    """The requirements of a year set at `n` paths."""
    return HoursRequirement.objects.filter(
        year=Param("year"), organization__path__in=params("paths", n, CharField())
    ).annotate(org_path=F("organization__path"))


def requirements_by_path(roots, year, *, below=True):
    if below:
        return _rows_by_path(HoursRequirement.objects.filter(year=year), roots, below=below)
    # The roots and the organizations above them: a read compiled once per number of paths.
    paths = sorted({p for r in roots for p in path_prefixes(r)})
    if not paths:
        return {}
    rows = _requirements_at(n=len(paths), year=year, paths=paths)
    return {row.org_path: row for row in rows}


def requirement_for(rows_by_path, path) -> Requirement:
    row = _nearest(rows_by_path, path)
    return Requirement(row.member_hours, row.leader_hours) if row else Requirement()


def hours_requirement(organization, year) -> Requirement:
    """The requirement for members of `organization` in `year` (one query)."""
    rows = requirements_by_path([organization.path], year, below=False)
    return requirement_for(rows, organization.path)


def cadence_for(rows_by_path, path):
    """{kind: frequency} for a branch: field by field, the nearest ancestor that sets it."""
    chain = [rows_by_path[p] for p in path_prefixes(path) if p in rows_by_path]
    result = {}
    for kind in REGULAR_KINDS:
        for row in chain:
            value = getattr(row, kind)
            if value:
                result[kind] = value
                break
        else:
            result[kind] = DEFAULT_CADENCE[kind]
    return result


def reminder_settings_for(rows_by_path, path):
    return _nearest(rows_by_path, path) or ReminderSettings()


def reminder_settings_by_path(roots, *, below=True):
    return _rows_by_path(ReminderSettings.objects.all(), roots, below=below)


def cadences_by_path(roots, *, below=True):
    return _rows_by_path(ComplianceCadence.objects.all(), roots, below=below)


def own_settings(organization, year):
    """The organization's own settings rows, each a new unsaved row with the defaults where it
    has none: {"hours": its HoursRequirement for `year`, "cadence": its ComplianceCadence,
    "reminders": its ReminderSettings}. Three queries."""
    rows = {}
    for name, model, lookup in (
        ("hours", HoursRequirement, {"year": year}),
        ("cadence", ComplianceCadence, {}),
        ("reminders", ReminderSettings, {}),
    ):
        rows[name] = model.objects.filter(organization=organization, **lookup).first() or model(
            organization=organization, **lookup
        )
    return rows
