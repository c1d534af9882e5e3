"""Small factories for tests: plain functions with sensible defaults, no magic."""

import itertools
from datetime import date

from django.contrib.auth import get_user_model

from members import figures, services
from members.models import Member, MemberStatus, Organization, OrganizationKind, Position

_seq = itertools.count(1)


def make_org(name=None, kind=OrganizationKind.BRANCH, parent=None, **fields) -> Organization:
    name = name or f"组织{next(_seq)}"
    return services.organization_create(parent=parent, name=name, kind=kind, **fields)


def make_user(username=None, **fields):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password="pw-Test-123", **fields)
    return user


def make_member(branch, full_name=None, *, account=False, **fields) -> Member:
    defaults = {
        "full_name": full_name or f"党员{next(_seq)}",
        "gender": "male",
        "joined_on": date(2010, 7, 1),
        "full_member_on": date(2011, 7, 1),
        "status": MemberStatus.FULL,
        "email": f"m{next(_seq)}@example.org",
    }
    defaults.update(fields)
    if defaults["status"] == MemberStatus.PROBATIONARY:
        defaults["full_member_on"] = None
    member = Member.objects.create(branch=branch, **defaults)
    figures.refresh_branches([branch.pk])  # what members.services.member_create does
    if account:
        member.account = make_user(account if isinstance(account, str) else None)
        member.save(update_fields=["account"])
    return member


def make_position(member, organization, role, started_on=date(2020, 1, 1), **fields) -> Position:
    position = Position.objects.create(
        member=member, organization=organization, role=role, started_on=started_on, **fields
    )
    figures.refresh_branches([member.branch_id])  # a committee role changes required hours
    return position


def make_members(branch, n, **fields):
    """n members in one insert (for query-count tests at two sizes)."""
    start = next(_seq)
    rows = [
        Member(
            branch=branch,
            full_name=f"批量党员{start}-{i}",
            gender="female" if i % 2 else "male",
            joined_on=date(2015, 1, 1),
            full_member_on=date(2016, 1, 1),
            status=MemberStatus.FULL,
            email=f"bulk{start}-{i}@example.org",
            **fields,
        )
        for i in range(n)
    ]
    created = Member.objects.bulk_create(rows)
    # A bulk insert, like the app's bulk paths, refreshes the branch's figures itself.
    figures.refresh_branches([branch.pk])
    return created


def propagate_figures():
    """Run the organization figures' propagation now (the task that writes queue on commit,
    which a test's transaction never reaches)."""
    from appraisal import figures as appraisal_figures
    from education import figures as education_figures

    return (
        figures.propagate_members(),
        education_figures.propagate(),
        appraisal_figures.propagate(),
    )
