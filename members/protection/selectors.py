"""Reads behind protection-case pages; every one starts from `cases_visible_to`."""

from django.db import connection
from django.db.models import CharField, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.compiled import Param, compiled_queryset, params
from members.models import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Member,
    Organization,
    Position,
    Role,
    organizer_position_q,
)
from members.permissions import scope_for

from .models import (
    OPEN_CASE_STATUSES,
    CaseAction,
    CaseAssignment,
    CaseEvidence,
    CaseKind,
    CaseStatus,
    CaseView,
    Clarification,
    ProtectionCase,
)
from .permissions import (
    cases_visible_to,
    compiled_visible_case_sources,
    get_case_for_user,
    handler_paths,
    visibility_arguments,
)


def case_ids(user, *, status="", q=""):
    """The ids of the cases a user may read, newest first, as a function of how many to read
    (for members.pagination.BoundedPaginator.get_page_of_ids; none for a user who reads no
    case). `case_rows` reads the page's cases by them.

    The search runs inside the visible set only, so it can never reveal another case. It
    matches the member's name, the place and the kind, never the description, the evidence
    or the help asked for: reading those is a view of the case, and a search writes no view.
    """
    visibility = visibility_arguments(user)
    if visibility is None:
        return lambda limit: []
    values = {**visibility, "status": status, "q": q}
    shape = {"n_paths": values.pop("n_paths"), "with_status": bool(status), "n_kinds": None}
    if q:
        needle = q.casefold()
        values["kinds"] = [
            value
            for value, label in CaseKind.choices
            if needle in str(label).casefold() or needle in value
        ]
        shape["n_kinds"] = len(values["kinds"])

    def first(limit):
        return [pk for pk, _reported_at in _case_ids(**shape, limit=limit, **values)]

    return first


@compiled_queryset
def _case_ids(*, n_paths, with_status, n_kinds, limit):
    """The first `limit` visible cases' (id, reported_at), newest first: the visible cases
    (Params "member" and "paths"), with the Param "status" when `with_status`, the search
    (Params "q" and `n_kinds` "kinds") unless `n_kinds` is None.

    The visible set is read as the union of its sources (`visible_case_sources`), each cut to
    its newest `limit`: the first `limit` of the union are among them. So the database reads
    a few rows of each source, however many cases there are that the user does not see.
    (SQLite takes no order or limit inside a union: there the sources are whole.)"""
    bounded = connection.features.supports_slicing_ordering_in_compound
    order = ("-reported_at", "-id")
    sources = []
    for qs in compiled_visible_case_sources(ProtectionCase.objects.all(), n_paths=n_paths):
        if with_status:
            qs = qs.filter(status=Param("status", CharField()))
        if n_kinds is not None:
            q = Param("q", CharField())
            qs = qs.filter(
                Q(place__icontains=q)
                | Q(member__full_name__icontains=q)
                | Q(kind__in=params("kinds", n_kinds, CharField()))
            )
        qs = qs.values_list("id", "reported_at")
        sources.append(qs.order_by(*order)[:limit] if bounded else qs.order_by())
    return sources[0].union(*sources[1:]).order_by(*order)[:limit]


def case_rows(ids):
    """The cases with these ids, in their order, as `CaseRow`s."""
    if not ids:
        return []
    rows = {row[0]: CaseRow(row) for row in _case_rows(n=len(ids), ids=ids)}
    return [rows[pk] for pk in ids]


class CaseRow:
    """What a list row (members/templatetags/case_list.py) shows of a case, read as one tuple
    of the columns it needs: a model instance for the case, its member and their branch cost
    more than the query, for 30 rows a page. Names as the model's (`short_ref` as it reads
    it), the member and the branch by name only."""

    __slots__ = (
        *("pk", "ref", "kind", "status", "reported_at", "voided_at", "void_reason"),
        *("member_name", "branch_name", "n_evidence"),
    )

    def __init__(self, row):
        (self.pk, self.ref, self.kind, self.status, self.reported_at, self.voided_at) = row[:6]
        (self.void_reason, self.member_name, self.branch_name, self.n_evidence) = row[6:]

    @property
    def short_ref(self):
        return ProtectionCase.short_ref.fget(self)


@compiled_queryset
def _case_rows(*, n):
    """`n` cases by id, as the tuples of CaseRow."""
    # A correlated count, not a join: no GROUP BY over every column of the case and member.
    n_evidence = (
        CaseEvidence.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("*"))
        .values("n")[:1]
    )
    return (
        ProtectionCase.objects.filter(pk__in=params("ids", n))
        .annotate(n_evidence=Coalesce(Subquery(n_evidence, output_field=IntegerField()), Value(0)))
        .values_list(
            *("pk", "ref", "kind", "status", "reported_at", "voided_at", "void_reason"),
            *("member__full_name", "member__branch__name", "n_evidence"),
        )
        .order_by()
    )


