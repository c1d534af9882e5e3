"""Reads behind commendation pages; also used by the appraisal rating page and /me/."""

from django.db.models import CharField, DateField, Q
from django.utils import timezone

from members.compiled import (
    Param,
    compiled_queryset,
    param_items,
    params,
    year_first_day,
    year_last_day,
)
from members.models import (
    ACTIVE_STATUSES,
    COMMITTEE_ROLES,
    Organization,
    OrganizationKind,
    Position,
    Role,
)
from members.permissions import members_managed_by, organization_scope_q, scope_for
from members.row_html import translated_labels

from .models import Commendation, CommendationStatus, CommendationTitle, title_text

_JOINS = (
    "member",
    "member__branch",
    "organization",
    "home_organization",
    "awarding_organization",
)


@compiled_queryset
def _published_in_year(*, n):
    """The published commendations of `n` members awarded in a year (its days as a range,
    as `awarded_on__year` reads it)."""
    year = Param("year")
    return (
        Commendation.objects.filter(
            member_id__in=params("members", n),
            status=CommendationStatus.PUBLISHED,
            awarded_on__gte=year_first_day(year),
            awarded_on__lte=year_last_day(year),
        )
        .select_related("awarding_organization")
        .order_by("member_id", "-awarded_on", "-id")
    )


def commendations_by_member(member_ids, year):
    """{member_id: [Commendation, ...]} of published commendations dated in `year`.

    One query whatever the number of members.
    """
    result = {}
    member_ids = list(member_ids)
    qs = _published_in_year(n=len(member_ids), members=member_ids, year=year)
    for commendation in qs:
        result.setdefault(commendation.member_id, []).append(commendation)
    return result


@compiled_queryset
def _published_on_record():
    return (
        Commendation.objects.filter(member_id=Param("member"), status=CommendationStatus.PUBLISHED)
        .select_related("awarding_organization")
        .prefetch_related("documents")
        .order_by("-awarded_on", "-id")
    )


def commendation_record_section(member, *, year):
    """Context for appraisal/_commendation_record_section.html: the member's published
    commendations, every year (a commendation stays on the record). One query."""
    commendations = list(_published_on_record(member=member.pk))
    return {"commendations": commendations, "year": year}


def published_commendations(member):
    """The member's published commendations for their page in the roster (one query; no
    documents: those are opened from the commendation itself)."""
    return list(
        Commendation.objects.filter(member=member, status=CommendationStatus.PUBLISHED)
        .select_related("awarding_organization")
        .order_by("-awarded_on", "-id")
    )


def commendation_table(queryset):
    """What a list row shows, joined once."""
    return queryset.select_related(*_JOINS).order_by("-awarded_on", "-id")


def rows_by_ids(queryset):
    """The rows of a sliced, ordered `commendation_table` queryset in two narrow queries: the
    ids of the slice (filters and order only, no joins for display), then those rows with
    what a list row shows. One query would join every member and organization before
    sorting and cutting the slice, a cost that grows with the tree."""
    return rows_of_ids(list(queryset.values_list("pk", flat=True)))


def rows_of_ids(ids):
    """The commendations with these ids, in their order, as `CommendationRow`s."""
    if not ids:
        return []
    rows = {row.pk: row for row in _commendation_rows(_table_rows(n=len(ids), ids=ids))}
    return [rows[pk] for pk in ids]


def _commendation_rows(tuples):
    """CommendationRows of _ROW_COLUMNS tuples, the titles translated once for the list."""
    titles = translated_labels(CommendationTitle)
    return [CommendationRow(row, titles) for row in tuples]


class CommendationRow:
    """What a list row (appraisal/commendations/_table.html) and the waiting list show of a
    commendation, read as one tuple of the columns they need: a model instance for the
    commendation and for each of its four joined rows cost more than the query, for up to
    70 rows a page. Names as the model's (recipient_name and display_title as it reads
    them); the joined organizations by name only."""

    __slots__ = (
        "awarded_on",
        "awarding_organization_name",
        "display_title",
        "home_organization_name",
        "is_collective",
        "pk",
        "recipient_name",
        "status",
        "void_reason",
        "voided_at",
    )

    def __init__(self, row, titles):
        """`row`: a row of _table_rows; `titles`: translated_labels(CommendationTitle)."""
        (
            self.pk,
            organization_id,
            member_name,
            organization_name,
            self.home_organization_name,
            self.awarding_organization_name,
            title,
            detail,
            self.awarded_on,
            self.status,
            self.voided_at,
            self.void_reason,
        ) = row
        self.is_collective = organization_id is not None
        self.recipient_name = organization_name if self.is_collective else member_name
        self.display_title = title_text(title, detail, titles.get(title, title))


