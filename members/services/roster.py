"""Writes on the roster: creating members (one by one or in bulk), changing and
transferring them. Each write refreshes the branch figures it changes."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from .. import figures
from ..concurrency import version_claim
from ..errors import DomainError
from ..history import save_with_history
from ..models import Member, MemberStatus, Organization, OrganizationKind, Position, Transfer

# --- members -----------------------------------------------------------------------------


def _check_branch(member: Member):
    if member.branch.kind != OrganizationKind.BRANCH:
        raise DomainError({"branch": _("A member's relationship is held by a Party branch.")})
    if member.group_id and not member.group.path.startswith(member.branch.path):
        raise DomainError({"group": _("The group must belong to the member's branch.")})


@transaction.atomic
def member_create(*, actor=None, **fields) -> Member:
    member = Member(**fields)
    member.full_clean()
    _check_branch(member)
    save_with_history(member, actor)
    figures.refresh_branches([member.branch_id])
    return member


@transaction.atomic
def member_create_many(
    *, branch: Organization, rows: list[dict], actor=None, batch_size: int = 1000
) -> list[Member]:
    """Create many members of one branch in bulk, each with its history entry (by actor).

    rows: keyword arguments of member_create, already validated field by field (e.g. by
    members.roster_io.validate_rows, which runs each row's full_clean). What concerns the
    branch is checked here once: it is a branch, and every group is one of its groups.
    A few INSERTs per batch_size rows instead of two per member.

    Bulk creations in one branch run one at a time: the branch row is locked (FOR UPDATE)
    and the duplicate check runs again under the lock, so two imports of overlapping files
    confirmed at the same moment never create the same member twice (the second is refused
    with a DomainError naming the members already on the roster).
    """
    branch = Organization.objects.select_for_update().get(pk=branch.pk)
    if branch.kind != OrganizationKind.BRANCH:
        raise DomainError({"branch": _("A member's relationship is held by a Party branch.")})
    _refuse_duplicates(branch, rows)
    members = []
    for fields in rows:
        member = Member(**{**fields, "branch": branch})
        group = fields.get("group")
        if group is not None and not group.path.startswith(branch.path):
            raise DomainError({"group": _("The group must belong to the member's branch.")})
        members.append(member)
    user = actor if actor is not None and actor.is_authenticated else None
    created = bulk_create_with_history(members, Member, batch_size=batch_size, default_user=user)
    figures.refresh_branches([branch.pk])
    return created


def _refuse_duplicates(branch: Organization, rows: list[dict]):
    """Refuse rows naming a current member of the branch (same name and phone, or same name
    and date of birth) or the same member twice. Call with the branch row locked."""
    from ..roster_selectors import existing_member_keys

    existing = existing_member_keys(branch, {fields.get("full_name", "") for fields in rows})
    seen = set()
    dupes = []
    for fields in rows:
        name = fields.get("full_name", "")
        keys = {
            (name, "phone", fields.get("phone")),
            (name, "birth", fields.get("birth_date")),
        }
        keys = {k for k in keys if k[2]}
        if keys & existing or keys & seen:
            dupes.append(name)
        seen |= keys
    if dupes:
        raise DomainError(
            ngettext(
                "Nothing was saved: %(n)s of these members is already on the branch's roster "
                "(%(names)s). Someone may have added them a moment ago.",
                "Nothing was saved: %(n)s of these members are already on the branch's roster "
                "(for example %(names)s). Someone may have added them a moment ago.",
                len(dupes),
            )
            % {"n": len(dupes), "names": "、".join(dupes[:5])}
        )


@transaction.atomic
def member_update(*, member: Member, actor=None, version: int | None = None, **fields) -> Member:
    """Change a member's details. `version`: the one the editor saw; ConcurrentChange when
    someone saved the member since (members.concurrency)."""
    before = Member.objects.filter(pk=member.pk).values_list("branch_id", "status").first()
    for name, value in fields.items():
        setattr(member, name, value)
    version_claim(member, version, fields=list(fields))
    member.full_clean()
    _check_branch(member)
    save_with_history(member, actor)
    if before != (member.branch_id, member.status):
        figures.refresh_branches([member.branch_id, before[0] if before else None])
    return member


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    to_organization: Organization | None,
    transferred_on: date,
    note: str = "",
    actor=None,
) -> Transfer:
    """Move a member's relationship to another branch, or out of the system (to=None).

    Keeps the history: a Transfer row, the member's history, and positions in the old
    branch ended on the transfer date.
    """
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    if not member.is_active:
        raise DomainError(_("Only a current member can be transferred."))
    if to_organization is not None:
        if to_organization.kind != OrganizationKind.BRANCH:
            raise DomainError(_("A member can only be transferred to a Party branch."))
        if to_organization.pk == member.branch_id:
            raise DomainError(_("The member already belongs to this branch."))
    transfer = Transfer.objects.create(
        member=member,
        from_organization=member.branch,
        to_organization=to_organization,
        transferred_on=transferred_on,
        note=note,
        recorded_by=actor,
    )
    for position in Position.objects.current(transferred_on).filter(
        member=member, organization__path__startswith=member.branch.path
    ):
        position.ended_on = max(transferred_on, position.started_on)
        save_with_history(position, actor, update_fields=["ended_on"])
    member.group = None
    from_branch_id = member.branch_id
    if to_organization is None:
        member.status = MemberStatus.TRANSFERRED_OUT
    else:
        member.branch = to_organization
    save_with_history(member, actor)
    figures.refresh_branches([from_branch_id, member.branch_id])
    return transfer