def case_detail(user, ref):
    """The case (404 outside the user's reach) with everything its page shows prefetched."""
    active = CaseAssignment.objects.filter(removed_at__isnull=True).select_related("handler")
    case_with = ProtectionCase.objects.prefetch_related(
        "evidence",
        Prefetch("actions", queryset=CaseAction.objects.order_by("acted_on", "recorded_at", "id")),
        Prefetch("assignments", queryset=active, to_attr="active_assignments"),
        Prefetch(
            "clarifications",
            queryset=Clarification.objects.select_related("approving_organization"),
        ),
    )
    # One fetch: the visibility check and the prefetches on the same query (404 outside).
    case = get_case_for_user(user, ref, case_with)
    case._assigned_handler_ids = {a.handler_id for a in case.active_assignments}
    return case


def case_views(case, *, limit=200):
    """Who looked at the case, newest first."""
    return list(CaseView.objects.filter(case=case).select_related("evidence")[:limit])


def handler_candidates(case):
    """Members a supervisor may assign: the leaders of the case's branch and the handlers
    designated above it who are still organizers there.

    One query, whatever the size of the organization.
    """
    branch = case.branch
    step = Organization.steplen
    ancestor_paths = [branch.path[:i] for i in range(step, len(branch.path), step)]
    leader_ids = (
        Position.objects.current()
        .filter(organization=branch, role__in=COMMITTEE_ROLES)
        .values("member_id")
    )
    # A designation at P counts while its member organizes at P or above.
    still_organizing = Q(pk__in=[])
    for path in ancestor_paths:
        organizers = (
            Position.objects.current()
            .filter(organizer_position_q())
            .filter(organization__path__in=[path[:i] for i in range(step, len(path) + 1, step)])
            .values("member_id")
        )
        still_organizing |= Q(organization__path=path, member_id__in=organizers)
    designated_ids = (
        Position.objects.current()
        .filter(role=Role.CASE_HANDLER)
        .filter(still_organizing)
        .values("member_id")
    )
    return (
        Member.objects.filter(status__in=ACTIVE_STATUSES, account__isnull=False)
        .filter(Q(pk__in=leader_ids) | Q(pk__in=designated_ids))
        .exclude(pk=case.member_id)
        .select_related("branch")
        .order_by("full_name", "id")
    )


def approving_organization_choices(case):
    """The case's branch and the organizations above it."""
    path = case.branch.path
    paths = [path[:i] for i in range(Organization.steplen, len(path) + 1, Organization.steplen)]
    return Organization.objects.filter(path__in=paths).order_by("path")


@compiled_queryset
def _clarifications_on_record():
    return (
        # A voided case's clarification is not on the record.
        Clarification.objects.filter(
            case__member_id=Param("member"), member_consents=True, case__voided_at__isnull=True
        )
        .select_related("approving_organization")
        .order_by("-issued_on", "-id")
    )


def consented_clarifications(member):
    """The clarifications the member agreed to show on their record (one query). Nothing else
    about a case ever appears on a record or on the member's page, which other people read."""
    return list(_clarifications_on_record(member=member.pk))


def protection_record_section(member, *, year):
    """Context for members/_protection_record_section.html, or None.

    Shows only clarifications the member agreed to show on their record; nothing else about
    a case ever appears on a record, which other people may read.
    """
    clarifications = consented_clarifications(member)
    if not clarifications:
        return None
    return {"clarifications": clarifications, "year": year}


def protection_dashboard_section(user, scope, *, year):
    """Context for members/_protection_dashboard_section.html, or None when the user sees no
    case. Counts only what cases_visible_to lets this user read (two queries at most)."""
    scope = scope or scope_for(user)
    if not scope.member_id:
        return None
    counts = cases_visible_to(user).aggregate(
        total=Count("id"),
        own_open=Count("id", filter=Q(member_id=scope.member_id, status__in=OPEN_CASE_STATUSES)),
        handling_open=Count(
            "id", filter=~Q(member_id=scope.member_id) & Q(status__in=OPEN_CASE_STATUSES)
        ),
        waiting=Count("id", filter=~Q(member_id=scope.member_id) & Q(status=CaseStatus.REPORTED)),
    )
    if not counts["total"]:
        return None
    overdue = 0
    if counts["handling_open"]:
        overdue = CaseAction.objects.filter(
            case__in=cases_visible_to(user).exclude(member_id=scope.member_id),
            case__status__in=OPEN_CASE_STATUSES,
            follow_up_due__lte=timezone.localdate(),
            follow_up_done_at__isnull=True,
        ).count()
    return {**counts, "overdue": overdue, "is_handler": bool(handler_paths(user))}