# The columns of a CommendationRow, in its order.
_ROW_COLUMNS = (
    "pk",
    "organization_id",
    "member__full_name",
    "organization__name",
    "home_organization__name",
    "awarding_organization__name",
    "title",
    "title_detail",
    "awarded_on",
    "status",
    "voided_at",
    "void_reason",
)


@compiled_queryset
def _table_rows(*, n):
    """`n` commendations by id, as the tuples of CommendationRow."""
    return (
        Commendation.objects.filter(pk__in=params("ids", n)).values_list(*_ROW_COLUMNS).order_by()
    )


def organization_commendations(organization, *, year=None):
    """Published commendations in an organization's subtree: collective ones and its members'."""
    qs = Commendation.objects.filter(
        home_organization__path__startswith=organization.path,
        status=CommendationStatus.PUBLISHED,
    )
    if year:
        qs = qs.filter(awarded_on__year=year)
    return commendation_table(qs)


def waiting_for(user):
    """Proposals this user may decide (approve, reject) or publish, oldest first."""
    scope = scope_for(user)
    return _waiting_for(
        organizer_paths=scope.organizer_paths,
        admin=scope.is_admin,
        member_id=scope.member_id,
        user_id=user.pk,
        today=timezone.localdate(),
    )


def waiting_rows(user, *, limit):
    """The first `limit` of `waiting_for`, as CommendationRows, in one query compiled once per
    shape of scope: the rows of the first ids (cut before any join for display)."""
    scope = scope_for(user)
    values = {"user": user.pk}
    paths = () if scope.is_admin else scope.organizer_paths  # the admin's reach is everything
    if paths:
        values["paths"] = paths
    if scope.member_id:  # their positions of today narrow the list
        values["member"] = scope.member_id
        values["today"] = timezone.localdate()
    return _commendation_rows(
        _first_waiting_rows(
            n_paths=len(paths),
            admin=scope.is_admin,
            with_member=bool(scope.member_id),
            limit=limit,
            **values,
        )
    )


@compiled_queryset
def _first_waiting_rows(*, n_paths, admin, with_member, limit):
    first = _waiting_for(
        organizer_paths=param_items("paths", n_paths, CharField()),
        admin=admin,
        member_id=Param("member") if with_member else None,
        user_id=Param("user"),
        today=Param("today", DateField()),
    )[:limit]
    return (
        Commendation.objects.filter(pk__in=first.values("pk"))
        .values_list(*_ROW_COLUMNS)
        .order_by("proposed_at", "id")  # waiting_for's order
    )


def _waiting_for(*, organizer_paths, admin, member_id, user_id, today):
    """`waiting_for` of a scope (values, or Params of a compiled queryset)."""
    q = Q(pk__in=[])
    for path in organizer_paths:
        q |= Q(awarding_organization__path__startswith=path)
    if admin:
        q = Q()
    elif member_id:
        secretary_of = Position.objects.current(on=today).filter(
            member_id=member_id,
            role=Role.SECRETARY,
            organization__kind=OrganizationKind.BRANCH,
        )
        q |= Q(awarding_organization_id__in=secretary_of.values("organization_id"))
    qs = Commendation.objects.filter(
        q, status__in=(CommendationStatus.PROPOSED, CommendationStatus.APPROVED)
    ).exclude(proposed_by_id=user_id)
    if member_id:
        # Nobody decides their own commendation, or their own organization's.
        qs = qs.exclude(member_id=member_id).exclude(
            organization_id__in=led_organizations(member_id, on=today).values("organization_id")
        )
    return commendation_table(qs).order_by("proposed_at", "id")


