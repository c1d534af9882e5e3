"""Reads behind protection-case pages; every one starts from `cases_visible_to`."""

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
    compiled_visible_cases,
    get_case_for_user,
    handler_paths,
    visibility_arguments,
)


def case_list(user, *, per_page, status="", q=""):
    """The cases a user may read, newest first, with what the list shows, for
    members.pagination.BoundedPaginator (`CaseList`; a list of nothing for a user who reads no
    case).

    The search runs inside the visible set only, so it can never reveal another case. It
    matches the member's name, the place and the kind, never the description, the evidence
    or the help asked for: reading those is a view of the case, and a search writes no view.
    """
    visibility = visibility_arguments(user)
    if visibility is None:
        return []
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
    return CaseList(shape, values, per_page)


class CaseList:
    """The case list as BoundedPaginator reads it, every read compiled (members.compiled):
    building and compiling the visibility query cost more CPU than running it. The paginator
    asks only slices: it counts one (`[:bound + 1].count()`: one read of the ids in it) and
    iterates the page's (one read of those rows)."""

    ordered = True  # newest first (Paginator warns of a list without an order)

    def __init__(self, shape, values, per_page):
        self.shape, self.values, self.per_page = shape, values, per_page

    def __getitem__(self, window):
        return _CaseWindow(self, window.start or 0, window.stop)


class _CaseWindow:
    """A slice of a CaseList: counted, or iterated (its rows read once)."""

    def __init__(self, listing, start, stop):
        self.listing, self.start, self.stop = listing, start, stop
        self._rows = None

    def count(self):
        listing = self.listing
        return len(_case_ids(**listing.shape, start=self.start, stop=self.stop, **listing.values))

    def rows(self):
        if self._rows is None:
            listing = self.listing
            # A page is read as a whole page whatever the paginator cut at the list's end (the
            # same rows): one compiled shape per page number, not per length. An empty slice
            # (a list of no case) reads nothing, as the ORM's [0:0].
            self._rows = []
            if self.stop > self.start:
                rows = _case_rows(
                    **listing.shape, start=self.start, per_page=listing.per_page, **listing.values
                )
                self._rows = list(rows)[: self.stop - self.start]
        return self._rows

    def __iter__(self):
        return iter(self.rows())

    def __len__(self):
        return len(self.rows())


def _listed(*, n_paths, with_status, n_kinds):
    """The builder of the case list's reads: the visible cases (Params "member" and "paths"),
    with the Param "status" when `with_status`, the search (Params "q" and `n_kinds` "kinds")
    unless `n_kinds` is None, newest first."""
    qs = compiled_visible_cases(ProtectionCase.objects.all(), n_paths=n_paths)
    if with_status:
        qs = qs.filter(status=Param("status", CharField()))
    if n_kinds is not None:
        q = Param("q", CharField())
        qs = qs.filter(
            Q(place__icontains=q)
            | Q(member__full_name__icontains=q)
            | Q(kind__in=params("kinds", n_kinds, CharField()))
        )
    return qs.order_by("-reported_at", "-id")


@compiled_queryset
def _case_ids(*, n_paths, with_status, n_kinds, start, stop):
    return _listed(n_paths=n_paths, with_status=with_status, n_kinds=n_kinds).values_list(
        "pk", flat=True
    )[start:stop]


@compiled_queryset
def _case_rows(*, n_paths, with_status, n_kinds, start, per_page):
    # The list shows the member's branch; joining the case's own branch too made PostgreSQL
    # hash-join a scan of the whole organization table (it misjudges the visibility OR).
    # Only what a row shows (members/templatetags/case_list.py): not the case's texts, nor the
    # member's record, which a row would read and build for nothing.
    qs = (
        _listed(n_paths=n_paths, with_status=with_status, n_kinds=n_kinds)
        .select_related("member", "member__branch")
        .only(
            *("ref", "kind", "status", "reported_at", "voided_at", "void_reason"),
            *("member__full_name", "member__branch__name"),
        )
    )
    # A correlated count, not a join: no GROUP BY over every column of the case and member.
    n_evidence = (
        CaseEvidence.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("*"))
        .values("n")[:1]
    )
    return qs.annotate(
        n_evidence=Coalesce(Subquery(n_evidence, output_field=IntegerField()), Value(0))
    )[start : start + per_page]


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