def led_organizations(member_id, *, on=None):
    """Positions through which a member leads an organization (a committee role or the
    organizer role there): a collective commendation of it is their own."""
    return Position.objects.current(on).filter(
        member_id=member_id, role__in=(*COMMITTEE_ROLES, Role.ORGANIZER)
    )


def leader_ids_by_organization(organization_ids):
    """{organization id: {member ids leading it}} — one query."""
    result = {}
    rows = (
        Position.objects.current()
        .filter(
            organization_id__in=list(organization_ids),
            role__in=(*COMMITTEE_ROLES, Role.ORGANIZER),
        )
        .values_list("organization_id", "member_id")
    )
    for organization_id, member_id in rows:
        result.setdefault(organization_id, set()).add(member_id)
    return result


def organization_choices(user):
    """Organizations (not groups) a user manages, for the list's filter."""
    return (
        Organization.objects.filter(organization_scope_q(user))
        .exclude(kind=OrganizationKind.GROUP)
        .order_by("path")
    )


def recipient_choices(user):
    """Active members a user manages, by branch then name, for the proposal form."""
    return (
        members_managed_by(user)
        .active()
        .select_related("branch")
        .order_by("branch__path", "full_name")
    )


def commendation_documents(commendation):
    """A commendation's supporting documents, for its page."""
    return list(commendation.documents.all())


def commendation_history(commendation, *, limit=30):
    """The latest changes to a commendation with who made them, newest first."""
    return list(commendation.history.select_related("history_user__member").all()[:limit])


def awarding_choices(user):
    """Organizations that may award what this user proposes: the ones they manage and every
    organization above them."""
    scope = scope_for(user)
    if scope.is_admin:
        return Organization.objects.exclude(kind=OrganizationKind.GROUP).order_by("path")
    step = Organization.steplen
    prefixes = set()
    for path in scope.organizer_paths + scope.led_branch_paths:
        prefixes.update(path[:i] for i in range(step, len(path) + 1, step))
    return (
        Organization.objects.filter(Q(path__in=prefixes) | organization_scope_q(user))
        .exclude(kind=OrganizationKind.GROUP)
        .order_by("path")
    )


def approvers_for(levels, excluded):
    """The nearest level with someone left once `excluded` (the proposer, the commended) are
    taken out: a level whose only holder proposed the commendation passes it up."""
    for holders in levels:
        kept = [m for m in holders if m not in excluded]
        if kept:
            return kept
    return []


def approver_levels_by_awarding_organization(organization_ids):
    """{awarding organization id: [[member ids] per level, nearest first]}: the decision
    holders at the awarding organization and at each organization above it that has any (a
    branch's secretary only for the awarding branch itself). Two queries."""
    awarding = list(Organization.objects.filter(pk__in=list(organization_ids)))
    if not awarding:
        return {}
    step = Organization.steplen
    paths = set()
    for org in awarding:
        paths.update(org.path[:i] for i in range(step, len(org.path) + 1, step))
    rows = (
        Position.objects.current()
        .filter(organization__path__in=paths, member__status__in=ACTIVE_STATUSES)
        .filter(
            Q(role=Role.ORGANIZER)
            | Q(
                role__in=COMMITTEE_ROLES,
                organization__kind__in=(
                    OrganizationKind.COMMITTEE,
                    OrganizationKind.GENERAL_BRANCH,
                ),
            )
            | Q(role=Role.SECRETARY, organization__kind=OrganizationKind.BRANCH)
        )
        .values_list("organization__path", "organization__kind", "member_id")
    )
    by_path = {}
    for path, kind, member_id in rows:
        by_path.setdefault(path, []).append((kind, member_id))
    result = {}
    for org in awarding:
        levels = result.setdefault(org.pk, [])
        for depth_end in range(len(org.path), 0, -step):
            path = org.path[:depth_end]
            holders = [
                member_id
                for kind, member_id in by_path.get(path, [])
                # A branch's secretary decides only for that branch itself.
                if kind != OrganizationKind.BRANCH or path == org.path
            ]
            if holders:
                levels.append(sorted(set(holders)))
    return result


def member_page_commendations(member):
    """Context for appraisal/_member_page_commendations.html on members:member_detail:
    published commendations only (proposals and rejections stay in the workflow)."""
    commendations = published_commendations(member)
    return {"commendations": commendations} if commendations else None
